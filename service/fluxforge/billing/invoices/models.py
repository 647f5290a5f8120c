"""Invoices, their lines and credit notes as the API shows and accepts them.

Money is integer minor units of the invoice's ISO 4217 currency; quantities and unit prices are
exact decimals (JSON strings), unit prices in minor units per unit of quantity.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from fluxforge.billing.catalog.pricing import Price

InvoiceStatus = Literal["draft", "finalized", "payment_failed", "paid", "void"]
LineKind = Literal["usage", "fixed_fee", "minimum_commitment"]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class TierLine(msgspec.Struct, frozen=True, kw_only=True):
    """How one tier of a tiered price applied to a line's quantity."""

    tier_index: int
    quantity: Decimal
    unit_price: Decimal
    flat_fee: int
    amount: Decimal


class LineSource(msgspec.Struct, frozen=True, kw_only=True):
    """What a line was computed from: the usage window, the plan version in force and its price.

    A usage line is recomputed from the raw events by summing the meter over
    [window_start, window_end) and pricing the sum with `price` (see logic.recompute_usage_line).
    """

    window_start: datetime
    window_end: datetime
    plan_id: uuid.UUID
    plan_key: str
    plan_version: int
    event_count: int | None = None
    price: Price | None = None


class InvoiceLine(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    kind: LineKind
    description: str
    meter_key: str | None
    quantity: Decimal
    billable_quantity: Decimal | None
    unit_price: Decimal | None
    amount: int
    tiers: list[TierLine]
    source: LineSource
    stripe_invoice_item_id: str | None = None


class CreditNote(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    invoice_id: uuid.UUID
    number: str
    issuer_name: str
    currency: str
    amount: int
    reason: str
    issued_at: datetime


class StripeRef(msgspec.Struct, kw_only=True):
    """Where the invoice lives at Stripe once exported."""

    customer_id: str | None
    invoice_id: str | None
    status: str | None
    exported_at: datetime | None


class InvoiceSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_slug: str
    customer_name: str
    status: InvoiceStatus
    number: str | None
    currency: str
    period_start: datetime
    period_end: datetime
    issued_at: datetime | None
    due_at: datetime | None
    subtotal: int
    total: int
    credited: int
    version: int
    created_at: datetime
    updated_at: datetime


class Invoice(InvoiceSummary, kw_only=True):
    """An invoice with its lines; `total` = `subtotal` + adjustment lines = the sum of all lines."""

    issuer_name: str | None
    issuer_address: str | None
    finalized_at: datetime | None
    paid_at: datetime | None
    payment_failed_at: datetime | None
    voided_at: datetime | None
    lines: list[InvoiceLine]
    credit_notes: list[CreditNote]
    stripe: StripeRef | None


class InvoicePage(msgspec.Struct, kw_only=True):
    """One page of invoices, newest first; pass `next_cursor` back as `cursor` for the next (null at the end)."""

    items: list[InvoiceSummary]
    next_cursor: str | None


class PeriodClose(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A billing period [start, end): RFC 3339 date-times with offsets, end exclusive."""

    start: AwareDatetime
    end: AwareDatetime


class PeriodCloseResult(msgspec.Struct, kw_only=True):
    """The period's invoices; `created` counts those this call made (0 when closed before)."""

    start: datetime
    end: datetime
    created: int
    invoices: list[InvoiceSummary]


class CreditNoteCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Omit `amount` to credit everything not credited yet."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]
    amount: Annotated[int, msgspec.Meta(ge=1, description="Minor units of the invoice's currency.")] | None = None


class WebhookAck(msgspec.Struct, kw_only=True):
    """`duplicate` is true when this event id was handled before (nothing was applied again)."""

    received: bool
    duplicate: bool
    outcome: str


class Issuer(msgspec.Struct, frozen=True):
    """Who issues (and numbers) invoices: numbering is gapless per issuer name."""

    name: str
    address: str


# --- what closing a period builds, before it is stored ---------------------------------------


class LineDraft(msgspec.Struct, frozen=True, kw_only=True):
    kind: LineKind
    description: str
    meter_key: str | None
    quantity: Decimal
    billable_quantity: Decimal | None
    unit_price: Decimal | None
    amount: int
    tiers: list[TierLine]
    source: LineSource


class InvoiceDraft(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: uuid.UUID
    period_start: datetime
    period_end: datetime
    currency: str
    lines: list[LineDraft]
    subtotal: int
    total: int
