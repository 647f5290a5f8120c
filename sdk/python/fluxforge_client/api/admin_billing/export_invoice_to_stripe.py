from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.invoice import Invoice
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    invoice_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/admin/invoices/{invoice_id}/stripe-export".format(
            invoice_id=quote(str(invoice_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Invoice | Problem | None:
    if response.status_code == 200:
        response_200 = Invoice.from_dict(response.json())

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

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Invoice | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[Invoice | Problem]:
    """Export an issued invoice to Stripe (customer, items, finalized invoice); safe to repeat

     Every Stripe call carries an idempotency key derived from our ids and every Stripe id is stored as
    soon as it is known, so repeating an export that failed midway finishes it and creates nothing
    twice. 503 when Stripe is not configured, 502 when Stripe fails.

    Args:
        invoice_id (UUID): The invoice's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Invoice | Problem]
    """

    kwargs = _get_kwargs(
        invoice_id=invoice_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Invoice | Problem | None:
    """Export an issued invoice to Stripe (customer, items, finalized invoice); safe to repeat

     Every Stripe call carries an idempotency key derived from our ids and every Stripe id is stored as
    soon as it is known, so repeating an export that failed midway finishes it and creates nothing
    twice. 503 when Stripe is not configured, 502 when Stripe fails.

    Args:
        invoice_id (UUID): The invoice's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Invoice | Problem
    """

    return sync_detailed(
        invoice_id=invoice_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[Invoice | Problem]:
    """Export an issued invoice to Stripe (customer, items, finalized invoice); safe to repeat

     Every Stripe call carries an idempotency key derived from our ids and every Stripe id is stored as
    soon as it is known, so repeating an export that failed midway finishes it and creates nothing
    twice. 503 when Stripe is not configured, 502 when Stripe fails.

    Args:
        invoice_id (UUID): The invoice's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Invoice | Problem]
    """

    kwargs = _get_kwargs(
        invoice_id=invoice_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Invoice | Problem | None:
    """Export an issued invoice to Stripe (customer, items, finalized invoice); safe to repeat

     Every Stripe call carries an idempotency key derived from our ids and every Stripe id is stored as
    soon as it is known, so repeating an export that failed midway finishes it and creates nothing
    twice. 503 when Stripe is not configured, 502 when Stripe fails.

    Args:
        invoice_id (UUID): The invoice's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Invoice | Problem
    """

    return (
        await asyncio_detailed(
            invoice_id=invoice_id,
            client=client,
        )
    ).parsed
