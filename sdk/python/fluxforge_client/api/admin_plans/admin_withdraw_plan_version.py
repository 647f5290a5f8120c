from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.plan import Plan
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    plan: str,
    version: int,
    *,
    if_match: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/admin/plans/{plan}/versions/{version}".format(
            plan=quote(str(plan), safe=""),
            version=quote(str(version), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Plan | Problem | None:
    if response.status_code == 200:
        response_200 = Plan.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 412:
        response_412 = Problem.from_dict(response.json())

        return response_412

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Plan | Problem]:
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
    if_match: None | str | Unset = UNSET,
) -> Response[Plan | Problem]:
    """Withdraw a version that has not taken effect yet (If-Match optional)

    Args:
        plan (str): The plan's key or id.
        version (int): The plan version's number.
        if_match (None | str | Unset): Optional: the ETag (version) the change is based on, e.g.
            "3"; stale: 412 with the current ETag.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Plan | Problem]
    """

    kwargs = _get_kwargs(
        plan=plan,
        version=version,
        if_match=if_match,
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
    if_match: None | str | Unset = UNSET,
) -> Plan | Problem | None:
    """Withdraw a version that has not taken effect yet (If-Match optional)

    Args:
        plan (str): The plan's key or id.
        version (int): The plan version's number.
        if_match (None | str | Unset): Optional: the ETag (version) the change is based on, e.g.
            "3"; stale: 412 with the current ETag.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Plan | Problem
    """

    return sync_detailed(
        plan=plan,
        version=version,
        client=client,
        if_match=if_match,
    ).parsed


async def asyncio_detailed(
    plan: str,
    version: int,
    *,
    client: AuthenticatedClient,
    if_match: None | str | Unset = UNSET,
) -> Response[Plan | Problem]:
    """Withdraw a version that has not taken effect yet (If-Match optional)

    Args:
        plan (str): The plan's key or id.
        version (int): The plan version's number.
        if_match (None | str | Unset): Optional: the ETag (version) the change is based on, e.g.
            "3"; stale: 412 with the current ETag.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Plan | Problem]
    """

    kwargs = _get_kwargs(
        plan=plan,
        version=version,
        if_match=if_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    plan: str,
    version: int,
    *,
    client: AuthenticatedClient,
    if_match: None | str | Unset = UNSET,
) -> Plan | Problem | None:
    """Withdraw a version that has not taken effect yet (If-Match optional)

    Args:
        plan (str): The plan's key or id.
        version (int): The plan version's number.
        if_match (None | str | Unset): Optional: the ETag (version) the change is based on, e.g.
            "3"; stale: 412 with the current ETag.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Plan | Problem
    """

    return (
        await asyncio_detailed(
            plan=plan,
            version=version,
            client=client,
            if_match=if_match,
        )
    ).parsed
