"""The pricing math invoicing builds on: charge models, the rounding rule, proration, segments,
currencies and the catalog's rules. Most checks are properties over generated rate cards."""

from __future__ import annotations

import itertools
import math
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import cast

import msgspec
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fluxforge.billing.catalog import logic
from fluxforge.billing.catalog.currency import CURRENCY_EXPONENTS, UnknownCurrency
from fluxforge.billing.catalog.models import PlanRecord, PlanTerms, SubscriptionChange, SubscriptionRecord
from fluxforge.billing.catalog.pricing import (
    ChargeModel,
    PlanVersion,
    Price,
    Segment,
    Tier,
    allocate,
    currency_exponent,
    format_money,
    price_errors,
    price_quantity,
    prorate,
    round_minor,
    segment_fixed_fee,
    segments_for_period,
    subscription_history,
)
from fluxforge.errors import Conflict, InvalidRequest

T0 = datetime(2027, 1, 1, tzinfo=UTC)
PLAN_ID = uuid.UUID(int=1)

quantities = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False)
fees = st.integers(min_value=0, max_value=10_000)


@st.composite
def tier_lists(draw: st.DrawFn) -> list[Tier]:
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=5000), max_size=5)))
    ups: list[Decimal | None] = [Decimal(b) / 10 for b in bounds]
    ups.append(None)
    return [Tier(up_to=up, unit_price=draw(prices), flat_fee=draw(fees)) for up in ups]


def graduated(tiers: list[Tier], included: Decimal = Decimal(0)) -> Price:
    return Price(meter_key="api.request", model="graduated", tiers=tiers, included_quantity=included)


def volume(tiers: list[Tier], included: Decimal = Decimal(0)) -> Price:
    return Price(meter_key="api.request", model="volume", tiers=tiers, included_quantity=included)


def half_even(value: Decimal | Fraction) -> int:
    """An independent reference of the rounding rule."""
    if isinstance(value, Fraction):
        floor = math.floor(value)
        rest = value - floor
        if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1):
            return floor + 1
        return floor
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


# --- charge models -----------------------------------------------------------------------------


@given(tier_lists(), quantities)
def test_graduated_is_the_piecewise_sum_of_its_tiers(tiers: list[Tier], quantity: Decimal) -> None:
    exact = Decimal(0)
    lower = Decimal(0)
    for tier in tiers:
        upper = quantity if tier.up_to is None else min(quantity, tier.up_to)
        units = max(upper - lower, Decimal(0))
        if units > 0:
            exact += units * tier.unit_price + tier.flat_fee
        if tier.up_to is not None:
            lower = max(lower, tier.up_to)
    priced = price_quantity(graduated(tiers), quantity)
    assert priced.amount == half_even(exact)
    assert sum(t.quantity for t in priced.tiers) == quantity
    assert sum(t.amount for t in priced.tiers) == exact
    assert [t.tier_index for t in priced.tiers] == list(range(len(priced.tiers)))


@given(tier_lists(), quantities)
def test_volume_prices_every_unit_in_exactly_one_tier(tiers: list[Tier], quantity: Decimal) -> None:
    assume(quantity > 0)
    priced = price_quantity(volume(tiers), quantity)
    assert len(priced.tiers) == 1
    (applied,) = priced.tiers
    tier = tiers[applied.tier_index]
    lower = tiers[applied.tier_index - 1].up_to if applied.tier_index else Decimal(0)
    assert lower is not None
    assert lower < quantity
    assert tier.up_to is None or quantity <= tier.up_to
    assert applied.quantity == quantity
    assert priced.amount == half_even(quantity * tier.unit_price + tier.flat_fee)


@given(
    st.decimals(min_value="0.001", max_value=10**4, places=3),
    st.integers(min_value=0, max_value=10**6),
    quantities,
)
def test_package_rounds_up_to_whole_packages(size: Decimal, package_price: int, quantity: Decimal) -> None:
    price = Price(meter_key="storage.gb", model="package", package_size=size, package_price=package_price)
    priced = price_quantity(price, quantity)
    packages = math.ceil(Fraction(quantity) / Fraction(size))
    assert priced.amount == packages * package_price
    assert (packages - 1) * size < quantity <= packages * size or (quantity == 0 and packages == 0)
    assert priced.tiers == []


@st.composite
def any_price(draw: st.DrawFn, included: Decimal) -> Price:
    model: ChargeModel = draw(st.sampled_from(["per_unit", "graduated", "volume", "package"]))
    if model == "per_unit":
        return Price(meter_key="m", model="per_unit", unit_price=draw(prices), included_quantity=included)
    if model == "package":
        return Price(
            meter_key="m",
            model="package",
            package_size=draw(st.decimals(min_value="0.5", max_value=100, places=1)),
            package_price=draw(fees),
            included_quantity=included,
        )
    return Price(meter_key="m", model=model, tiers=draw(tier_lists()), included_quantity=included)


@given(st.data(), quantities, quantities)
def test_included_quantity_never_charges(data: st.DataObject, included: Decimal, quantity: Decimal) -> None:
    price = data.draw(any_price(included))
    priced = price_quantity(price, min(quantity, included))
    assert priced.amount == 0
    assert priced.billable_quantity == 0
    # Above the allowance, the model prices exactly the units beyond it.
    free = msgspec.structs.replace(price, included_quantity=Decimal(0))
    above = price_quantity(price, included + quantity)
    assert above.billable_quantity == quantity
    assert above.amount == price_quantity(free, quantity).amount


@given(st.data(), quantities, quantities, quantities)
def test_price_is_monotone_in_quantity_except_volume(
    data: st.DataObject, included: Decimal, a: Decimal, b: Decimal
) -> None:
    price = data.draw(any_price(included))
    assume(price.model != "volume")
    low, high = sorted((a, b))
    assert price_quantity(price, low).amount <= price_quantity(price, high).amount


def test_volume_may_cost_less_above_a_bound() -> None:
    tiers = [Tier(up_to=Decimal(100), unit_price=Decimal(10)), Tier(up_to=None, unit_price=Decimal(5))]
    assert price_quantity(volume(tiers), Decimal(100)).amount == 1000
    assert price_quantity(volume(tiers), Decimal(101)).amount == 505


def test_zero_billable_units_cost_nothing_not_even_a_flat_fee() -> None:
    tiers = [Tier(up_to=Decimal(10), unit_price=Decimal(1), flat_fee=500), Tier(up_to=None, unit_price=Decimal(1))]
    for price in (graduated(tiers), volume(tiers)):
        assert price_quantity(price, Decimal(0)).amount == 0
    # Reaching a tier adds its flat fee once; the first unit of the second tier adds its fee.
    tiers = [
        Tier(up_to=Decimal(10), unit_price=Decimal(0), flat_fee=500),
        Tier(up_to=None, unit_price=Decimal(0), flat_fee=7),
    ]
    assert price_quantity(graduated(tiers), Decimal("0.001")).amount == 500
    assert price_quantity(graduated(tiers), Decimal(10)).amount == 500
    assert price_quantity(graduated(tiers), Decimal("10.001")).amount == 507
    assert price_quantity(volume(tiers), Decimal("10.001")).amount == 7


# --- the rounding rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [("0.5", 0), ("1.5", 2), ("2.5", 2), ("3.5", 4), ("2.4999", 2), ("2.5001", 3), ("-0.5", 0), ("-1.5", -2)],
)
def test_rounding_is_half_to_even(exact: str, rounded: int) -> None:
    assert round_minor(Decimal(exact)) == rounded


def test_a_line_is_rounded_once_not_per_tier() -> None:
    # Each tier is worth exactly half a minor unit: rounded per tier it would be 0 + 0 (or 1 + 1).
    tiers = [Tier(up_to=Decimal(1), unit_price=Decimal("0.5")), Tier(up_to=None, unit_price=Decimal("0.5"))]
    priced = price_quantity(graduated(tiers), Decimal(2))
    assert [t.amount for t in priced.tiers] == [Decimal("0.5"), Decimal("0.5")]
    assert priced.amount == 1


def test_sub_cent_unit_prices_are_exact() -> None:
    # 0.0004 minor units per request: a million requests are 400 minor units, not 0 or 1,000.
    price = Price(meter_key="api.request", model="per_unit", unit_price=Decimal("0.0004"))
    assert price_quantity(price, Decimal(1_000_000)).amount == 400
    assert price_quantity(price, Decimal(1_250)).amount == 0  # 0.5 -> 0 (half to even)
    assert price_quantity(price, Decimal(3_750)).amount == 2  # 1.5 -> 2
    # Products too long for the default 28-digit context stay exact.
    long = Price(meter_key="m", model="per_unit", unit_price=Decimal("123456789.123456789123456789"))
    assert price_quantity(long, Decimal("987654321.987654321")).amount == half_even(
        Fraction("123456789.123456789123456789") * Fraction("987654321.987654321")
    )


def test_bad_quantities_are_refused() -> None:
    price = Price(meter_key="m", model="per_unit", unit_price=Decimal(1))
    for quantity in (Decimal(-1), Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError, match="quantity"):
            price_quantity(price, quantity)
    with pytest.raises(ValueError, match="invalid price"):
        price_quantity(Price(meter_key="m", model="per_unit"), Decimal(1))


# --- proration -----------------------------------------------------------------------------------------


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=1, max_value=10**8), st.data())
def test_prorate_is_the_exact_share_rounded_once(amount: int, whole: int, data: st.DataObject) -> None:
    part = data.draw(st.integers(min_value=0, max_value=whole))
    assert prorate(amount, part, whole) == half_even(Fraction(amount * part, whole))
    assert prorate(amount, whole, whole) == amount
    assert prorate(amount, 0, whole) == 0


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=12),
)
def test_prorated_parts_of_a_split_period_stay_within_the_documented_bound(amount: int, parts: list[int]) -> None:
    """Each line is rounded alone: the parts sum to the whole +/- floor(n/2) (at most n-1)."""
    whole = sum(parts)
    prorated = [prorate(amount, part, whole) for part in parts]
    assert abs(sum(prorated) - amount) <= len(parts) // 2 <= max(len(parts) - 1, 0)


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
)
def test_allocate_is_exact_largest_remainder(amount: int, weights: list[int]) -> None:
    assume(sum(weights) > 0)
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    for part, weight in zip(parts, weights, strict=True):
        assert abs(Fraction(part) - Fraction(amount * weight, sum(weights))) < 1
        if weight == 0:
            assert part == 0


def test_prorate_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="whole_seconds"):
        prorate(100, 1, 0)
    with pytest.raises(ValueError, match="part_seconds"):
        prorate(100, -1, 10)
    with pytest.raises(ValueError, match="weights"):
        allocate(100, [0, 0])


# --- segments --------------------------------------------------------------------------------------------


def version(number: int, fee: int = 3000, effective_from: datetime = T0, plan_id: uuid.UUID = PLAN_ID) -> PlanVersion:
    return PlanVersion(
        plan_id=plan_id,
        plan_key=f"plan-{plan_id.int}",
        version=number,
        currency="USD",
        fixed_fee=fee,
        minimum_commitment=0,
        prices=[],
        effective_from=effective_from,
    )


VERSIONS = [version(1), version(2, 5000), version(3, 7000)]
seconds = st.integers(min_value=0, max_value=60)
histories = st.lists(st.tuples(seconds, st.sampled_from([None, *VERSIONS])), max_size=8)


@given(histories, seconds, st.integers(min_value=1, max_value=40))
def test_segments_cover_exactly_the_subscribed_instants_without_overlap(
    raw: list[tuple[int, PlanVersion | None]], start_offset: int, length: int
) -> None:
    history = [(T0 + timedelta(seconds=s), plan) for s, plan in raw]
    start, end = T0 + timedelta(seconds=start_offset), T0 + timedelta(seconds=start_offset + length)
    segments = segments_for_period(history, start, end)
    ordered = sorted(history, key=lambda entry: entry[0])  # stable: the later entry of an instant wins
    for second in range(length):
        instant = start + timedelta(seconds=second)
        expected = next((plan for at, plan in reversed(ordered) if at <= instant), None)
        holding = [s for s in segments if s.start <= instant < s.end]
        if expected is None:
            assert holding == []
        else:
            assert [s.plan for s in holding] == [expected]
    for segment in segments:
        assert start <= segment.start < segment.end <= end
    for before, after in itertools.pairwise(segments):
        assert before.end <= after.start
        assert before.end < after.start or before.plan != after.plan  # adjacent stretches merged


def test_a_period_without_changes_is_one_segment_paying_the_whole_fee() -> None:
    end = T0 + timedelta(days=31)
    (segment,) = segments_for_period([(T0 - timedelta(days=90), VERSIONS[0])], T0, end)
    assert (segment.start, segment.end, segment.plan) == (T0, end, VERSIONS[0])
    assert segment_fixed_fee(segment, T0, end) == 3000


def test_mid_period_plan_change_prorates_each_segment_by_time() -> None:
    end = T0 + timedelta(days=30)
    change = T0 + timedelta(days=10)
    segments = segments_for_period([(T0, VERSIONS[0]), (change, VERSIONS[1])], T0, end)
    assert [(s.plan.version, s.start, s.end) for s in segments] == [(1, T0, change), (2, change, end)]
    assert [segment_fixed_fee(s, T0, end) for s in segments] == [1000, 3333]  # 3000/3, 5000*2/3 = 3333.33


def test_subscription_history_follows_new_plan_versions_and_cancellation() -> None:
    other = uuid.UUID(int=2)
    v1 = version(1, effective_from=T0 - timedelta(days=100))
    v2 = version(2, 5000, effective_from=T0 + timedelta(days=5))
    v3 = version(3, 9000, effective_from=T0 + timedelta(days=50))  # after the switch: never applies
    o1 = version(1, 100, effective_from=T0 - timedelta(days=1), plan_id=other)
    changes = [
        (T0 + timedelta(days=20), other),
        (T0 - timedelta(days=30), PLAN_ID),
        (T0 + timedelta(days=25), None),
    ]
    history = subscription_history(changes, {PLAN_ID: [v3, v2, v1], other: [o1]})
    assert history == [
        (T0 - timedelta(days=30), v1),
        (T0 + timedelta(days=5), v2),
        (T0 + timedelta(days=20), o1),
        (T0 + timedelta(days=25), None),
    ]
    segments = segments_for_period(history, T0, T0 + timedelta(days=30))
    assert [(s.plan, s.start, s.end) for s in segments] == [
        (v1, T0, T0 + timedelta(days=5)),
        (v2, T0 + timedelta(days=5), T0 + timedelta(days=20)),
        (o1, T0 + timedelta(days=20), T0 + timedelta(days=25)),
    ]
    assert Segment(plan=v1, start=T0, end=T0 + timedelta(days=1)).seconds == 86_400


def test_a_subscription_before_its_plans_first_version_starts_with_that_version() -> None:
    later = version(1, effective_from=T0 + timedelta(days=3))
    history = subscription_history([(T0, PLAN_ID)], {PLAN_ID: [later]})
    assert history == [(T0, None), (T0 + timedelta(days=3), later)]
    with pytest.raises(ValueError, match="end after"):
        segments_for_period(history, T0, T0)


# --- currencies -----------------------------------------------------------------------------------------


def test_currency_exponents() -> None:
    assert (currency_exponent("USD"), currency_exponent("JPY"), currency_exponent("BHD")) == (2, 0, 3)
    assert all(len(code) == 3 and code.isupper() and 0 <= e <= 4 for code, e in CURRENCY_EXPONENTS.items())
    for code in ("XXX", "usd", "", "EURO"):
        with pytest.raises(UnknownCurrency):
            currency_exponent(code)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (123450, "USD", "USD 1,234.50"),
        (1235, "JPY", "JPY 1,235"),
        (1234, "BHD", "BHD 1.234"),
        (5, "EUR", "EUR 0.05"),
        (-5, "EUR", "EUR -0.05"),
        (0, "USD", "USD 0.00"),
        (123456789012, "CLF", "CLF 12,345,678.9012"),
    ],
)
def test_format_money(amount: int, currency: str, text: str) -> None:
    assert format_money(amount, currency) == text


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_formatted_money_reads_back_exactly(amount: int, currency: str) -> None:
    code, _, number = format_money(amount, currency).partition(" ")
    assert code == currency
    assert Decimal(number.replace(",", "")).scaleb(currency_exponent(currency)) == amount


def test_format_money_takes_only_minor_units() -> None:
    with pytest.raises(TypeError):
        format_money(cast(int, 1.5), "USD")  # a float where minor units belong


# --- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "fields"),
    [
        (Price(meter_key="m", model="per_unit"), ["unit_price"]),
        (Price(meter_key="m", model="per_unit", unit_price=Decimal(-1)), ["unit_price"]),
        (Price(meter_key="m", model="per_unit", unit_price=Decimal("NaN")), ["unit_price"]),
        (Price(meter_key="m", model="per_unit", unit_price=Decimal("1e-19")), ["unit_price"]),
        (Price(meter_key="m", model="per_unit", unit_price=Decimal("1e18")), ["unit_price"]),
        (Price(meter_key="m", model="per_unit", unit_price=Decimal(1), package_size=Decimal(1)), ["package_size"]),
        (
            Price(meter_key="m", model="per_unit", unit_price=Decimal(1), included_quantity=Decimal(-1)),
            ["included_quantity"],
        ),
        (Price(meter_key="m", model="graduated"), ["tiers"]),
        (Price(meter_key="m", model="volume", unit_price=Decimal(1), tiers=[Tier(None, Decimal(1))]), ["unit_price"]),
        (Price(meter_key="m", model="graduated", tiers=[Tier(Decimal(5), Decimal(1))]), ["tiers[0].up_to"]),
        (
            Price(meter_key="m", model="graduated", tiers=[Tier(None, Decimal(1)), Tier(None, Decimal(1))]),
            ["tiers[0].up_to"],
        ),
        (
            Price(
                meter_key="m",
                model="volume",
                tiers=[Tier(Decimal(5), Decimal(1)), Tier(Decimal(5), Decimal(1)), Tier(None, Decimal(1))],
            ),
            ["tiers[1].up_to"],
        ),
        (
            Price(meter_key="m", model="graduated", tiers=[Tier(Decimal(0), Decimal(1)), Tier(None, Decimal(1))]),
            ["tiers[0].up_to"],
        ),
        (
            Price(meter_key="m", model="graduated", tiers=[Tier(None, Decimal(-1), flat_fee=-1)]),
            ["tiers[0].unit_price", "tiers[0].flat_fee"],
        ),
        (Price(meter_key="m", model="package", package_size=Decimal(0), package_price=1), ["package_size"]),
        (Price(meter_key="m", model="package", package_size=Decimal(10)), ["package_price"]),
        (Price(meter_key="m", model="package", package_size=Decimal(10), package_price=-1), ["package_price"]),
    ],
)
def test_invalid_prices_name_their_fields(price: Price, fields: list[str]) -> None:
    assert [field for field, _ in price_errors(price)] == fields


def test_terms_validation_names_every_field() -> None:
    terms = PlanTerms(
        prices=[
            Price(meter_key="api.request", model="per_unit", unit_price=Decimal(1)),
            Price(meter_key="api.request", model="per_unit", unit_price=Decimal(1)),
            Price(meter_key="Bad Key", model="package", package_size=Decimal(0), package_price=1),
        ]
    )
    with pytest.raises(InvalidRequest) as caught:
        logic.validate_terms(terms, "XYZ")
    assert [e.field for e in caught.value.errors or []] == [
        "currency",
        "prices[1].meter_key",
        "prices[2].meter_key",
        "prices[2].package_size",
    ]
    logic.validate_terms(PlanTerms(prices=[terms.prices[0]]), "JPY")


# --- subscription rules -----------------------------------------------------------------------------------


NOW = datetime(2027, 3, 10, 12, 0, 0, 400_000, tzinfo=UTC)
THIS_SECOND = NOW.replace(microsecond=0)


def test_effective_times_are_whole_seconds_never_in_the_past() -> None:
    assert logic.effective_time(None, NOW, "effective_at") == THIS_SECOND
    assert logic.effective_time(THIS_SECOND, NOW, "effective_at") == THIS_SECOND
    later = THIS_SECOND + timedelta(days=1, microseconds=1)
    assert logic.effective_time(later, NOW, "effective_at") == THIS_SECOND + timedelta(days=1, seconds=1)
    for bad in (THIS_SECOND - timedelta(seconds=1), datetime(2027, 5, 1)):  # past; no time zone
        with pytest.raises(InvalidRequest) as caught:
            logic.effective_time(bad, NOW, "effective_at")
        assert [e.field for e in caught.value.errors or []] == ["effective_at"]
    past = THIS_SECOND - timedelta(days=3)
    assert logic.effective_time(past, NOW, "effective_from", allow_past=True) == past


def change(days: int, plan_id: uuid.UUID | None = PLAN_ID) -> SubscriptionChange:
    return SubscriptionChange(
        id=uuid.uuid4(),
        plan_id=plan_id,
        plan_key=None if plan_id is None else f"plan-{plan_id.int}",
        effective_at=THIS_SECOND + timedelta(days=days),
        created_at=THIS_SECOND,
        created_by="user:x",
    )


def test_subscribe_change_and_cancel_rules() -> None:
    other = uuid.UUID(int=2)
    at = THIS_SECOND
    # Subscribing: only when no plan is in force at that time.
    assert logic.decide_change("subscribe", [], at, PLAN_ID) == logic.ChangeDecision(None, [], True)
    current = change(-10)
    with pytest.raises(Conflict, match="already subscribed"):
        logic.decide_change("subscribe", [current], at, other)
    cancelled = change(-1, None)
    assert logic.decide_change("subscribe", [current, cancelled], at, other).add
    # Changing and cancelling: only when a plan is in force at that time.
    kinds: list[logic.ChangeKind] = ["change", "cancel"]
    for kind in kinds:
        with pytest.raises(Conflict, match="no subscription"):
            logic.decide_change(kind, [current, cancelled], at, other)
    # The latest decision wins: scheduled changes at or after the new one's time are replaced.
    scheduled = [change(5, other), change(9, None)]
    decision = logic.decide_change("change", [current, *scheduled], at + timedelta(days=5), PLAN_ID)
    assert decision.superseded == scheduled
    assert not decision.add  # back to the plan in force: the replaced changes were all it took
    assert decision.in_force == scheduled[0]
    decision = logic.decide_change("cancel", [current, *scheduled], at + timedelta(days=7), None)
    assert (decision.superseded, decision.add) == ([scheduled[1]], True)
    assert logic.decide_change("change", [current], at, PLAN_ID) == logic.ChangeDecision(current, [], False)
    # Of one second, the later decision wins too; but subscribing twice is refused.
    now_on_other = change(0, other)
    with pytest.raises(Conflict, match="already subscribed"):
        logic.decide_change("subscribe", [now_on_other], at, PLAN_ID)
    decision = logic.decide_change("change", [current, now_on_other], at, uuid.UUID(int=3))
    assert (decision.superseded, decision.add) == ([now_on_other], True)
    repeated = logic.decide_change("change", [current, now_on_other], at, other)
    assert (repeated.superseded, repeated.add) == ([], False)
    # Cancelling a subscription that only starts at that instant just drops it.
    starts = change(4)
    decision = logic.decide_change("cancel", [cancelled, starts], at + timedelta(days=4), None)
    assert (decision.superseded, decision.add) == ([starts], False)


def plan_record(**changes: object) -> PlanRecord:
    base = PlanRecord(
        id=PLAN_ID,
        key="pro",
        name="Pro",
        description="",
        currency="USD",
        status="active",
        version=1,
        last_version=1,
        created_at=T0,
        updated_at=T0,
    )
    return msgspec.structs.replace(base, **changes)


def test_plan_availability() -> None:
    v1 = version(1, effective_from=THIS_SECOND - timedelta(days=1))
    assert logic.check_plan_available(plan_record(), [v1], THIS_SECOND, "USD") == v1
    assert logic.check_plan_available(plan_record(), [v1], THIS_SECOND, None) == v1
    with pytest.raises(Conflict, match="retired"):
        logic.check_plan_available(plan_record(status="retired"), [v1], THIS_SECOND, "USD")
    with pytest.raises(Conflict, match="one currency"):
        logic.check_plan_available(plan_record(currency="EUR"), [v1], THIS_SECOND, "USD")
    with pytest.raises(Conflict, match="no version in force"):
        logic.check_plan_available(plan_record(), [v1], THIS_SECOND - timedelta(days=2), "USD")


def test_versions_ascend_and_only_scheduled_later_ones_are_withdrawn() -> None:
    v1 = version(1, effective_from=THIS_SECOND - timedelta(days=10))
    v2 = version(2, effective_from=THIS_SECOND + timedelta(days=10))
    logic.check_new_version(THIS_SECOND + timedelta(days=11), [v1, v2])
    with pytest.raises(Conflict, match="after version 2"):
        logic.check_new_version(THIS_SECOND + timedelta(days=10), [v1, v2])
    logic.check_withdrawal(v2, [v1, v2], NOW)
    with pytest.raises(Conflict, match="immutable"):
        logic.check_withdrawal(v1, [v1, v2], NOW)
    first = version(1, effective_from=THIS_SECOND + timedelta(days=1))
    with pytest.raises(Conflict, match="first version"):
        logic.check_withdrawal(first, [first], NOW)


def test_subscription_view_as_of_now() -> None:
    record = SubscriptionRecord(tenant_id=uuid.uuid4(), currency="USD", version=3, created_at=T0, updated_at=T0)
    v1 = version(1, effective_from=THIS_SECOND - timedelta(days=100))
    versions = {PLAN_ID: [v1]}
    active = logic.subscription_view(record, [change(-10), change(3, None)], versions, NOW)
    assert (active.status, active.plan, [c.plan_id for c in active.scheduled_changes]) == ("active", v1, [None])
    scheduled = logic.subscription_view(record, [change(2)], versions, NOW)
    assert (scheduled.status, scheduled.plan) == ("scheduled", None)
    cancelled = logic.subscription_view(record, [change(-10), change(-1, None)], versions, NOW)
    assert (cancelled.status, cancelled.plan, cancelled.scheduled_changes) == ("cancelled", None, [])
