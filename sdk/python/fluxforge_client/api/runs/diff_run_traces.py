from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.trace_diff import TraceDiff
from ...types import UNSET, Response


def _get_kwargs(
    tenant: str,
    namespace: str,
    run_id: UUID,
    *,
    other: UUID,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_other = str(other)
    params["other"] = json_other

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tenants/{tenant}/namespaces/{namespace}/runs/{run_id}/trace/diff".format(
            tenant=quote(str(tenant), safe=""),
            namespace=quote(str(namespace), safe=""),
            run_id=quote(str(run_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | TraceDiff | None:
    if response.status_code == 200:
        response_200 = TraceDiff.from_dict(response.json())

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

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | TraceDiff]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    tenant: str,
    namespace: str,
    run_id: UUID,
    *,
    client: AuthenticatedClient,
    other: UUID,
) -> Response[Problem | TraceDiff]:
    """What differs between this run's trace and another run's of the same workflow

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        run_id (UUID): The run's id.
        other (UUID): The run to compare with.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TraceDiff]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        namespace=namespace,
        run_id=run_id,
        other=other,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    tenant: str,
    namespace: str,
    run_id: UUID,
    *,
    client: AuthenticatedClient,
    other: UUID,
) -> Problem | TraceDiff | None:
    """What differs between this run's trace and another run's of the same workflow

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        run_id (UUID): The run's id.
        other (UUID): The run to compare with.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TraceDiff
    """

    return sync_detailed(
        tenant=tenant,
        namespace=namespace,
        run_id=run_id,
        client=client,
        other=other,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    namespace: str,
    run_id: UUID,
    *,
    client: AuthenticatedClient,
    other: UUID,
) -> Response[Problem | TraceDiff]:
    """What differs between this run's trace and another run's of the same workflow

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        run_id (UUID): The run's id.
        other (UUID): The run to compare with.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TraceDiff]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        namespace=namespace,
        run_id=run_id,
        other=other,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    namespace: str,
    run_id: UUID,
    *,
    client: AuthenticatedClient,
    other: UUID,
) -> Problem | TraceDiff | None:
    """What differs between this run's trace and another run's of the same workflow

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        run_id (UUID): The run's id.
        other (UUID): The run to compare with.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TraceDiff
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            namespace=namespace,
            run_id=run_id,
            client=client,
            other=other,
        )
    ).parsed
