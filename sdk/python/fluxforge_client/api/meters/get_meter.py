from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.meter import Meter
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    tenant: str,
    meter: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tenants/{tenant}/meters/{meter}".format(
            tenant=quote(str(tenant), safe=""),
            meter=quote(str(meter), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Meter | Problem | None:
    if response.status_code == 200:
        response_200 = Meter.from_dict(response.json())

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

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Meter | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    tenant: str,
    meter: str,
    *,
    client: AuthenticatedClient,
) -> Response[Meter | Problem]:
    """Get a meter that applies to the tenant (its own or the platform's)

    Args:
        tenant (str): The tenant's id or slug.
        meter (str): The meter's key.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Meter | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        meter=meter,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    tenant: str,
    meter: str,
    *,
    client: AuthenticatedClient,
) -> Meter | Problem | None:
    """Get a meter that applies to the tenant (its own or the platform's)

    Args:
        tenant (str): The tenant's id or slug.
        meter (str): The meter's key.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Meter | Problem
    """

    return sync_detailed(
        tenant=tenant,
        meter=meter,
        client=client,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    meter: str,
    *,
    client: AuthenticatedClient,
) -> Response[Meter | Problem]:
    """Get a meter that applies to the tenant (its own or the platform's)

    Args:
        tenant (str): The tenant's id or slug.
        meter (str): The meter's key.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Meter | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        meter=meter,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    meter: str,
    *,
    client: AuthenticatedClient,
) -> Meter | Problem | None:
    """Get a meter that applies to the tenant (its own or the platform's)

    Args:
        tenant (str): The tenant's id or slug.
        meter (str): The meter's key.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Meter | Problem
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            meter=meter,
            client=client,
        )
    ).parsed
