"""Building an invoice from usage and plan segments. Pure: no I/O, reached by unit and property tests.

A tenant's billing period is split into segments, each priced by the plan version in force
during it (catalog.period_segments). Per segment, in this order:

- the plan's fixed fee, prorated by the segment's share of the period (`prorate`, exact
  seconds), as a `fixed_fee` line;
- one `usage` line per priced meter with usage in the segment's window (or a non-zero charge,
  such as a tier's flat fee), priced by that plan version's price for the meter. Meters the plan
  does not price are not billed;
- when the segment's fees and usage fall short of the plan's minimum commitment, a
  `minimum_commitment` line for the shortfall. The minimum is prorated like the fixed fee and
  compared per segment, with what was charged under that plan version only: a plan in force for
  a third of the period commits the tenant to a third of its minimum, and a change of plan
  neither carries a shortfall nor a surplus into the other plan's time.

subtotal = fixed fees + usage; total = subtotal + minimum-commitment adjustments = the sum of all
lines. No tax is computed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec

from fluxforge.billing.catalog.pricing import (
    PlanVersion,
    Price,
    PricedQuantity,
    Segment,
    price_quantity,
    prorate,
    seconds_between,
)
from fluxforge.billing.invoices.models import InvoiceDraft, InvoiceLine, LineDraft, LineSource, TierLine
from fluxforge.errors import FieldError, InvalidRequest
from fluxforge.metering.models import UsageTotal

MAX_PERIOD = timedelta(days=366)
PAYMENT_TERMS = timedelta(days=30)
"""Due date = issue date + 30 days (net 30)."""
INVOICE_PREFIX = "INV"
CREDIT_NOTE_PREFIX = "CN"
Window = tuple[datetime, datetime]


class MixedCurrencies(ValueError):
    """A tenant's segments in one period are priced in different currencies: one invoice cannot say both."""


def check_period(start: datetime, end: datetime, now: datetime) -> None:
    """A period can be closed once it is over, and is at most a year long."""
    errors: list[FieldError] = []
    if end <= start:
        errors.append(FieldError("end", "must be after start"))
    elif end - start > MAX_PERIOD:
        errors.append(FieldError("end", "a billing period is at most 366 days long"))
    if end > now:
        errors.append(FieldError("end", "the period has not ended yet; close it once it is over"))
    if errors:
        raise InvalidRequest("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def document_number(prefix: str, sequence: int) -> str:
    return f"{prefix}-{sequence:06d}"


def clip(segment: Segment, start: datetime, end: datetime) -> Window | None:
    """The part of a segment inside the period, or None when nothing of it is."""
    lower, upper = max(segment.start, start), min(segment.end, end)
    return (lower, upper) if lower < upper else None


def usage_windows(
    segments: Mapping[uuid.UUID, list[Segment]], start: datetime, end: datetime
) -> dict[Window, list[uuid.UUID]]:
    """Tenants grouped by the usage windows their segments need.

    Tenants on one plan for the whole period share one window, so a thousand of them cost one
    usage query; each plan change adds the windows on either side of it.
    """
    windows: dict[Window, list[uuid.UUID]] = {}
    for tenant_id, tenant_segments in segments.items():
        for segment in tenant_segments:
            window = clip(segment, start, end)
            if window is not None:
                tenants = windows.setdefault(window, [])
                if not tenants or tenants[-1] != tenant_id:
                    tenants.append(tenant_id)
    return windows


UsageByWindow = Mapping[Window, Mapping[str, UsageTotal]]
"""One tenant's usage: per segment window, per meter key."""


def index_usage(totals: Iterable[UsageTotal]) -> dict[uuid.UUID, dict[str, UsageTotal]]:
    by_tenant: dict[uuid.UUID, dict[str, UsageTotal]] = {}
    for total in totals:
        by_tenant.setdefault(total.tenant_id, {})[total.meter_key] = total
    return by_tenant


def _plan_label(plan: PlanVersion) -> str:
    return f"{plan.plan_key} v{plan.version}"


def _days(seconds: int) -> str:
    days = (Decimal(seconds) / Decimal(86_400)).quantize(Decimal("0.01"))
    return f"{days.normalize():f}"


def _source(plan: PlanVersion, window: Window, **extra: Any) -> LineSource:
    return LineSource(
        window_start=window[0],
        window_end=window[1],
        plan_id=plan.plan_id,
        plan_key=plan.plan_key,
        plan_version=plan.version,
        **extra,
    )


def fixed_fee_line(plan: PlanVersion, window: Window, period: Window) -> LineDraft | None:
    if plan.fixed_fee == 0:
        return None
    part, whole = seconds_between(*window), seconds_between(*period)
    amount = prorate(plan.fixed_fee, part, whole)
    description = f"Base fee, {_plan_label(plan)}"
    if part != whole:
        description += f" (prorated: {_days(part)} of {_days(whole)} days)"
    share = (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")).normalize()
    return LineDraft(
        kind="fixed_fee",
        description=description,
        meter_key=None,
        quantity=share,
        billable_quantity=None,
        unit_price=Decimal(plan.fixed_fee),
        amount=amount,
        tiers=[],
        source=_source(plan, window),
    )


def line_unit_price(price: Price, priced: PricedQuantity) -> Decimal | None:
    """One unit price when one applies to the whole quantity; None when tiers or packages
    price it in parts (the line's `tiers` show them)."""
    if len(priced.tiers) == 1 and priced.tiers[0].flat_fee == 0:
        return priced.tiers[0].unit_price
    if not priced.tiers and price.model == "per_unit":
        return price.unit_price
    return None


def _priced_line(price: Price, label: str, source: LineSource, usage: UsageTotal | None) -> LineDraft:
    quantity = usage.quantity if usage is not None else Decimal(0)
    priced = price_quantity(price, quantity)
    description = f"{price.meter_key}, {label}"
    if price.model == "package" and priced.billable_quantity > 0:
        description += f" (packages of {price.package_size:f})"
    return LineDraft(
        kind="usage",
        description=description,
        meter_key=price.meter_key,
        quantity=quantity,
        billable_quantity=priced.billable_quantity,
        unit_price=line_unit_price(price, priced),
        amount=priced.amount,
        tiers=[
            TierLine(
                tier_index=t.tier_index,
                quantity=t.quantity,
                unit_price=t.unit_price,
                flat_fee=t.flat_fee,
                amount=t.amount,
            )
            for t in priced.tiers
        ],
        source=msgspec.structs.replace(source, event_count=usage.event_count if usage is not None else 0, price=price),
    )


def usage_line(plan: PlanVersion, price: Price, window: Window, usage: UsageTotal | None) -> LineDraft | None:
    """The line for one meter in one segment; None when there is neither usage nor a charge."""
    line = _priced_line(price, _plan_label(plan), _source(plan, window), usage)
    return None if line.quantity == 0 and line.amount == 0 else line


def minimum_commitment_line(plan: PlanVersion, window: Window, period: Window, charged: int) -> LineDraft | None:
    if plan.minimum_commitment == 0:
        return None
    part, whole = seconds_between(*window), seconds_between(*period)
    minimum = prorate(plan.minimum_commitment, part, whole)
    shortfall = minimum - charged
    if shortfall <= 0:
        return None
    description = f"Minimum commitment shortfall, {_plan_label(plan)}"
    if part != whole:
        description += f" (prorated minimum: {_days(part)} of {_days(whole)} days)"
    return LineDraft(
        kind="minimum_commitment",
        description=description,
        meter_key=None,
        quantity=Decimal(1),
        billable_quantity=None,
        unit_price=Decimal(shortfall),
        amount=shortfall,
        tiers=[],
        source=_source(plan, window),
    )


def totals(lines: Iterable[LineDraft | InvoiceLine]) -> tuple[int, int]:
    """(subtotal, total): subtotal leaves out adjustments; total is the sum of every line."""
    subtotal = total = 0
    for line in lines:
        total += line.amount
        if line.kind != "minimum_commitment":
            subtotal += line.amount
    return subtotal, total


def build_invoice(tenant_id: uuid.UUID, period: Window, segments: list[Segment], usage: UsageByWindow) -> InvoiceDraft:
    """The draft invoice of one tenant for one period; `usage` has the tenant's totals per window."""
    ordered = sorted(segments, key=lambda s: s.start)
    currencies = {s.plan.currency for s in ordered if clip(s, *period) is not None}
    if len(currencies) > 1:
        raise MixedCurrencies(f"tenant {tenant_id} has plans in {', '.join(sorted(currencies))} in one period")
    lines: list[LineDraft] = []
    for segment in ordered:
        window = clip(segment, *period)
        if window is None:
            continue
        plan = segment.plan
        segment_lines: list[LineDraft] = []
        fee = fixed_fee_line(plan, window, period)
        if fee is not None:
            segment_lines.append(fee)
        meters = usage.get(window, {})
        for price in plan.prices:
            line = usage_line(plan, price, window, meters.get(price.meter_key))
            if line is not None:
                segment_lines.append(line)
        shortfall = minimum_commitment_line(plan, window, period, sum(line.amount for line in segment_lines))
        if shortfall is not None:
            segment_lines.append(shortfall)
        lines.extend(segment_lines)
    subtotal, total = totals(lines)
    currency = currencies.pop() if currencies else (ordered[0].plan.currency if ordered else "USD")
    return InvoiceDraft(
        tenant_id=tenant_id,
        period_start=period[0],
        period_end=period[1],
        currency=currency.upper(),
        lines=lines,
        subtotal=subtotal,
        total=total,
    )


def recompute_usage_line(line: InvoiceLine, usage: UsageTotal | None) -> LineDraft:
    """A stored usage line computed again from `usage`, the meter's total over the line's window
    read afresh from the events, priced by the line's price snapshot. Equal to the stored line
    unless the events changed."""
    if line.kind != "usage" or line.source.price is None:
        raise ValueError("only usage lines are computed from usage")
    label = f"{line.source.plan_key} v{line.source.plan_version}"
    return _priced_line(line.source.price, label, line.source, usage)


def as_draft(line: InvoiceLine) -> LineDraft:
    """A stored line without its position and Stripe reference, to compare with a recomputation."""
    return LineDraft(
        kind=line.kind,
        description=line.description,
        meter_key=line.meter_key,
        quantity=line.quantity,
        billable_quantity=line.billable_quantity,
        unit_price=line.unit_price,
        amount=line.amount,
        tiers=line.tiers,
        source=line.source,
    )
