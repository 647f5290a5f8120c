"""Invoicing's units of work: closing a period, the lifecycle transitions and recomputing a line.

Callable from code (a scheduled job, a script, the benchmark) as well as from the admin API.
Closing takes the Database, because it needs two transactions; the transitions take a
platform-scoped connection, so that a caller can add to the same transaction (the API claims
its Idempotency-Key there) and everything commits or rolls back together.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext, AuditEntry
from fluxforge.billing.catalog import repository as catalog
from fluxforge.billing.invoices import logic, repository
from fluxforge.billing.invoices.lifecycle import Action, IllegalTransition, creditable_amount, next_status
from fluxforge.billing.invoices.models import (
    CreditNote,
    Invoice,
    InvoiceDraft,
    InvoiceLine,
    InvoiceSummary,
    Issuer,
    LineDraft,
    PeriodCloseResult,
)
from fluxforge.conventions import check_version, new_id
from fluxforge.db import Connection, Database
from fluxforge.errors import Conflict, NotFound
from fluxforge.metering import repository as metering
from fluxforge.metering.models import UsageTotal


class InvalidTransition(Conflict):
    kind = "invalid-invoice-transition"


class NothingToCredit(Conflict):
    kind = "credit-exceeds-invoice"


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
