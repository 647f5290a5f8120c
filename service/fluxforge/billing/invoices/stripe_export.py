"""Exporting an issued invoice to Stripe: customer, draft invoice, one item per line, finalize.

Retry-safe by two means that cover each other:

- every Stripe call carries an idempotency key derived from our ids (`fluxforge-customer-<tenant>`,
  `fluxforge-invoice-<invoice>`, `fluxforge-item-<invoice>-<position>`, `fluxforge-finalize-<invoice>`),
  so a call repeated after a crash that lost Stripe's answer returns the object made the first
  time instead of making another;
- every Stripe id is stored as soon as it is known, each in its own short transaction (no
  database transaction is held open across a network call), and a re-run skips what is stored.

So an export that died anywhere is finished by running it again, and nothing is made twice.
The draft is created with `pending_invoice_items_behavior=exclude` and the items are attached
to it by id, so another invoice's items can never end up on it. Before finalizing, Stripe's
draft total is checked against ours.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import stripe

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext, AuditEntry
from fluxforge.billing.invoices import repository
from fluxforge.billing.invoices.lifecycle import EXPORTABLE, InvalidTransition
from fluxforge.billing.invoices.models import Invoice
from fluxforge.config import Settings
from fluxforge.db import Database
from fluxforge.errors import NotFound, ProblemError

EXPORTED_STATUSES = frozenset({"open", "paid", "void", "uncollectible"})
"""Stripe invoice statuses after finalization: nothing is left to export."""


class StripeNotConfigured(ProblemError):
    kind = "stripe-not-configured"


class StripeExportFailed(ProblemError):
    kind = "stripe-export-failed"


@asynccontextmanager
async def stripe_session(settings: Settings) -> AsyncIterator[stripe.StripeClient]:
    """A client for the configured Stripe account (or the local peer named by stripe_api_base),
    its connections closed afterwards."""
    if settings.stripe_api_key is None:
        raise StripeNotConfigured("set FLUXFORGE_STRIPE_API_KEY to export invoices to Stripe")
    http_client = stripe.HTTPXClient(timeout=30)
    try:
        yield stripe.StripeClient(
            settings.stripe_api_key,
            base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else None,
            http_client=http_client,
            max_network_retries=2,
        )
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]


def _options(key: str) -> Any:
    return {"idempotency_key": key}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


async def _load(db: Database, invoice_id: uuid.UUID) -> Invoice:
    async with db.platform() as conn:
        invoice = await repository.get_any(conn, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return invoice


async def sync_customer(db: Database, client: stripe.StripeClient, invoice: Invoice) -> str:
    """The tenant's Stripe customer, made once and renamed when the tenant's name changed."""
    async with db.platform() as conn:
        known = await repository.stripe_customer(conn, invoice.tenant_id)
    name = invoice.customer_name
    metadata = {"fluxforge_tenant_id": str(invoice.tenant_id), "fluxforge_tenant_slug": invoice.customer_slug}
    if known is None:
        customer = await client.v1.customers.create_async(
            {"name": name, "metadata": metadata}, _options(f"fluxforge-customer-{invoice.tenant_id}")
        )
        customer_id = customer.id
    else:
        customer_id, synced_name = known
        if synced_name == name:
            return customer_id
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        await client.v1.customers.update_async(
            customer_id,
            {"name": name, "metadata": metadata},
            _options(f"fluxforge-customer-{invoice.tenant_id}-name-{digest}"),
        )
    async with db.platform() as conn:
        await repository.save_stripe_customer(conn, invoice.tenant_id, customer_id, invoice.customer_name)
        known = await repository.stripe_customer(conn, invoice.tenant_id)
    assert known is not None
    return known[0]


async def export_invoice(
    db: Database, client: stripe.StripeClient, invoice_id: uuid.UUID, *, context: AuditContext
) -> Invoice:
    """Export an issued invoice to Stripe, or finish an export that stopped midway."""
    invoice = await _load(db, invoice_id)
    if invoice.status not in EXPORTABLE:
        raise InvalidTransition(f"an invoice that is {invoice.status} is not exported; finalize it first")
    if invoice.stripe is not None and invoice.stripe.status in EXPORTED_STATUSES:
        return invoice
    assert invoice.number is not None  # issued invoices are numbered and dated
    assert invoice.issued_at is not None
    assert invoice.due_at is not None
    try:
        customer_id = await sync_customer(db, client, invoice)
        stripe_invoice_id = invoice.stripe.invoice_id if invoice.stripe is not None else None
        if stripe_invoice_id is None:
            created = await client.v1.invoices.create_async(
                {
                    "customer": customer_id,
                    "currency": invoice.currency.lower(),
                    "auto_advance": False,
                    "collection_method": "send_invoice",
                    "days_until_due": max((invoice.due_at - invoice.issued_at).days, 1),
                    "pending_invoice_items_behavior": "exclude",
                    "number": invoice.number,
                    "description": f"Invoice {invoice.number}",
                    "metadata": {
                        "fluxforge_invoice_id": str(invoice.id),
                        "fluxforge_tenant_id": str(invoice.tenant_id),
                        "fluxforge_number": invoice.number,
                    },
                },
                _options(f"fluxforge-invoice-{invoice.id}"),
            )
            async with db.platform() as conn:
                await repository.save_stripe_invoice(conn, invoice, created.id)
                stripe_invoice_id = await repository.stripe_invoice_id(conn, invoice)
            assert stripe_invoice_id is not None
        for line in invoice.lines:
            if line.stripe_invoice_item_id is not None or line.amount == 0:
                continue
            item = await client.v1.invoice_items.create_async(
                {
                    "customer": customer_id,
                    "invoice": stripe_invoice_id,
                    "amount": line.amount,
                    "currency": invoice.currency.lower(),
                    "description": line.description,
                    "period": {"start": _epoch(line.source.window_start), "end": _epoch(line.source.window_end)},
                    "metadata": {"fluxforge_invoice_id": str(invoice.id), "fluxforge_line": str(line.position)},
                },
                _options(f"fluxforge-item-{invoice.id}-{line.position}"),
            )
            async with db.platform() as conn:
                await repository.save_stripe_item(conn, invoice, line.position, item.id)
        draft = await client.v1.invoices.retrieve_async(stripe_invoice_id)
        if draft.status == "draft":
            if draft.total != invoice.total:
                raise StripeExportFailed(
                    f"Stripe's draft {stripe_invoice_id} totals {draft.total}, invoice {invoice.number} "
                    f"{invoice.total} minor units; left as a draft at Stripe for a person to check"
                )
            draft = await client.v1.invoices.finalize_invoice_async(
                stripe_invoice_id, {"auto_advance": False}, _options(f"fluxforge-finalize-{invoice.id}")
            )
    except stripe.StripeError as exc:
        raise StripeExportFailed(f"Stripe export of {invoice.number} stopped: {exc.user_message or exc}") from None
    async with db.platform() as conn:
        await repository.save_stripe_status(conn, invoice, draft.status or "open")
        await audit.record(
            conn,
            context,
            AuditEntry(
                invoice.tenant_id,
                "invoice.stripe_export",
                "invoice",
                str(invoice.id),
                None,
                {"stripe_customer_id": customer_id, "stripe_invoice_id": stripe_invoice_id, "status": draft.status},
            ),
        )
    return await _load(db, invoice_id)
