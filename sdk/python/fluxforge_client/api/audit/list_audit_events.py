import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_event_page import AuditEventPage
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    tenant: str,
    *,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    actor: None | str | Unset = UNSET,
    action: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_actor: None | str | Unset
    if isinstance(actor, Unset):
        json_actor = UNSET
    else:
        json_actor = actor
    params["actor"] = json_actor

    json_action: None | str | Unset
    if isinstance(action, Unset):
        json_action = UNSET
    else:
        json_action = action
    params["action"] = json_action

    json_since: None | str | Unset
    if isinstance(since, Unset):
        json_since = UNSET
    elif isinstance(since, datetime.datetime):
        json_since = since.isoformat()
    else:
        json_since = since
    params["since"] = json_since

    json_until: None | str | Unset
    if isinstance(until, Unset):
        json_until = UNSET
    elif isinstance(until, datetime.datetime):
        json_until = until.isoformat()
    else:
        json_until = until
    params["until"] = json_until

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tenants/{tenant}/audit-events".format(
            tenant=quote(str(tenant), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AuditEventPage | Problem | None:
    if response.status_code == 200:
        response_200 = AuditEventPage.from_dict(response.json())

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
) -> Response[AuditEventPage | Problem]:
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
    actor: None | str | Unset = UNSET,
    action: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
) -> Response[AuditEventPage | Problem]:
    """Audit events of the tenant, newest first, filtered by actor, action and time

    Args:
        tenant (str): The tenant's id or slug.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        actor (None | str | Unset): Only events by this actor, e.g. `user:<id>` or `api_key:<id>`.
        action (None | str | Unset): Only events with this action (`tenant.update`), or, ending in
            `*`, with this prefix (`tenant.*`).
        since (datetime.datetime | None | Unset): Only events at or after this RFC 3339 date-time
            (with offset, e.g. `Z`).
        until (datetime.datetime | None | Unset): Only events before this RFC 3339 date-time
            (exclusive, so windows do not overlap).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditEventPage | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        limit=limit,
        cursor=cursor,
        actor=actor,
        action=action,
        since=since,
        until=until,
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
    actor: None | str | Unset = UNSET,
    action: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
) -> AuditEventPage | Problem | None:
    """Audit events of the tenant, newest first, filtered by actor, action and time

    Args:
        tenant (str): The tenant's id or slug.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        actor (None | str | Unset): Only events by this actor, e.g. `user:<id>` or `api_key:<id>`.
        action (None | str | Unset): Only events with this action (`tenant.update`), or, ending in
            `*`, with this prefix (`tenant.*`).
        since (datetime.datetime | None | Unset): Only events at or after this RFC 3339 date-time
            (with offset, e.g. `Z`).
        until (datetime.datetime | None | Unset): Only events before this RFC 3339 date-time
            (exclusive, so windows do not overlap).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditEventPage | Problem
    """

    return sync_detailed(
        tenant=tenant,
        client=client,
        limit=limit,
        cursor=cursor,
        actor=actor,
        action=action,
        since=since,
        until=until,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    actor: None | str | Unset = UNSET,
    action: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
) -> Response[AuditEventPage | Problem]:
    """Audit events of the tenant, newest first, filtered by actor, action and time

    Args:
        tenant (str): The tenant's id or slug.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        actor (None | str | Unset): Only events by this actor, e.g. `user:<id>` or `api_key:<id>`.
        action (None | str | Unset): Only events with this action (`tenant.update`), or, ending in
            `*`, with this prefix (`tenant.*`).
        since (datetime.datetime | None | Unset): Only events at or after this RFC 3339 date-time
            (with offset, e.g. `Z`).
        until (datetime.datetime | None | Unset): Only events before this RFC 3339 date-time
            (exclusive, so windows do not overlap).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditEventPage | Problem]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        limit=limit,
        cursor=cursor,
        actor=actor,
        action=action,
        since=since,
        until=until,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    actor: None | str | Unset = UNSET,
    action: None | str | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
) -> AuditEventPage | Problem | None:
    """Audit events of the tenant, newest first, filtered by actor, action and time

    Args:
        tenant (str): The tenant's id or slug.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        actor (None | str | Unset): Only events by this actor, e.g. `user:<id>` or `api_key:<id>`.
        action (None | str | Unset): Only events with this action (`tenant.update`), or, ending in
            `*`, with this prefix (`tenant.*`).
        since (datetime.datetime | None | Unset): Only events at or after this RFC 3339 date-time
            (with offset, e.g. `Z`).
        until (datetime.datetime | None | Unset): Only events before this RFC 3339 date-time
            (exclusive, so windows do not overlap).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditEventPage | Problem
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            client=client,
            limit=limit,
            cursor=cursor,
            actor=actor,
            action=action,
            since=since,
            until=until,
        )
    ).parsed
