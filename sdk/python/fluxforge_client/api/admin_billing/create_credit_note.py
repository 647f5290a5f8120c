from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.credit_note import CreditNote
from ...models.credit_note_create import CreditNoteCreate
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    invoice_id: UUID,
    *,
    body: CreditNoteCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/admin/invoices/{invoice_id}/credit-notes".format(
            invoice_id=quote(str(invoice_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> CreditNote | Problem | None:
    if response.status_code == 201:
        response_201 = CreditNote.from_dict(response.json())

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

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CreditNote | Problem]:
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
    body: CreditNoteCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[CreditNote | Problem]:
    """Credit an issued invoice, in part or (without amount) in full

     Credit notes are numbered CN-000001, ... in their own gapless series per issuer. More than the
    invoice has left to credit answers 409.

    Args:
        invoice_id (UUID): The invoice's id.
        idempotency_key (None | str | Unset): Makes the request safe to retry: a repeat with the
            same key and body returns the first response; the same key with another body is refused
            (409).
        body (CreditNoteCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreditNote | Problem]
    """

    kwargs = _get_kwargs(
        invoice_id=invoice_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
    body: CreditNoteCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> CreditNote | Problem | None:
    """Credit an issued invoice, in part or (without amount) in full

     Credit notes are numbered CN-000001, ... in their own gapless series per issuer. More than the
    invoice has left to credit answers 409.

    Args:
        invoice_id (UUID): The invoice's id.
        idempotency_key (None | str | Unset): Makes the request safe to retry: a repeat with the
            same key and body returns the first response; the same key with another body is refused
            (409).
        body (CreditNoteCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreditNote | Problem
    """

    return sync_detailed(
        invoice_id=invoice_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
    body: CreditNoteCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[CreditNote | Problem]:
    """Credit an issued invoice, in part or (without amount) in full

     Credit notes are numbered CN-000001, ... in their own gapless series per issuer. More than the
    invoice has left to credit answers 409.

    Args:
        invoice_id (UUID): The invoice's id.
        idempotency_key (None | str | Unset): Makes the request safe to retry: a repeat with the
            same key and body returns the first response; the same key with another body is refused
            (409).
        body (CreditNoteCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreditNote | Problem]
    """

    kwargs = _get_kwargs(
        invoice_id=invoice_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    invoice_id: UUID,
    *,
    client: AuthenticatedClient,
    body: CreditNoteCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> CreditNote | Problem | None:
    """Credit an issued invoice, in part or (without amount) in full

     Credit notes are numbered CN-000001, ... in their own gapless series per issuer. More than the
    invoice has left to credit answers 409.

    Args:
        invoice_id (UUID): The invoice's id.
        idempotency_key (None | str | Unset): Makes the request safe to retry: a repeat with the
            same key and body returns the first response; the same key with another body is refused
            (409).
        body (CreditNoteCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreditNote | Problem
    """

    return (
        await asyncio_detailed(
            invoice_id=invoice_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
