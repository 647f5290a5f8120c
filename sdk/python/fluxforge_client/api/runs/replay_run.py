from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.replay_report import ReplayReport
from ...types import Response


def _get_kwargs(
    tenant: str,
    namespace: str,
    run_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/tenants/{tenant}/namespaces/{namespace}/runs/{run_id}/replay".format(
            tenant=quote(str(tenant), safe=""),
            namespace=quote(str(namespace), safe=""),
            run_id=quote(str(run_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | ReplayReport | None:
    if response.status_code == 200:
        response_200 = ReplayReport.from_dict(response.json())

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
) -> Response[Problem | ReplayReport]:
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
) -> Response[Problem | ReplayReport]:
    """Re-walk a run's plan against its recorded outputs; verify its order and result

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        run_id (UUID): The run's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReplayReport]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        namespace=namespace,
        run_id=run_id,
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
) -> Problem | ReplayReport | None:
    """Re-walk a run's plan against its recorded outputs; verify its order and result

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        run_id (UUID): The run's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReplayReport
    """

    return sync_detailed(
        tenant=tenant,
        namespace=namespace,
        run_id=run_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    tenant: str,
    namespace: str,
    run_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | ReplayReport]:
    """Re-walk a run's plan against its recorded outputs; verify its order and result

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        run_id (UUID): The run's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReplayReport]
    """

    kwargs = _get_kwargs(
        tenant=tenant,
        namespace=namespace,
        run_id=run_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    tenant: str,
    namespace: str,
    run_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Problem | ReplayReport | None:
    """Re-walk a run's plan against its recorded outputs; verify its order and result

    Args:
        tenant (str): The tenant's id or slug.
        namespace (str): The namespace's name.
        run_id (UUID): The run's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReplayReport
    """

    return (
        await asyncio_detailed(
            tenant=tenant,
            namespace=namespace,
            run_id=run_id,
            client=client,
        )
    ).parsed
