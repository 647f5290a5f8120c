from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import File, Response


def _get_kwargs(
    tenant: str,
    invoice_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tenants/{tenant}/invoices/{invoice_id}/pdf".format(
            tenant=quote(str(tenant), safe=""),
            invoice_id=quote(str(invoice_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> File | Problem | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[File | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    tenant: str,
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[File | Problem]:
    """An invoice's printable PDF

     The same document as `GetInvoice` with `Accept: application/pdf`, at an address of its own: a link
    can be followed by any client, and generated SDKs return the bytes of a binary answer but cannot
    choose a representation by the Accept header.

    Args:
        tenant (str): The tenant's id or slug.
        invoice_id (UUID): The invoice's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[File | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        invoice_id=invoice_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    tenant: str,
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
) -> File | Problem | None:
    """An invoice's printable PDF

     The same document as `GetInvoice` with `Accept: application/pdf`, at an address of its own: a link
    can be followed by any client, and generated SDKs return the bytes of a binary answer but cannot
    choose a representation by the Accept header.

    Args:
        tenant (str): The tenant's id or slug.
        invoice_id (UUID): The invoice's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        File | Problem
    """

    return sync_detailed(
        tenant=tenant,
        invoice_id=invoice_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[File | Problem]:
    """An invoice's printable PDF

     The same document as `GetInvoice` with `Accept: application/pdf`, at an address of its own: a link
    can be followed by any client, and generated SDKs return the bytes of a binary answer but cannot
    choose a representation by the Accept header.

    Args:
        tenant (str): The tenant's id or slug.
        invoice_id (UUID): The invoice's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[File | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        invoice_id=invoice_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
) -> File | Problem | None:
    """An invoice's printable PDF

     The same document as `GetInvoice` with `Accept: application/pdf`, at an address of its own: a link
    can be followed by any client, and generated SDKs return the bytes of a binary answer but cannot
    choose a representation by the Accept header.

    Args:
        tenant (str): The tenant's id or slug.
        invoice_id (UUID): The invoice's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        File | Problem
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            invoice_id=invoice_id,
            client=client,
        )
    ).parsed
