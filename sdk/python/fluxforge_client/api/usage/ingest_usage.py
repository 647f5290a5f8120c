from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.ingest_result import IngestResult
from ...models.problem import Problem
from ...models.usage_batch import UsageBatch
from ...models.usage_event import UsageEvent
from ...types import Response


def _get_kwargs(
    tenant: str,
    *,
    body: UsageBatch | UsageEvent,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/tenants/{tenant}/usage".format(
            tenant=quote(str(tenant), safe=""),
        ),
    }

    if isinstance(body, UsageBatch):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> IngestResult | Problem | None:
    if response.status_code == 200:
        response_200 = IngestResult.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[IngestResult | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    tenant: str,
    *,
    client: AuthenticatedClient,
    body: UsageBatch | UsageEvent,
) -> Response[IngestResult | Problem]:
    """Report usage events: a batch `{"events": [...]}` or a single event object

     Each event is judged on its own (partial success): the answer, 200 once the accepted events are
    committed, says how many were accepted, which (by index) were duplicates of ids accepted before
    (counted once; retrying a batch is always safe), and which were rejected, with a stable `code` and a
    reason. Rejected: malformed events (`invalid`), types FluxForge meters itself (`reserved_type`),
    timestamps before the open usage period (`before_open_period`: the current UTC month and, until it
    is closed, the previous one), in a closed period (`period_closed`) or too far in the future
    (`in_future`). A body that is not an object, or with more events than allowed, is refused whole
    (400).

    Args:
        tenant (str): The tenant's id or slug.
        body (UsageBatch | UsageEvent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IngestResult | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    tenant: str,
    *,
    client: AuthenticatedClient,
    body: UsageBatch | UsageEvent,
) -> IngestResult | Problem | None:
    """Report usage events: a batch `{"events": [...]}` or a single event object

     Each event is judged on its own (partial success): the answer, 200 once the accepted events are
    committed, says how many were accepted, which (by index) were duplicates of ids accepted before
    (counted once; retrying a batch is always safe), and which were rejected, with a stable `code` and a
    reason. Rejected: malformed events (`invalid`), types FluxForge meters itself (`reserved_type`),
    timestamps before the open usage period (`before_open_period`: the current UTC month and, until it
    is closed, the previous one), in a closed period (`period_closed`) or too far in the future
    (`in_future`). A body that is not an object, or with more events than allowed, is refused whole
    (400).

    Args:
        tenant (str): The tenant's id or slug.
        body (UsageBatch | UsageEvent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IngestResult | Problem
    """

    return sync_detailed(
        tenant=tenant,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    *,
    client: AuthenticatedClient,
    body: UsageBatch | UsageEvent,
) -> Response[IngestResult | Problem]:
    """Report usage events: a batch `{"events": [...]}` or a single event object

     Each event is judged on its own (partial success): the answer, 200 once the accepted events are
    committed, says how many were accepted, which (by index) were duplicates of ids accepted before
    (counted once; retrying a batch is always safe), and which were rejected, with a stable `code` and a
    reason. Rejected: malformed events (`invalid`), types FluxForge meters itself (`reserved_type`),
    timestamps before the open usage period (`before_open_period`: the current UTC month and, until it
    is closed, the previous one), in a closed period (`period_closed`) or too far in the future
    (`in_future`). A body that is not an object, or with more events than allowed, is refused whole
    (400).

    Args:
        tenant (str): The tenant's id or slug.
        body (UsageBatch | UsageEvent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IngestResult | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    *,
    client: AuthenticatedClient,
    body: UsageBatch | UsageEvent,
) -> IngestResult | Problem | None:
    """Report usage events: a batch `{"events": [...]}` or a single event object

     Each event is judged on its own (partial success): the answer, 200 once the accepted events are
    committed, says how many were accepted, which (by index) were duplicates of ids accepted before
    (counted once; retrying a batch is always safe), and which were rejected, with a stable `code` and a
    reason. Rejected: malformed events (`invalid`), types FluxForge meters itself (`reserved_type`),
    timestamps before the open usage period (`before_open_period`: the current UTC month and, until it
    is closed, the previous one), in a closed period (`period_closed`) or too far in the future
    (`in_future`). A body that is not an object, or with more events than allowed, is refused whole
    (400).

    Args:
        tenant (str): The tenant's id or slug.
        body (UsageBatch | UsageEvent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IngestResult | Problem
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            client=client,
            body=body,
        )
    ).parsed
