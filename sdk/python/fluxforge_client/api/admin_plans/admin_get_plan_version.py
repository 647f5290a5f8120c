from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.plan_version import PlanVersion
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    plan: str,
    version: int,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/admin/plans/{plan}/versions/{version}".format(
            plan=quote(str(plan), safe=""),
            version=quote(str(version), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PlanVersion | Problem | None:
    if response.status_code == 200:
        response_200 = PlanVersion.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PlanVersion | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    plan: str,
    version: int,
    *,
    client: AuthenticatedClient,
) -> Response[PlanVersion | Problem]:
    """Get one version of a plan's terms

    Args:
        plan (str): The plan's key or id.
        version (int): The plan version's number.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PlanVersion | Problem]
    """

    kwargs = _get_kwargs(
        plan=plan,
        version=version,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    plan: str,
    version: int,
    *,
    client: AuthenticatedClient,
) -> PlanVersion | Problem | None:
    """Get one version of a plan's terms

    Args:
        plan (str): The plan's key or id.
        version (int): The plan version's number.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PlanVersion | Problem
    """

    return sync_detailed(
        plan=plan,
        version=version,
        client=client,
    ).parsed


async def asyncio_detailed(
    plan: str,
    version: int,
    *,
    client: AuthenticatedClient,
) -> Response[PlanVersion | Problem]:
    """Get one version of a plan's terms

    Args:
        plan (str): The plan's key or id.
        version (int): The plan version's number.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PlanVersion | Problem]
    """

    kwargs = _get_kwargs(
        plan=plan,
        version=version,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    plan: str,
    version: int,
    *,
    client: AuthenticatedClient,
) -> PlanVersion | Problem | None:
    """Get one version of a plan's terms

    Args:
        plan (str): The plan's key or id.
        version (int): The plan version's number.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PlanVersion | Problem
    """

    return (
        await asyncio_detailed(
            plan=plan,
            version=version,
            client=client,
        )
    ).parsed
