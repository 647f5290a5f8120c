"""SQL for invoices, their lines, credit notes, number counters and Stripe references.

Period-wide work (closing, webhooks, admin transitions) runs on platform-scoped connections;
tenant reads on tenant-scoped ones, and name the tenant anyway so the planner uses the keys.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec

from fluxforge.billing.catalog.pricing import Price
from fluxforge.billing.invoices.models import (
    CreditNote,
    Invoice,
    InvoiceDraft,
    InvoiceLine,
    InvoiceStatus,
    InvoiceSummary,
    Issuer,
    LineSource,
    StripeRef,
    TierLine,
)
from fluxforge.db import Connection
from fluxforge.errors import Conflict

_SUMMARY = (
    "tenant_id, id, customer_slug, customer_name, status, number, currency, period_start, period_end, "
    "issued_at, due_at, subtotal, total, credited, version, created_at, updated_at"
)
_DETAIL = (
    _SUMMARY + ", issuer_name, issuer_address, finalized_at, paid_at, payment_failed_at, voided_at, "
    "stripe_invoice_id, stripe_status, stripe_exported_at"
)
_LINE = (
    "position, kind, description, meter_key, quantity, billable_quantity, unit_price, amount, tiers, "
    "window_start, window_end, event_count, plan_id, plan_key, plan_version, price, stripe_invoice_item_id"
)
_CREDIT_NOTE = "id, invoice_id, number, issuer_name, currency, amount, reason, issued_at"
_json = msgspec.json.Encoder()


def _summary(row: asyncpg.Record) -> InvoiceSummary:
    return InvoiceSummary(**{name: row[name] for name in InvoiceSummary.__struct_fields__})


def _line(row: asyncpg.Record) -> InvoiceLine:
    return InvoiceLine(
        position=row["position"],
        kind=row["kind"],
        description=row["description"],
        meter_key=row["meter_key"],
        quantity=row["quantity"],
        billable_quantity=row["billable_quantity"],
        unit_price=row["unit_price"],
        amount=row["amount"],
        tiers=msgspec.convert(row["tiers"], list[TierLine]),
        source=LineSource(
            window_start=row["window_start"],
            window_end=row["window_end"],
            plan_id=row["plan_id"],
            plan_key=row["plan_key"],
            plan_version=row["plan_version"],
            event_count=row["event_count"],
            price=None if row["price"] is None else msgspec.convert(row["price"], Price),
        ),
        stripe_invoice_item_id=row["stripe_invoice_item_id"],
    )


# --- closing periods -------------------------------------------------------------------------


async def register_period(conn: Connection, start: datetime, end: datetime) -> None:
    """Record the period as closed; closing it again is fine, overlapping it is not."""
    try:
        await conn.execute(
            """
            INSERT INTO billing_periods (period_start, period_end) VALUES ($1, $2)
            ON CONFLICT (period_start, period_end) DO NOTHING
            """,
            start,
            end,
        )
    except asyncpg.ExclusionViolationError:
        raise Conflict(
            f"[{start.isoformat()}, {end.isoformat()}) overlaps a billing period closed before; "
            "close exactly that period again, or one that does not overlap it"
        ) from None


async def invoiced_tenants(conn: Connection, start: datetime, end: datetime) -> set[uuid.UUID]:
    rows = await conn.fetch("SELECT tenant_id FROM invoices WHERE period_start = $1 AND period_end = $2", start, end)
    return {row["tenant_id"] for row in rows}


async def insert_drafts(conn: Connection, drafts: list[tuple[uuid.UUID, InvoiceDraft]]) -> list[uuid.UUID]:
    """Insert draft invoices (id, draft) of one period with their lines, in two statements.

    A tenant that already has an invoice for the period (a concurrent close got there first)
    is skipped, lines and all; rows go in key order so concurrent closes cannot deadlock.
    Returns the ids actually inserted.
    """
    if not drafts:
        return []
    drafts = sorted(drafts, key=lambda item: item[1].tenant_id)
    start, end = drafts[0][1].period_start, drafts[0][1].period_end
    rows = await conn.fetch(
        """
        INSERT INTO invoices (tenant_id, id, period_start, period_end, currency, subtotal, total,
                              customer_name, customer_slug)
        SELECT d.tenant_id, d.id, $1, $2, d.currency, d.subtotal, d.total, t.display_name, t.slug
        FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::bigint[], $7::bigint[])
             WITH ORDINALITY AS d(tenant_id, id, currency, subtotal, total, n)
        JOIN tenants t ON t.id = d.tenant_id
        ORDER BY d.n
        ON CONFLICT (tenant_id, period_start, period_end) DO NOTHING
        RETURNING id
        """,
        start,
        end,
        [draft.tenant_id for _, draft in drafts],
        [invoice_id for invoice_id, _ in drafts],
        [draft.currency for _, draft in drafts],
        [draft.subtotal for _, draft in drafts],
        [draft.total for _, draft in drafts],
    )
    inserted = {row["id"] for row in rows}
    columns: list[list[Any]] = [[] for _ in range(18)]
    for invoice_id, draft in drafts:
        if invoice_id not in inserted:
            continue
        for position, line in enumerate(draft.lines):
            source = line.source
            values = (
                draft.tenant_id,
                invoice_id,
                position,
                line.kind,
                line.description,
                line.meter_key,
                line.quantity,
                line.billable_quantity,
                line.unit_price,
                line.amount,
                _json.encode(line.tiers).decode(),
                source.window_start,
                source.window_end,
                source.event_count,
                source.plan_id,
                source.plan_key,
                source.plan_version,
                None if source.price is None else _json.encode(source.price).decode(),
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
    if columns[0]:
        await conn.execute(
            """
            INSERT INTO invoice_lines (tenant_id, invoice_id, position, kind, description, meter_key, quantity,
                                       billable_quantity, unit_price, amount, tiers, window_start, window_end,
                                       event_count, plan_id, plan_key, plan_version, price)
            SELECT tenant_id, invoice_id, position, kind, description, meter_key, quantity, billable_quantity,
                   unit_price, amount, tiers::jsonb, window_start, window_end, event_count, plan_id, plan_key,
                   plan_version, price::jsonb
            FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::numeric[],
                        $8::numeric[], $9::numeric[], $10::bigint[], $11::text[], $12::timestamptz[],
                        $13::timestamptz[], $14::bigint[], $15::uuid[], $16::text[], $17::int[], $18::text[])
                 AS l(tenant_id, invoice_id, position, kind, description, meter_key, quantity, billable_quantity,
                      unit_price, amount, tiers, window_start, window_end, event_count, plan_id, plan_key,
                      plan_version, price)
            """,
            *columns,
        )
    return [invoice_id for invoice_id, _ in drafts if invoice_id in inserted]


async def period_invoices(conn: Connection, start: datetime, end: datetime) -> list[InvoiceSummary]:
    rows = await conn.fetch(
        f"SELECT {_SUMMARY} FROM invoices WHERE period_start = $1 AND period_end = $2 ORDER BY tenant_id",
        start,
        end,
    )
    return [_summary(row) for row in rows]


# --- reading ---------------------------------------------------------------------------------


async def find(conn: Connection, invoice_id: uuid.UUID, *, for_update: bool = False) -> InvoiceSummary | None:
    """An invoice by id alone (platform scope, or a tenant scope that confines it)."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_SUMMARY} FROM invoices WHERE id = $1{lock}", invoice_id)
    return _summary(row) if row is not None else None


async def get(conn: Connection, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> Invoice | None:
    """An invoice with its lines, credit notes and Stripe references."""
    row = await conn.fetchrow(f"SELECT {_DETAIL} FROM invoices WHERE tenant_id = $1 AND id = $2", tenant_id, invoice_id)
    if row is None:
        return None
    lines = await conn.fetch(
        f"SELECT {_LINE} FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY position",
        tenant_id,
        invoice_id,
    )
    notes = await conn.fetch(
        f"SELECT {_CREDIT_NOTE} FROM credit_notes WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY number_seq",
        tenant_id,
        invoice_id,
    )
    customer = await conn.fetchval("SELECT stripe_customer_id FROM stripe_customers WHERE tenant_id = $1", tenant_id)
    stripe = None
    if row["stripe_invoice_id"] is not None or customer is not None:
        stripe = StripeRef(
            customer_id=customer,
            invoice_id=row["stripe_invoice_id"],
            status=row["stripe_status"],
            exported_at=row["stripe_exported_at"],
        )
    summary = {name: row[name] for name in InvoiceSummary.__struct_fields__}
    return Invoice(
        **summary,
        issuer_name=row["issuer_name"],
        issuer_address=row["issuer_address"],
        finalized_at=row["finalized_at"],
        paid_at=row["paid_at"],
        payment_failed_at=row["payment_failed_at"],
        voided_at=row["voided_at"],
        lines=[_line(line) for line in lines],
        credit_notes=[CreditNote(**dict(note)) for note in notes],
        stripe=stripe,
    )


async def get_any(conn: Connection, invoice_id: uuid.UUID) -> Invoice | None:
    """Any tenant's invoice by its id alone (platform scope), with everything `get` reads."""
    found = await find(conn, invoice_id)
    return await get(conn, found.tenant_id, invoice_id) if found is not None else None


async def list_page(
    conn: Connection,
    *,
    tenant_id: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
    status: InvoiceStatus | None = None,
    period_start: datetime | None = None,
) -> list[InvoiceSummary]:
    """Up to limit+1 invoices, newest first (ids are time-ordered); one tenant's or, on a
    platform connection with tenant_id None, everyone's."""
    args: list[Any] = []

    def bind(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    conditions = ["true"]
    if tenant_id is not None:
        conditions.append(f"tenant_id = {bind(tenant_id)}")
    if after is not None:
        conditions.append(f"id < {bind(after)}")
    if status is not None:
        conditions.append(f"status = {bind(status)}")
    if period_start is not None:
        conditions.append(f"period_start = {bind(period_start)}")
    rows = await conn.fetch(
        f"SELECT {_SUMMARY} FROM invoices WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT {bind(limit + 1)}",
        *args,
    )
    return [_summary(row) for row in rows]


# --- lifecycle -------------------------------------------------------------------------------


async def next_number(conn: Connection, issuer_name: str, series: str) -> int:
    """The issuer's next number in the series, taken under the counter row's lock.

    The lock is held until the calling transaction ends: concurrent finalizations queue here,
    and a rollback gives the number back, so issued numbers have no gaps.
    """
    number: int = await conn.fetchval(
        """
        INSERT INTO document_number_counters (issuer_name, series, last_number) VALUES ($1, $2, 1)
        ON CONFLICT (issuer_name, series)
            DO UPDATE SET last_number = document_number_counters.last_number + 1
        RETURNING last_number
        """,
        issuer_name,
        series,
    )
    return number


async def finalize(
    conn: Connection,
    invoice: InvoiceSummary,
    *,
    issuer: Issuer,
    number_seq: int,
    number: str,
    payment_terms: timedelta,
) -> InvoiceSummary:
    """Number and issue a draft, taking the customer's name as it is at issue."""
    row = await conn.fetchrow(
        f"""
        UPDATE invoices i
        SET status = 'finalized', number_seq = $3, number = $4, issuer_name = $5, issuer_address = $6,
            issued_at = now(), due_at = now() + $7::interval, finalized_at = now(),
            customer_name = t.display_name, customer_slug = t.slug,
            version = i.version + 1, updated_at = now()
        FROM tenants t
        WHERE t.id = i.tenant_id AND i.tenant_id = $1 AND i.id = $2 AND i.status = 'draft'
        RETURNING {", ".join("i." + c.strip() for c in _SUMMARY.split(","))}
        """,
        invoice.tenant_id,
        invoice.id,
        number_seq,
        number,
        issuer.name,
        issuer.address,
        payment_terms,
    )
    assert row is not None  # the caller holds the row lock and saw a draft
    return _summary(row)


_STATUS_TIME = {"paid": "paid_at", "payment_failed": "payment_failed_at", "void": "voided_at"}


async def set_status(conn: Connection, invoice: InvoiceSummary, status: InvoiceStatus) -> InvoiceSummary:
    column = _STATUS_TIME[status]
    row = await conn.fetchrow(
        f"""
        UPDATE invoices SET status = $3, {column} = now(), version = version + 1, updated_at = now()
        WHERE tenant_id = $1 AND id = $2
        RETURNING {_SUMMARY}
        """,
        invoice.tenant_id,
        invoice.id,
        status,
    )
    assert row is not None
    return _summary(row)


async def insert_credit_note(
    conn: Connection,
    invoice: InvoiceSummary,
    *,
    credit_note_id: uuid.UUID,
    issuer_name: str,
    number_seq: int,
    number: str,
    amount: int,
    reason: str,
) -> CreditNote:
    row = await conn.fetchrow(
        f"""
        INSERT INTO credit_notes (tenant_id, id, invoice_id, issuer_name, number_seq, number, currency, amount, reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        RETURNING {_CREDIT_NOTE}
        """,
        invoice.tenant_id,
        credit_note_id,
        invoice.id,
        issuer_name,
        number_seq,
        number,
        invoice.currency,
        amount,
        reason,
    )
    await conn.execute(
        """
        UPDATE invoices SET credited = credited + $3, version = version + 1, updated_at = now()
        WHERE tenant_id = $1 AND id = $2
        """,
        invoice.tenant_id,
        invoice.id,
        amount,
    )
    assert row is not None
    return CreditNote(**dict(row))


# --- Stripe ----------------------------------------------------------------------------------


async def stripe_customer(conn: Connection, tenant_id: uuid.UUID) -> tuple[str, str] | None:
    """The tenant's Stripe customer id and the name last synced to it."""
    row = await conn.fetchrow(
        "SELECT stripe_customer_id, synced_name FROM stripe_customers WHERE tenant_id = $1", tenant_id
    )
    return (row["stripe_customer_id"], row["synced_name"]) if row is not None else None


async def save_stripe_customer(conn: Connection, tenant_id: uuid.UUID, customer_id: str, name: str) -> None:
    await conn.execute(
        """
        INSERT INTO stripe_customers (tenant_id, stripe_customer_id, synced_name) VALUES ($1, $2, $3)
        ON CONFLICT (tenant_id) DO UPDATE SET synced_name = EXCLUDED.synced_name, synced_at = now()
            WHERE stripe_customers.stripe_customer_id = EXCLUDED.stripe_customer_id
        """,
        tenant_id,
        customer_id,
        name,
    )


async def save_stripe_invoice(conn: Connection, invoice: InvoiceSummary, stripe_invoice_id: str) -> None:
    await conn.execute(
        """
        UPDATE invoices SET stripe_invoice_id = $3, stripe_status = 'draft', updated_at = now()
        WHERE tenant_id = $1 AND id = $2 AND stripe_invoice_id IS NULL
        """,
        invoice.tenant_id,
        invoice.id,
        stripe_invoice_id,
    )


async def stripe_invoice_id(conn: Connection, invoice: InvoiceSummary) -> str | None:
    value: str | None = await conn.fetchval(
        "SELECT stripe_invoice_id FROM invoices WHERE tenant_id = $1 AND id = $2", invoice.tenant_id, invoice.id
    )
    return value


async def save_stripe_item(conn: Connection, invoice: InvoiceSummary, position: int, item_id: str) -> None:
    await conn.execute(
        """
        UPDATE invoice_lines SET stripe_invoice_item_id = $4
        WHERE tenant_id = $1 AND invoice_id = $2 AND position = $3 AND stripe_invoice_item_id IS NULL
        """,
        invoice.tenant_id,
        invoice.id,
        position,
        item_id,
    )


async def save_stripe_status(conn: Connection, invoice: InvoiceSummary, status: str) -> None:
    await conn.execute(
        """
        UPDATE invoices SET stripe_status = $3, stripe_exported_at = coalesce(stripe_exported_at, now()),
                            updated_at = now()
        WHERE tenant_id = $1 AND id = $2
        """,
        invoice.tenant_id,
        invoice.id,
        status,
    )


async def find_by_stripe_invoice(conn: Connection, stripe_invoice_id: str) -> InvoiceSummary | None:
    row = await conn.fetchrow(
        f"SELECT {_SUMMARY} FROM invoices WHERE stripe_invoice_id = $1 FOR UPDATE", stripe_invoice_id
    )
    return _summary(row) if row is not None else None


async def claim_webhook_event(conn: Connection, event_id: str, event_type: str) -> bool:
    """Record a Stripe event as being handled in this transaction; False when it was handled
    before (a redelivery). A concurrent delivery of the same event waits here for this one."""
    inserted = await conn.fetchval(
        """
        INSERT INTO stripe_webhook_events (event_id, type, outcome) VALUES ($1, $2, 'received')
        ON CONFLICT (event_id) DO NOTHING RETURNING true
        """,
        event_id,
        event_type,
    )
    return bool(inserted)


async def set_webhook_outcome(conn: Connection, event_id: str, outcome: str) -> None:
    await conn.execute("UPDATE stripe_webhook_events SET outcome = $2 WHERE event_id = $1", event_id, outcome)


async def webhook_outcome(conn: Connection, event_id: str) -> str | None:
    value: str | None = await conn.fetchval("SELECT outcome FROM stripe_webhook_events WHERE event_id = $1", event_id)
    return value
