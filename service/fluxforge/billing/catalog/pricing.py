"""Rate cards and the pricing math that invoicing builds on. Pure: no I/O.

The rules, one each (tests/unit/test_pricing.py checks every one, most as properties):

* Money is an int of minor units of the plan's ISO 4217 currency (`currency.py`). Quantities
  and unit prices are `Decimal`; a unit price is in *minor units per unit*, so "0.05" on a USD
  plan is five hundredths of a cent per unit and sub-cent prices need no special case.
* **Rounding: one rule, once per line.** A line's exact amount is rounded to whole minor units
  half-to-even (`ROUND_HALF_EVEN`, banker's rounding: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2) exactly once,
  when the line's `amount` is produced. Everything before that (tier amounts, products, sums)
  is exact: it runs in a decimal context that traps any inexact step, so nothing is rounded
  twice or truncated silently. Half-even has no upward drift over many lines, unlike half-up.
* **Included quantity:** the first `included_quantity` units of a meter in a period are free;
  the charge model prices the rest, `billable_quantity = max(0, quantity - included_quantity)`.
  Tier bounds count billable units.
* `per_unit`: billable x unit_price.
* `graduated`: tier i covers billable units in (up_to[i-1], up_to[i]] (the first from 0, the last
  without end); each unit costs its own tier's unit price, and a tier's flat fee is added once
  as soon as any unit falls in it. The total is the piecewise sum of the tiers.
* `volume`: the one tier whose range holds the billable quantity prices every unit, plus that
  tier's flat fee. (Not monotone by design: crossing a bound can lower the total.)
* `package`: ceil(billable / package_size) packages at package_price (minor units) each.
* Zero billable units cost nothing in every model: an unreached tier's flat fee is not charged.
* **Proration by time:** a fixed amount for part of a period is amount x part_seconds /
  whole_seconds, rounded once with the same rule (`prorate`). Each line is rounded on its own,
  so n lines prorated from one amount can sum to it +/- floor(n/2) minor units (each is off by at
  most half a unit); `allocate` splits an amount exactly (largest remainder) where the parts
  must sum to the whole.
* **Segments:** a tenant's billing period is cut into segments, each under one plan version:
  a new segment starts at every subscription change and at every new version of the subscribed
  plan taking effect (`segments_for_period`). Each segment pays its plan version's fixed fee
  and minimum commitment prorated by the segment's share of the period's seconds, and usage
  inside a segment is priced by that segment's version.
"""

from __future__ import annotations

import decimal
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from operator import itemgetter
from typing import Annotated, Literal

import msgspec

from fluxforge.billing.catalog.currency import UnknownCurrency, currency_exponent, format_money

__all__ = [
    "ChargeModel",
    "PlanVersion",
    "Price",
    "PricedQuantity",
    "Segment",
    "Tier",
    "TierApplied",
    "UnknownCurrency",
    "allocate",
    "currency_exponent",
    "format_money",
    "plan_version_at",
    "price_errors",
    "price_quantity",
    "prorate",
    "round_minor",
    "seconds_between",
    "segment_fixed_fee",
    "segment_minimum_commitment",
    "segments_for_period",
    "subscription_history",
]

ChargeModel = Literal["per_unit", "graduated", "volume", "package"]

# Every intermediate amount is exact: any step that would have to round raises instead.
# Inputs are bounded (validation: below 10**18, at most 18 fractional digits), so 1,000 digits
# leave room for every product and sum the models form.
_EXACT = decimal.Context(
    prec=1000,
    rounding=ROUND_HALF_EVEN,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
MAX_DECIMAL = Decimal(10) ** 18
MAX_FRACTION_DIGITS = 18
ZERO = Decimal(0)


UnitPrice = Annotated[
    Decimal,
    msgspec.Meta(
        description="Minor units of the plan's currency per unit, as a decimal string; sub-cent prices "
        'are fine ("0.04" on a USD plan is 0.04 cents per unit).',
        examples=["0.04"],
    ),
]
Quantity = Annotated[Decimal, msgspec.Meta(description="A quantity of the meter's units, as a decimal string.")]
Money = Annotated[int, msgspec.Meta(description="Integer minor units of the plan's currency.")]


class Tier(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One band of a graduated or volume price. `up_to` is the band's inclusive upper bound in
    billable units (null for the last, unbounded band); `flat_fee` is in minor units."""

    up_to: Quantity | None
    unit_price: UnitPrice
    flat_fee: Money = 0


class Price(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How one meter's quantity in a period is charged. Fields not used by `model` stay null/empty:
    per_unit needs unit_price; graduated and volume need tiers; package needs package_size and
    package_price (minor units per package)."""

    meter_key: Annotated[str, msgspec.Meta(description="The meter this prices, e.g. api.request.")]
    model: ChargeModel
    unit_price: UnitPrice | None = None
    tiers: list[Tier] = []
    package_size: Quantity | None = None
    package_price: Money | None = None
    # A factory, not a Decimal default: a Decimal default would leak into the OpenAPI document.
    included_quantity: Annotated[
        Decimal, msgspec.Meta(description="Free units per period before the charge model applies (default 0).")
    ] = msgspec.field(default_factory=Decimal)


class PlanVersion(msgspec.Struct, frozen=True):
    """The terms of one version of a plan, in force from `effective_from` until the next version's.

    Immutable once effective; money in minor units of `currency`."""

    plan_id: uuid.UUID
    plan_key: str
    version: int
    currency: str
    fixed_fee: int
    minimum_commitment: int
    prices: list[Price]
    effective_from: datetime

    def price_for(self, meter_key: str) -> Price | None:
        """This version's price of a meter; None when the plan does not charge for it."""
        return next((price for price in self.prices if price.meter_key == meter_key), None)


class TierApplied(msgspec.Struct, frozen=True):
    """The part of a quantity one tier priced; `amount` is exact (quantity x unit_price + flat_fee)."""

    tier_index: int
    quantity: Decimal
    unit_price: Decimal
    flat_fee: int
    amount: Decimal


class PricedQuantity(msgspec.Struct, frozen=True):
    """A priced quantity: `amount` is the line's total in minor units, rounded once (half-even).

    `tiers` details graduated (every tier reached) and volume (the one tier) pricing; it is
    empty for per_unit and package."""

    quantity: Decimal
    billable_quantity: Decimal
    amount: int
    tiers: list[TierApplied]


class Segment(msgspec.Struct, frozen=True):
    """A stretch [start, end) of a billing period under one plan version."""

    plan: PlanVersion
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return seconds_between(self.start, self.end)


def round_minor(amount: Decimal) -> int:
    """THE rounding rule: an exact amount to whole minor units, half to even."""
    with decimal.localcontext(_EXACT):
        return int(amount.to_integral_value(rounding=ROUND_HALF_EVEN))


def _decimal_error(value: Decimal, *, positive: bool = False) -> str | None:
    if not value.is_finite():
        return "must be a finite decimal number"
    if value < 0 or (positive and value == 0):
        return "must be greater than 0" if positive else "must not be negative"
    if value >= MAX_DECIMAL:
        return "must be below 10^18"
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -MAX_FRACTION_DIGITS:
        return f"must have at most {MAX_FRACTION_DIGITS} digits after the decimal point"
    return None


def _money_error(value: int) -> str | None:
    if value < 0:
        return "must not be negative"
    if value >= 10**15:
        return "must be below 10^15 minor units"
    return None


_USED_FIELDS: Mapping[str, frozenset[str]] = {
    "per_unit": frozenset({"unit_price"}),
    "graduated": frozenset({"tiers"}),
    "volume": frozenset({"tiers"}),
    "package": frozenset({"package_size", "package_price"}),
}
_UNSET_VALUES: Mapping[str, object] = {"unit_price": None, "tiers": [], "package_size": None, "package_price": None}


def price_errors(price: Price) -> list[tuple[str, str]]:
    """What is wrong with a price, as (field path relative to the price, message); empty if valid."""
    errors: list[tuple[str, str]] = []
    used = _USED_FIELDS[price.model]
    for field, unset in _UNSET_VALUES.items():
        value = getattr(price, field)
        if field not in used and value != unset:
            errors.append((field, f"is not used by the {price.model} model; leave it out"))
        elif field in used and value == unset:
            errors.append(
                (
                    field,
                    f"is required by the {price.model} model (at least one tier)"
                    if field == "tiers"
                    else f"is required by the {price.model} model",
                )
            )
    checks: list[tuple[str, str | None]] = [("included_quantity", _decimal_error(price.included_quantity))]
    if "unit_price" in used and price.unit_price is not None:
        checks.append(("unit_price", _decimal_error(price.unit_price)))
    if "package_size" in used and price.package_size is not None:
        checks.append(("package_size", _decimal_error(price.package_size, positive=True)))
    if "package_price" in used and price.package_price is not None:
        checks.append(("package_price", _money_error(price.package_price)))
    errors.extend((field, message) for field, message in checks if message is not None)
    if "tiers" in used:
        errors.extend(_tier_errors(price.tiers))
    return errors


def _tier_errors(tiers: Sequence[Tier]) -> list[tuple[str, str]]:
    """Tiers ascend strictly by up_to, and only the last is unbounded (up_to null)."""
    errors: list[tuple[str, str]] = []
    previous = ZERO
    for index, tier in enumerate(tiers):
        last = index == len(tiers) - 1
        problem: str | None = None
        if tier.up_to is None:
            problem = None if last else "only the last tier may be unbounded (null)"
        elif last:
            problem = "the last tier must be unbounded: set up_to to null"
        elif (problem := _decimal_error(tier.up_to, positive=True)) is None:
            if tier.up_to <= previous:
                problem = "tiers must ascend: up_to must exceed the previous tier's"
            previous = max(previous, tier.up_to)
        if problem is not None:
            errors.append((f"tiers[{index}].up_to", problem))
        if (problem := _decimal_error(tier.unit_price)) is not None:
            errors.append((f"tiers[{index}].unit_price", problem))
        if (problem := _money_error(tier.flat_fee)) is not None:
            errors.append((f"tiers[{index}].flat_fee", problem))
    return errors


def price_quantity(price: Price, quantity: Decimal) -> PricedQuantity:
    """Price a meter's total quantity for a period (or a segment of one) under `price`."""
    if not quantity.is_finite() or quantity < 0:
        raise ValueError(f"quantity must be a finite, non-negative decimal, not {quantity}")
    problems = price_errors(price)
    if problems:
        raise ValueError("invalid price: " + "; ".join(f"{field} {message}" for field, message in problems))
    with decimal.localcontext(_EXACT):
        billable = max(quantity - price.included_quantity, ZERO)
        tiers: list[TierApplied] = []
        exact = ZERO
        if billable == 0:
            pass  # nothing to charge in any model, flat fees included
        elif price.model == "per_unit":
            assert price.unit_price is not None
            exact = billable * price.unit_price
        elif price.model == "package":
            assert price.package_size is not None
            assert price.package_price is not None
            whole, rest = divmod(billable, price.package_size)
            exact = (whole + (1 if rest else 0)) * price.package_price
        elif price.model == "graduated":
            lower = ZERO
            for index, tier in enumerate(price.tiers):
                upper = billable if tier.up_to is None else min(billable, tier.up_to)
                if upper <= lower:
                    break
                tiers.append(_applied(index, tier, upper - lower))
                lower = upper
            exact = sum((t.amount for t in tiers), ZERO)
        else:  # volume
            index, tier = next((i, t) for i, t in enumerate(price.tiers) if t.up_to is None or billable <= t.up_to)
            tiers.append(_applied(index, tier, billable))
            exact = tiers[0].amount
        return PricedQuantity(quantity=quantity, billable_quantity=billable, amount=round_minor(exact), tiers=tiers)


def _applied(index: int, tier: Tier, quantity: Decimal) -> TierApplied:
    return TierApplied(
        tier_index=index,
        quantity=quantity,
        unit_price=tier.unit_price,
        flat_fee=tier.flat_fee,
        amount=quantity * tier.unit_price + tier.flat_fee,
    )


def prorate(amount: int, part_seconds: int, whole_seconds: int) -> int:
    """amount x part_seconds / whole_seconds, rounded once, half to even (exact integer math)."""
    if whole_seconds <= 0:
        raise ValueError("whole_seconds must be positive")
    if part_seconds < 0:
        raise ValueError("part_seconds must not be negative")
    quotient, remainder = divmod(amount * part_seconds, whole_seconds)  # floor: 0 <= remainder < whole
    twice = 2 * remainder
    if twice > whole_seconds or (twice == whole_seconds and quotient % 2 == 1):
        return quotient + 1
    return quotient


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` in proportion to `weights` so that the parts sum to it exactly.

    Largest remainder: every part gets the floor of its exact share, and the minor units left
    over go one each to the parts with the largest remainders (the earlier part on a tie).
    """
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    if amount < 0:
        return [-part for part in allocate(-amount, weights)]
    total = sum(weights)
    shares = [divmod(amount * w, total) for w in weights]
    parts = [share for share, _ in shares]
    leftover = amount - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    return parts


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from start to end (floored; stored times are whole seconds anyway)."""
    return (end - start) // timedelta(seconds=1)


def segment_fixed_fee(segment: Segment, period_start: datetime, period_end: datetime) -> int:
    """The segment's share of its plan version's fixed fee for the period, rounded once."""
    return prorate(segment.plan.fixed_fee, segment.seconds, seconds_between(period_start, period_end))


def segment_minimum_commitment(segment: Segment, period_start: datetime, period_end: datetime) -> int:
    """The segment's share of its plan version's per-period minimum commitment, rounded once."""
    return prorate(segment.plan.minimum_commitment, segment.seconds, seconds_between(period_start, period_end))


def plan_version_at(versions: Sequence[PlanVersion], at: datetime) -> PlanVersion | None:
    """The version in force at `at`: the latest whose effective_from is not after it."""
    in_force = [v for v in versions if v.effective_from <= at]
    return max(in_force, key=lambda v: v.effective_from) if in_force else None


def subscription_history(
    changes: Sequence[tuple[datetime, uuid.UUID | None]], versions: Mapping[uuid.UUID, Sequence[PlanVersion]]
) -> list[tuple[datetime, PlanVersion | None]]:
    """One tenant's subscription changes (at, plan id or None for cancelled) merged with the
    effective dates of its plans' versions: from each listed instant on, that version (or
    nothing) is in force. The input of `segments_for_period`."""
    ordered = sorted(changes, key=itemgetter(0))
    history: list[tuple[datetime, PlanVersion | None]] = []
    for index, (at, plan_id) in enumerate(ordered):
        until = ordered[index + 1][0] if index + 1 < len(ordered) else None
        if plan_id is None:
            history.append((at, None))
            continue
        plan_versions = versions.get(plan_id, ())
        history.append((at, plan_version_at(plan_versions, at)))
        later = sorted(
            (v for v in plan_versions if at < v.effective_from and (until is None or v.effective_from < until)),
            key=lambda v: v.effective_from,
        )
        history.extend((v.effective_from, v) for v in later)
    return history


def segments_for_period(
    history: Sequence[tuple[datetime, PlanVersion | None]], start: datetime, end: datetime
) -> list[Segment]:
    """Cut [start, end) into segments, one per stretch under one plan version.

    `history` lists from when on which version applies (None: no subscription from then on);
    entries are taken in time order, and of entries at the same instant the last one counts.
    The segments are in order, do not overlap, and cover exactly the instants of [start, end)
    at which some version is in force; adjacent stretches under the same version are one
    segment (so a period without changes is one segment and pays the whole fixed fee).
    """
    if not start < end:
        raise ValueError("a period must end after it starts")
    in_force: PlanVersion | None = None
    later: dict[datetime, PlanVersion | None] = {}  # the last entry at each instant
    for at, plan in sorted(history, key=itemgetter(0)):
        if at <= start:
            in_force = plan
        elif at < end:
            later[at] = plan
    segments: list[Segment] = []
    since = start
    for at, plan in later.items():
        if plan == in_force:
            continue
        if in_force is not None:
            segments.append(Segment(plan=in_force, start=since, end=at))
        since, in_force = at, plan
    if in_force is not None:
        segments.append(Segment(plan=in_force, start=since, end=end))
    return segments
