from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.invoice_page import InvoicePage
from ...models.list_invoices_status_type_1 import ListInvoicesStatusType1
from ...models.list_invoices_status_type_2_type_1 import ListInvoicesStatusType2Type1
from ...models.list_invoices_status_type_3_type_1 import ListInvoicesStatusType3Type1
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    tenant: str,
    *,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: ListInvoicesStatusType1
    | ListInvoicesStatusType2Type1
    | ListInvoicesStatusType3Type1
    | None
    | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, ListInvoicesStatusType1):
        json_status = status.value
    elif isinstance(status, ListInvoicesStatusType2Type1):
        json_status = status.value
    elif isinstance(status, ListInvoicesStatusType3Type1):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tenants/{tenant}/invoices".format(
            tenant=quote(str(tenant), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> InvoicePage | Problem | None:
    if response.status_code == 200:
        response_200 = InvoicePage.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[InvoicePage | Problem]:
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
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: ListInvoicesStatusType1
    | ListInvoicesStatusType2Type1
    | ListInvoicesStatusType3Type1
    | None
    | Unset = UNSET,
) -> Response[InvoicePage | Problem]:
    """The tenant's invoices, newest first

    Args:
        tenant (str): The tenant's id or slug.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        status (ListInvoicesStatusType1 | ListInvoicesStatusType2Type1 |
            ListInvoicesStatusType3Type1 | None | Unset): Only invoices in this status.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InvoicePage | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        limit=limit,
        cursor=cursor,
        status=status,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    tenant: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: ListInvoicesStatusType1
    | ListInvoicesStatusType2Type1
    | ListInvoicesStatusType3Type1
    | None
    | Unset = UNSET,
) -> InvoicePage | Problem | None:
    """The tenant's invoices, newest first

    Args:
        tenant (str): The tenant's id or slug.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        status (ListInvoicesStatusType1 | ListInvoicesStatusType2Type1 |
            ListInvoicesStatusType3Type1 | None | Unset): Only invoices in this status.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InvoicePage | Problem
    """

    return sync_detailed(
        tenant=tenant,
        client=client,
        limit=limit,
        cursor=cursor,
        status=status,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: ListInvoicesStatusType1
    | ListInvoicesStatusType2Type1
    | ListInvoicesStatusType3Type1
    | None
    | Unset = UNSET,
) -> Response[InvoicePage | Problem]:
    """The tenant's invoices, newest first

    Args:
        tenant (str): The tenant's id or slug.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        status (ListInvoicesStatusType1 | ListInvoicesStatusType2Type1 |
            ListInvoicesStatusType3Type1 | None | Unset): Only invoices in this status.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InvoicePage | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        limit=limit,
        cursor=cursor,
        status=status,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: ListInvoicesStatusType1
    | ListInvoicesStatusType2Type1
    | ListInvoicesStatusType3Type1
    | None
    | Unset = UNSET,
) -> InvoicePage | Problem | None:
    """The tenant's invoices, newest first

    Args:
        tenant (str): The tenant's id or slug.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        status (ListInvoicesStatusType1 | ListInvoicesStatusType2Type1 |
            ListInvoicesStatusType3Type1 | None | Unset): Only invoices in this status.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InvoicePage | Problem
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            client=client,
            limit=limit,
            cursor=cursor,
            status=status,
        )
    ).parsed
