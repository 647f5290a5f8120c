from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.plan_terms import PlanTerms
from ...models.plan_version import PlanVersion
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    plan: str,
    *,
    body: PlanTerms,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/admin/plans/{plan}/versions".format(
            plan=quote(str(plan), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PlanVersion | Problem | None:
    if response.status_code == 201:
        response_201 = PlanVersion.from_dict(response.json())

        return response_201

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
    *,
    client: AuthenticatedClient,
    body: PlanTerms,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[PlanVersion | Problem]:
    """Add a version of a plan's terms, in force from its effective_from (If-Match optional)

    Args:
        plan (str): The plan's key or id.
        if_match (None | str | Unset): Optional: the ETag (version) the change is based on, e.g.
            "3"; stale: 412 with the current ETag.
        idempotency_key (None | str | Unset): Makes the request safe to retry: a repeat with the
            same key and body returns the first response; the same key with another body is refused
            (409).
        body (PlanTerms):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PlanVersion | Problem]
    """

    kwargs = _get_kwargs(
        plan=plan,
        body=body,
        if_match=if_match,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    plan: str,
    *,
    client: AuthenticatedClient,
    body: PlanTerms,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> PlanVersion | Problem | None:
    """Add a version of a plan's terms, in force from its effective_from (If-Match optional)

    Args:
        plan (str): The plan's key or id.
        if_match (None | str | Unset): Optional: the ETag (version) the change is based on, e.g.
            "3"; stale: 412 with the current ETag.
        idempotency_key (None | str | Unset): Makes the request safe to retry: a repeat with the
            same key and body returns the first response; the same key with another body is refused
            (409).
        body (PlanTerms):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PlanVersion | Problem
    """

    return sync_detailed(
        plan=plan,
        client=client,
        body=body,
        if_match=if_match,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    plan: str,
    *,
    client: AuthenticatedClient,
    body: PlanTerms,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[PlanVersion | Problem]:
    """Add a version of a plan's terms, in force from its effective_from (If-Match optional)

    Args:
        plan (str): The plan's key or id.
        if_match (None | str | Unset): Optional: the ETag (version) the change is based on, e.g.
            "3"; stale: 412 with the current ETag.
        idempotency_key (None | str | Unset): Makes the request safe to retry: a repeat with the
            same key and body returns the first response; the same key with another body is refused
            (409).
        body (PlanTerms):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PlanVersion | Problem]
    """

    kwargs = _get_kwargs(
        plan=plan,
        body=body,
        if_match=if_match,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    plan: str,
    *,
    client: AuthenticatedClient,
    body: PlanTerms,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> PlanVersion | Problem | None:
    """Add a version of a plan's terms, in force from its effective_from (If-Match optional)

    Args:
        plan (str): The plan's key or id.
        if_match (None | str | Unset): Optional: the ETag (version) the change is based on, e.g.
            "3"; stale: 412 with the current ETag.
        idempotency_key (None | str | Unset): Makes the request safe to retry: a repeat with the
            same key and body returns the first response; the same key with another body is refused
            (409).
        body (PlanTerms):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PlanVersion | Problem
    """

    return (
        await asyncio_detailed(
            plan=plan,
            client=client,
            body=body,
            if_match=if_match,
            idempotency_key=idempotency_key,
        )
    ).parsed
