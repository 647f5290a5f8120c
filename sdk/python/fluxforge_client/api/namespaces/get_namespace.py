from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.namespace import Namespace
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    tenant: str,
    namespace: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tenants/{tenant}/namespaces/{namespace}".format(
            tenant=quote(str(tenant), safe=""),
            namespace=quote(str(namespace), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Namespace | Problem | None:
    if response.status_code == 200:
        response_200 = Namespace.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Namespace | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    tenant: str,
    namespace: str,
    *,
    client: AuthenticatedClient,
) -> Response[Namespace | Problem]:
    """Get a namespace

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Namespace | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        namespace=namespace,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    tenant: str,
    namespace: str,
    *,
    client: AuthenticatedClient,
) -> Namespace | Problem | None:
    """Get a namespace

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Namespace | Problem
    """

    return sync_detailed(
        tenant=tenant,
        namespace=namespace,
        client=client,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    namespace: str,
    *,
    client: AuthenticatedClient,
) -> Response[Namespace | Problem]:
    """Get a namespace

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Namespace | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        namespace=namespace,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    namespace: str,
    *,
    client: AuthenticatedClient,
) -> Namespace | Problem | None:
    """Get a namespace

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Namespace | Problem
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            namespace=namespace,
            client=client,
        )
    ).parsed
