from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.list_runs_state_type_1 import ListRunsStateType1
from ...models.list_runs_state_type_2_type_1 import ListRunsStateType2Type1
from ...models.list_runs_state_type_3_type_1 import ListRunsStateType3Type1
from ...models.problem import Problem
from ...models.run_page import RunPage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    tenant: str,
    namespace: str,
    *,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    state: ListRunsStateType1 | ListRunsStateType2Type1 | ListRunsStateType3Type1 | None | Unset = UNSET,
    workflow: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_state: None | str | Unset
    if isinstance(state, Unset):
        json_state = UNSET
    elif isinstance(state, ListRunsStateType1):
        json_state = state.value
    elif isinstance(state, ListRunsStateType2Type1):
        json_state = state.value
    elif isinstance(state, ListRunsStateType3Type1):
        json_state = state.value
    else:
        json_state = state
    params["state"] = json_state

    json_workflow: None | str | Unset
    if isinstance(workflow, Unset):
        json_workflow = UNSET
    else:
        json_workflow = workflow
    params["workflow"] = json_workflow

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tenants/{tenant}/namespaces/{namespace}/runs".format(
            tenant=quote(str(tenant), safe=""),
            namespace=quote(str(namespace), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | RunPage | None:
    if response.status_code == 200:
        response_200 = RunPage.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | RunPage]:
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
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    state: ListRunsStateType1 | ListRunsStateType2Type1 | ListRunsStateType3Type1 | None | Unset = UNSET,
    workflow: None | str | Unset = UNSET,
) -> Response[Problem | RunPage]:
    """List the namespace's runs, newest first, optionally by state or workflow

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        state (ListRunsStateType1 | ListRunsStateType2Type1 | ListRunsStateType3Type1 | None |
            Unset): Only runs in this state.
        workflow (None | str | Unset): Only runs of this workflow.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RunPage]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        namespace=namespace,
        limit=limit,
        cursor=cursor,
        state=state,
        workflow=workflow,
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
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    state: ListRunsStateType1 | ListRunsStateType2Type1 | ListRunsStateType3Type1 | None | Unset = UNSET,
    workflow: None | str | Unset = UNSET,
) -> Problem | RunPage | None:
    """List the namespace's runs, newest first, optionally by state or workflow

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        state (ListRunsStateType1 | ListRunsStateType2Type1 | ListRunsStateType3Type1 | None |
            Unset): Only runs in this state.
        workflow (None | str | Unset): Only runs of this workflow.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RunPage
    """

    return sync_detailed(
        tenant=tenant,
        namespace=namespace,
        client=client,
        limit=limit,
        cursor=cursor,
        state=state,
        workflow=workflow,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    namespace: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    state: ListRunsStateType1 | ListRunsStateType2Type1 | ListRunsStateType3Type1 | None | Unset = UNSET,
    workflow: None | str | Unset = UNSET,
) -> Response[Problem | RunPage]:
    """List the namespace's runs, newest first, optionally by state or workflow

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        state (ListRunsStateType1 | ListRunsStateType2Type1 | ListRunsStateType3Type1 | None |
            Unset): Only runs in this state.
        workflow (None | str | Unset): Only runs of this workflow.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RunPage]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        namespace=namespace,
        limit=limit,
        cursor=cursor,
        state=state,
        workflow=workflow,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    namespace: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    state: ListRunsStateType1 | ListRunsStateType2Type1 | ListRunsStateType3Type1 | None | Unset = UNSET,
    workflow: None | str | Unset = UNSET,
) -> Problem | RunPage | None:
    """List the namespace's runs, newest first, optionally by state or workflow

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        limit (int | Unset): Page size (1-200). Default: 50.
        cursor (None | str | Unset): The next_cursor of the previous page; omit for the first
            page.
        state (ListRunsStateType1 | ListRunsStateType2Type1 | ListRunsStateType3Type1 | None |
            Unset): Only runs in this state.
        workflow (None | str | Unset): Only runs of this workflow.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RunPage
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            namespace=namespace,
            client=client,
            limit=limit,
            cursor=cursor,
            state=state,
            workflow=workflow,
        )
    ).parsed
