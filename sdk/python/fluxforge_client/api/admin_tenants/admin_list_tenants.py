from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.admin_list_tenants_status_type_1 import AdminListTenantsStatusType1
from ...models.admin_list_tenants_status_type_2_type_1 import AdminListTenantsStatusType2Type1
from ...models.admin_list_tenants_status_type_3_type_1 import AdminListTenantsStatusType3Type1
from ...models.problem import Problem
from ...models.tenant_page import TenantPage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: AdminListTenantsStatusType1
    | AdminListTenantsStatusType2Type1
    | AdminListTenantsStatusType3Type1
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
    elif isinstance(status, AdminListTenantsStatusType1):
        json_status = status.value
    elif isinstance(status, AdminListTenantsStatusType2Type1):
        json_status = status.value
    elif isinstance(status, AdminListTenantsStatusType3Type1):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/admin/tenants",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | TenantPage | None:
    if response.status_code == 200:
        response_200 = TenantPage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | TenantPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: AdminListTenantsStatusType1
    | AdminListTenantsStatusType2Type1
    | AdminListTenantsStatusType3Type1
    | None
    | Unset = UNSET,
) -> Response[Problem | TenantPage]:
    """List tenants

    Args:
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        status (AdminListTenantsStatusType1 | AdminListTenantsStatusType2Type1 |
            AdminListTenantsStatusType3Type1 | None | Unset): Only tenants in this status (default:
            all but deleted).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TenantPage]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: AdminListTenantsStatusType1
    | AdminListTenantsStatusType2Type1
    | AdminListTenantsStatusType3Type1
    | None
    | Unset = UNSET,
) -> Problem | TenantPage | None:
    """List tenants

    Args:
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        status (AdminListTenantsStatusType1 | AdminListTenantsStatusType2Type1 |
            AdminListTenantsStatusType3Type1 | None | Unset): Only tenants in this status (default:
            all but deleted).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TenantPage
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        status=status,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: AdminListTenantsStatusType1
    | AdminListTenantsStatusType2Type1
    | AdminListTenantsStatusType3Type1
    | None
    | Unset = UNSET,
) -> Response[Problem | TenantPage]:
    """List tenants

    Args:
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        status (AdminListTenantsStatusType1 | AdminListTenantsStatusType2Type1 |
            AdminListTenantsStatusType3Type1 | None | Unset): Only tenants in this status (default:
            all but deleted).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TenantPage]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    status: AdminListTenantsStatusType1
    | AdminListTenantsStatusType2Type1
    | AdminListTenantsStatusType3Type1
    | None
    | Unset = UNSET,
) -> Problem | TenantPage | None:
    """List tenants

    Args:
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        status (AdminListTenantsStatusType1 | AdminListTenantsStatusType2Type1 |
            AdminListTenantsStatusType3Type1 | None | Unset): Only tenants in this status (default:
            all but deleted).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TenantPage
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            status=status,
        )
    ).parsed
