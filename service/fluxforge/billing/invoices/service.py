"""Invoicing's units of work: closing a period, reading invoices and their documents, the
lifecycle transitions, credit notes, the Stripe export and its webhooks, and recomputing a line.

Callable from code (a scheduled job, a script, the benchmark) as well as from the API. The
functions that take the Database open and own their transaction; closing needs two. The
lifecycle steps underneath (`finalize`, `transition`, `create_credit_note`) take a
platform-scoped connection, so that a caller can add to the same transaction (a Stripe webhook
records the event it applies there) and everything commits or rolls back together.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import stripe
from redis.asyncio import Redis

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext, AuditEntry
from fluxforge.billing.catalog import repository as catalog
from fluxforge.billing.invoices import logic, pdf_cache, render, repository
from fluxforge.billing.invoices.lifecycle import (
    Action,
    IllegalTransition,
    InvalidTransition,
    NothingToCredit,
    creditable_amount,
    next_status,
)
from fluxforge.billing.invoices.models import (
    CreditNote,
    CreditNoteCreate,
    Invoice,
    InvoiceDraft,
    InvoiceLine,
    InvoiceStatus,
    InvoiceSummary,
    Issuer,
    LineDraft,
    PeriodCloseResult,
    WebhookAck,
)
from fluxforge.billing.invoices.stripe_export import export_invoice, stripe_session
from fluxforge.config import Settings
from fluxforge.conventions import check_version, new_id
from fluxforge.db import Connection, Database
from fluxforge.errors import Conflict, NotFound
from fluxforge.idempotency import Once, StoredResponse, remember, replay
from fluxforge.metering import repository as metering
from fluxforge.metering.models import UsageTotal
from fluxforge.rbac.models import TenantInfo

FileFormat = Literal["csv", "pdf"]
"""The downloadable forms of an invoice besides its JSON; each is also the file's extension."""
MEDIA_TYPES: dict[FileFormat, str] = {"csv": render.CSV_MEDIA_TYPE, "pdf": render.PDF_MEDIA_TYPE}

STRIPE_EVENT_ACTIONS: dict[str, Action] = {
    "invoice.paid": "mark_paid",
    "invoice.payment_succeeded": "mark_paid",
    "invoice.payment_failed": "mark_payment_failed",
}
"""The Stripe events a webhook applies, and the lifecycle action each one is."""


def issuer_of(settings: Settings) -> Issuer:
    return Issuer(settings.invoice_issuer_name, settings.invoice_issuer_address)


def _summary_snapshot(invoice: InvoiceSummary) -> dict[str, object]:
    return {
        "status": invoice.status,
        "number": invoice.number,
        "total": invoice.total,
        "credited": invoice.credited,
        "currency": invoice.currency,
        "period_start": invoice.period_start.isoformat(),
        "period_end": invoice.period_end.isoformat(),
        "version": invoice.version,
    }


async def _audit(
    conn: Connection,
    context: AuditContext,
    invoice: InvoiceSummary,
    action: str,
    before: InvoiceSummary | None,
    after: InvoiceSummary | dict[str, object],
) -> None:
    after_snapshot = after if isinstance(after, dict) else _summary_snapshot(after)
    entry = AuditEntry(
        invoice.tenant_id,
        action,
        action.split(".", 1)[0],
        str(invoice.id),
        _summary_snapshot(before) if before is not None else None,
        after_snapshot,
    )
    await audit.record(conn, context, entry)


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceFile:
    """An invoice as a download: its lines as CSV or the printable PDF."""

    media_type: str
    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """An invoice, and the file it was asked for as (None when the invoice itself is the answer)."""

    invoice: Invoice
    file: InvoiceFile | None


async def list_invoices(
    db: Database, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int, status: InvoiceStatus | None
) -> list[InvoiceSummary]:
    async with db.tenant(tenant_id) as conn:
        return await repository.list_page(conn, tenant_id=tenant_id, after=after, limit=limit, status=status)


async def list_all_invoices(
    db: Database,
    *,
    after: uuid.UUID | None,
    limit: int,
    status: InvoiceStatus | None,
    period_start: datetime | None,
) -> list[InvoiceSummary]:
    async with db.platform() as conn:
        return await repository.list_page(
            conn, tenant_id=None, after=after, limit=limit, status=status, period_start=period_start
        )


async def get_invoice(
    db: Database,
    redis: Redis,
    settings: Settings,
    tenant: TenantInfo,
    invoice_id: uuid.UUID,
    as_file: FileFormat | None = None,
) -> InvoiceDocument:
    """One of the tenant's invoices, and (as_file) the document it is downloaded as."""
    async with db.tenant(tenant.id) as conn:
        invoice = await repository.get(conn, tenant.id, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id} in tenant {tenant.slug}")
    return await _document(redis, settings, invoice, as_file)


async def get_any_invoice(
    db: Database, redis: Redis, settings: Settings, invoice_id: uuid.UUID, as_file: FileFormat | None = None
) -> InvoiceDocument:
    """Any tenant's invoice, and (as_file) the document it is downloaded as."""
    async with db.platform() as conn:
        invoice = await repository.get_any(conn, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return await _document(redis, settings, invoice, as_file)


async def _document(redis: Redis, settings: Settings, invoice: Invoice, as_file: FileFormat | None) -> InvoiceDocument:
    if as_file is None:
        return InvoiceDocument(invoice, None)
    if as_file == "csv":
        content = render.csv_document(invoice)
    else:
        content = await pdf_cache.invoice_pdf(redis, settings.redis_key_prefix, invoice, issuer_of(settings))
    file = InvoiceFile(MEDIA_TYPES[as_file], render.filename(invoice, as_file), content)
    return InvoiceDocument(invoice, file)


# --- closing a period --------------------------------------------------------------------------


async def close_period(
    db: Database, *, start: datetime, end: datetime, context: AuditContext, now: datetime | None = None
) -> PeriodCloseResult:
    """Make one draft invoice per tenant subscribed during [start, end); idempotent.

    First, in its own transaction, usage ingest into the window is closed and the period is
    recorded, so that no event can land in it while (or after) it is priced. Then, in one
    transaction, every tenant that has no invoice for the period yet gets one: its segments and
    their usage are read in a handful of queries (tenants sharing a usage window share a query)
    and the drafts and their lines are written in two statements. Closing the same period again
    finds every invoice made and makes none; a crash in between leaves nothing half-made.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    logic.check_period(start, end, now or datetime.now(UTC))
    async with db.platform() as conn:
        await metering.close_usage_period(conn, start=start, end=end)
        await repository.register_period(conn, start, end)
    async with db.platform() as conn:
        done = await repository.invoiced_tenants(conn, start, end)
        segments = {
            tenant_id: tenant_segments
            for tenant_id, tenant_segments in (await catalog.period_segments(conn, start=start, end=end)).items()
            if tenant_id not in done
        }
        usage: dict[uuid.UUID, dict[logic.Window, dict[str, UsageTotal]]] = defaultdict(dict)
        for window, tenant_ids in logic.usage_windows(segments, start, end).items():
            totals = await metering.usage_totals(conn, start=window[0], end=window[1], tenant_ids=tenant_ids)
            for tenant_id, meters in logic.index_usage(totals).items():
                usage[tenant_id][window] = meters
        drafts: list[tuple[uuid.UUID, InvoiceDraft]] = []
        problems: list[str] = []
        for tenant_id in sorted(segments):
            try:
                draft = logic.build_invoice(tenant_id, (start, end), segments[tenant_id], usage.get(tenant_id, {}))
            except logic.MixedCurrencies as exc:
                problems.append(str(exc))
                continue
            drafts.append((new_id(), draft))
        if problems:
            raise Conflict("; ".join(problems) + "; change their subscriptions to one currency and close again")
        created = set(await repository.insert_drafts(conn, drafts))
        invoices = await repository.period_invoices(conn, start, end)
        for invoice in invoices:
            if invoice.id in created:
                await _audit(conn, context, invoice, "invoice.create", None, invoice)
    return PeriodCloseResult(start=start, end=end, created=len(created), invoices=invoices)


# --- the lifecycle -----------------------------------------------------------------------------


async def lock(conn: Connection, invoice_id: uuid.UUID, expected_version: int | None = None) -> InvoiceSummary:
    current = await repository.find(conn, invoice_id, for_update=True)
    if current is None:
        raise NotFound(f"no invoice {invoice_id}")
    check_version(expected_version, current.version)
    return current


def _next(current: InvoiceSummary, action: Action) -> bool:
    try:
        _, changed = next_status(current.status, action)
    except IllegalTransition as exc:
        raise InvalidTransition(str(exc)) from None
    return changed


async def detail(conn: Connection, invoice: InvoiceSummary) -> Invoice:
    found = await repository.get(conn, invoice.tenant_id, invoice.id)
    assert found is not None
    return found


async def finalize(
    conn: Connection,
    invoice_id: uuid.UUID,
    *,
    issuer: Issuer,
    context: AuditContext,
    expected_version: int | None = None,
) -> Invoice:
    """Number a draft from the issuer's counter and freeze it; finalizing it again returns it.

    The invoice row is locked before the counter row, in every finalization, so concurrent
    ones queue on the counter without deadlocking; the number is taken in this transaction,
    so a rollback returns it and the numbers issued stay gapless.
    """
    current = await lock(conn, invoice_id, expected_version)
    if not _next(current, "finalize"):
        return await detail(conn, current)
    sequence = await repository.next_number(conn, issuer.name, "invoice")
    saved = await repository.finalize(
        conn,
        current,
        issuer=issuer,
        number_seq=sequence,
        number=logic.document_number(logic.INVOICE_PREFIX, sequence),
        payment_terms=logic.PAYMENT_TERMS,
    )
    await _audit(conn, context, saved, "invoice.finalize", current, saved)
    return await detail(conn, saved)


async def transition(
    conn: Connection,
    invoice: uuid.UUID | InvoiceSummary,
    action: Action,
    *,
    context: AuditContext,
    expected_version: int | None = None,
) -> Invoice:
    """Mark an issued invoice paid or payment-failed, or void it (see lifecycle for what is legal)."""
    if action == "finalize":
        raise ValueError("finalize numbers the invoice: use finalize()")
    current = invoice if isinstance(invoice, InvoiceSummary) else await lock(conn, invoice, expected_version)
    if not _next(current, action):
        return await detail(conn, current)
    target, _ = next_status(current.status, action)
    saved = await repository.set_status(conn, current, target)
    await _audit(conn, context, saved, f"invoice.{action}", current, saved)
    return await detail(conn, saved)


async def create_credit_note(
    conn: Connection,
    invoice_id: uuid.UUID,
    *,
    reason: str,
    amount: int | None,
    context: AuditContext,
) -> CreditNote:
    """Credit an issued invoice (all that is left when `amount` is None), numbered from the
    credit-note series of the issuer that issued the invoice (CN-000001, ...)."""
    current = await lock(conn, invoice_id)
    left = creditable_amount(current.status, current.total, current.credited)
    if current.status in ("draft", "void"):
        raise InvalidTransition(f"an invoice that is {current.status} cannot be credited")
    if left == 0 or (amount is not None and amount > left):
        raise NothingToCredit(
            f"{invoice_id} has {left} minor units of {current.currency} left to credit"
            + (f", not {amount}" if amount is not None else "")
        )
    invoice = await detail(conn, current)
    assert invoice.issuer_name is not None  # issued invoices name their issuer
    sequence = await repository.next_number(conn, invoice.issuer_name, "credit_note")
    note = await repository.insert_credit_note(
        conn,
        current,
        credit_note_id=new_id(),
        issuer_name=invoice.issuer_name,
        number_seq=sequence,
        number=logic.document_number(logic.CREDIT_NOTE_PREFIX, sequence),
        amount=amount if amount is not None else left,
        reason=reason.strip(),
    )
    after = await lock(conn, invoice_id)
    await _audit(
        conn,
        context,
        after,
        "invoice.credit",
        current,
        {**_summary_snapshot(after), "credit_note": note.number, "credit_amount": note.amount},
    )
    return note


# --- the lifecycle's units of work ---------------------------------------------------------------


async def finalize_invoice(
    db: Database, settings: Settings, context: AuditContext, invoice_id: uuid.UUID, expected_version: int | None
) -> Invoice:
    """Issue a draft in the name of the configured issuer (see `finalize`)."""
    async with db.platform() as conn:
        return await finalize(
            conn, invoice_id, issuer=issuer_of(settings), context=context, expected_version=expected_version
        )


async def transition_invoice(
    db: Database, context: AuditContext, invoice_id: uuid.UUID, action: Action, expected_version: int | None
) -> Invoice:
    """Mark an invoice paid or void it, in a transaction of its own (see `transition`)."""
    async with db.platform() as conn:
        return await transition(conn, invoice_id, action, context=context, expected_version=expected_version)


async def credit_invoice(
    db: Database, context: AuditContext, invoice_id: uuid.UUID, data: CreditNoteCreate, once: Once[CreditNote] | None
) -> CreditNote | StoredResponse:
    """A credit note on an issued invoice (see `create_credit_note`), or the first response to this key."""
    async with db.platform() as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        note = await create_credit_note(conn, invoice_id, reason=data.reason, amount=data.amount, context=context)
        await remember(conn, once, note)
    return note


# --- Stripe ------------------------------------------------------------------------------------


async def export_to_stripe(db: Database, settings: Settings, context: AuditContext, invoice_id: uuid.UUID) -> Invoice:
    """Export an issued invoice to the configured Stripe account (see stripe_export)."""
    async with stripe_session(settings) as client:
        return await export_invoice(db, client, invoice_id, context=context)


async def receive_stripe_event(db: Database, context: AuditContext, event: stripe.Event) -> WebhookAck:
    """Apply a verified Stripe event once: a redelivery of an event id answers what the first
    delivery did and changes nothing; an event whose handling fails is not recorded, so Stripe's
    retry applies it."""
    async with db.platform() as conn:
        if not await repository.claim_webhook_event(conn, event.id, event.type):
            outcome = await repository.webhook_outcome(conn, event.id)
            return WebhookAck(received=True, duplicate=True, outcome=outcome or "")
        outcome = await apply_event(conn, event, context)
        await repository.set_webhook_outcome(conn, event.id, outcome)
    return WebhookAck(received=True, duplicate=False, outcome=outcome)


async def _invoice_of(conn: Connection, stripe_invoice: dict[str, Any]) -> InvoiceSummary | None:
    """Our invoice for Stripe's: by its stored Stripe id, else by the id we put in its metadata
    (an export that died before storing the Stripe id still gets its payments)."""
    stripe_id = stripe_invoice.get("id")
    if isinstance(stripe_id, str):
        found = await repository.find_by_stripe_invoice(conn, stripe_id)
        if found is not None:
            return found
    metadata = stripe_invoice.get("metadata") or {}
    try:
        ours = uuid.UUID(str(metadata.get("fluxforge_invoice_id")))
    except ValueError:
        return None
    return await repository.find(conn, ours, for_update=True)


async def apply_event(conn: Connection, event: stripe.Event, context: AuditContext) -> str:
    """Apply one verified event in the caller's transaction; the outcome, as recorded."""
    action = STRIPE_EVENT_ACTIONS.get(event.type)
    if action is None:
        return "ignored: event type not handled"
    invoice = await _invoice_of(conn, event.data.object.to_dict())
    if invoice is None:
        return "ignored: no such invoice"
    before = invoice.status
    try:
        after = await transition(conn, invoice, action, context=context)
    except InvalidTransition:
        return f"ignored: invoice {invoice.id} is {before}"
    if after.status == before:
        return f"unchanged: invoice {invoice.id} is {before}"
    return f"applied: invoice {invoice.id} {before} -> {after.status}"


# --- recomputation -----------------------------------------------------------------------------


async def recompute_line(
    conn: Connection, tenant_id: uuid.UUID, invoice_id: uuid.UUID, position: int
) -> tuple[InvoiceLine, LineDraft]:
    """A stored usage line and the same line computed again from the raw usage events of its
    window, priced by the price it was computed with. Equal unless the events changed."""
    invoice = await repository.get(conn, tenant_id, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    line = next((line for line in invoice.lines if line.position == position), None)
    if line is None or line.kind != "usage" or line.meter_key is None:
        raise NotFound(f"invoice {invoice_id} has no usage line at position {position}")
    totals = await metering.usage_totals(
        conn, start=line.source.window_start, end=line.source.window_end, tenant_ids=[tenant_id]
    )
    usage = next((t for t in totals if t.tenant_id == tenant_id and t.meter_key == line.meter_key), None)
    return line, logic.recompute_usage_line(line, usage)
