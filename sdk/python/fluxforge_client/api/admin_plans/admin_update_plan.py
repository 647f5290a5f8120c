from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.plan import Plan
from ...models.plan_patch import PlanPatch
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    plan: str,
    *,
    body: PlanPatch,
    if_match: None | str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["If-Match"] = if_match

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/v1/admin/plans/{plan}".format(
            plan=quote(str(plan), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

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

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 428:
        response_428 = Problem.from_dict(response.json())

        return response_428

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
    *,
    client: AuthenticatedClient,
    body: PlanPatch,
    if_match: None | str,
) -> Response[Plan | Problem]:
    """Rename, describe or retire a plan (JSON merge patch; needs If-Match)

    Args:
        plan (str): The plan's key or id.
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.
        body (PlanPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Plan | Problem]
    """

    kwargs = _get_kwargs(
        plan=plan,
        body=body,
        if_match=if_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    plan: str,
    *,
    client: AuthenticatedClient,
    body: PlanPatch,
    if_match: None | str,
) -> Plan | Problem | None:
    """Rename, describe or retire a plan (JSON merge patch; needs If-Match)

    Args:
        plan (str): The plan's key or id.
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.
        body (PlanPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Plan | Problem
    """

    return sync_detailed(
        plan=plan,
        client=client,
        body=body,
        if_match=if_match,
    ).parsed


async def asyncio_detailed(
    plan: str,
    *,
    client: AuthenticatedClient,
    body: PlanPatch,
    if_match: None | str,
) -> Response[Plan | Problem]:
    """Rename, describe or retire a plan (JSON merge patch; needs If-Match)

    Args:
        plan (str): The plan's key or id.
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.
        body (PlanPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Plan | Problem]
    """

    kwargs = _get_kwargs(
        plan=plan,
        body=body,
        if_match=if_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    plan: str,
    *,
    client: AuthenticatedClient,
    body: PlanPatch,
    if_match: None | str,
) -> Plan | Problem | None:
    """Rename, describe or retire a plan (JSON merge patch; needs If-Match)

    Args:
        plan (str): The plan's key or id.
        if_match (None | str): The ETag (version) the change is based on, e.g. "3". Missing: 428;
            stale: 412 with the current ETag.
        body (PlanPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Plan | Problem
    """

    return (
        await asyncio_detailed(
            plan=plan,
            client=client,
            body=body,
            if_match=if_match,
        )
    ).parsed
