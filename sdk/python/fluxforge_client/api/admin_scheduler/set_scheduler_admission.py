from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.scheduler_status import SchedulerStatus
from ...models.scheduler_update import SchedulerUpdate
from ...types import Response


def _get_kwargs(
    *,
    body: SchedulerUpdate,
    if_match: None | str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["If-Match"] = if_match

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/admin/scheduler",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SchedulerStatus | None:
    if response.status_code == 200:
        response_200 = SchedulerStatus.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 412:
        response_412 = Problem.from_dict(response.json())

        return response_412

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 428:
        response_428 = Problem.from_dict(response.json())

        return response_428

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | SchedulerStatus]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: SchedulerUpdate,
    if_match: None | str,
) -> Response[Problem | SchedulerStatus]:
    """Set the admission mode: normal, drain (refuse new runs) or freeze (start nothing); needs If-Match

    Args:
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.
        body (SchedulerUpdate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SchedulerStatus]
    """

    kwargs = _get_kwargs(
        body=body,
        if_match=if_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: SchedulerUpdate,
    if_match: None | str,
) -> Problem | SchedulerStatus | None:
    """Set the admission mode: normal, drain (refuse new runs) or freeze (start nothing); needs If-Match

    Args:
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.
        body (SchedulerUpdate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SchedulerStatus
    """

    return sync_detailed(
        client=client,
        body=body,
        if_match=if_match,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: SchedulerUpdate,
    if_match: None | str,
) -> Response[Problem | SchedulerStatus]:
    """Set the admission mode: normal, drain (refuse new runs) or freeze (start nothing); needs If-Match

    Args:
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.
        body (SchedulerUpdate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SchedulerStatus]
    """

    kwargs = _get_kwargs(
        body=body,
        if_match=if_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: SchedulerUpdate,
    if_match: None | str,
) -> Problem | SchedulerStatus | None:
    """Set the admission mode: normal, drain (refuse new runs) or freeze (start nothing); needs If-Match

    Args:
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.
        body (SchedulerUpdate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SchedulerStatus
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            if_match=if_match,
        )
    ).parsed
