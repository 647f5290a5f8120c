import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.subscription import Subscription
from ...types import UNSET, Response, Unset


def _get_kwargs(
    tenant: str,
    *,
    effective_at: datetime.datetime | None | Unset = UNSET,
    if_match: None | str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["If-Match"] = if_match

    params: dict[str, Any] = {}

    json_effective_at: None | str | Unset
    if isinstance(effective_at, Unset):
        json_effective_at = UNSET
    elif isinstance(effective_at, datetime.datetime):
        json_effective_at = effective_at.isoformat()
    else:
        json_effective_at = effective_at
    params["effective_at"] = json_effective_at

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/tenants/{tenant}/subscription".format(
            tenant=quote(str(tenant), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Subscription | None:
    if response.status_code == 200:
        response_200 = Subscription.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 412:
        response_412 = Problem.from_dict(response.json())

        return response_412

    if response.status_code == 428:
        response_428 = Problem.from_dict(response.json())

        return response_428

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | Subscription]:
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
    effective_at: datetime.datetime | None | Unset = UNSET,
    if_match: None | str,
) -> Response[Problem | Subscription]:
    """Cancel the subscription, now or from a later time (needs If-Match)

    Args:
        tenant (str): The tenant's id or slug.
        effective_at (datetime.datetime | None | Unset): When the cancellation takes effect
            (default: now); not in the past.
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Subscription]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        effective_at=effective_at,
        if_match=if_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    tenant: str,
    *,
    client: AuthenticatedClient,
    effective_at: datetime.datetime | None | Unset = UNSET,
    if_match: None | str,
) -> Problem | Subscription | None:
    """Cancel the subscription, now or from a later time (needs If-Match)

    Args:
        tenant (str): The tenant's id or slug.
        effective_at (datetime.datetime | None | Unset): When the cancellation takes effect
            (default: now); not in the past.
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Subscription
    """

    return sync_detailed(
        tenant=tenant,
        client=client,
        effective_at=effective_at,
        if_match=if_match,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    *,
    client: AuthenticatedClient,
    effective_at: datetime.datetime | None | Unset = UNSET,
    if_match: None | str,
) -> Response[Problem | Subscription]:
    """Cancel the subscription, now or from a later time (needs If-Match)

    Args:
        tenant (str): The tenant's id or slug.
        effective_at (datetime.datetime | None | Unset): When the cancellation takes effect
            (default: now); not in the past.
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Subscription]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        effective_at=effective_at,
        if_match=if_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    *,
    client: AuthenticatedClient,
    effective_at: datetime.datetime | None | Unset = UNSET,
    if_match: None | str,
) -> Problem | Subscription | None:
    """Cancel the subscription, now or from a later time (needs If-Match)

    Args:
        tenant (str): The tenant's id or slug.
        effective_at (datetime.datetime | None | Unset): When the cancellation takes effect
            (default: now); not in the past.
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Subscription
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            client=client,
            effective_at=effective_at,
            if_match=if_match,
        )
    ).parsed
