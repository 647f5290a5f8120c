"""Invoices without I/O: building lines from usage and segments, totals, the lifecycle, rendering."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluxforge.billing.catalog.pricing import ChargeModel, PlanVersion, Price, Segment, Tier, price_quantity, prorate
from fluxforge.billing.invoices import lifecycle, logic, render
from fluxforge.billing.invoices.models import Invoice, InvoiceLine, InvoiceStatus, Issuer, LineDraft
from fluxforge.conventions import new_id
from fluxforge.errors import InvalidRequest
from fluxforge.metering.models import UsageTotal

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = (START, END)
TENANT = uuid.UUID("00000000-0000-7000-8000-00000000000a")


def plan(
    version: int = 1,
    *,
    fixed_fee: int = 0,
    minimum: int = 0,
    prices: list[Price] | None = None,
    currency: str = "USD",
    key: str = "pro",
) -> PlanVersion:
    return PlanVersion(
        plan_id=uuid.UUID(int=version),
        plan_key=key,
        version=version,
        currency=currency,
        fixed_fee=fixed_fee,
        minimum_commitment=minimum,
        prices=prices or [],
        effective_from=START - timedelta(days=90),
    )


def per_unit(meter: str, unit_price: str, included: str = "0") -> Price:
    return Price(meter_key=meter, model="per_unit", unit_price=Decimal(unit_price), included_quantity=Decimal(included))


def usage(meter: str, quantity: str, events: int = 1, tenant: uuid.UUID = TENANT) -> UsageTotal:
    return UsageTotal(tenant_id=tenant, meter_key=meter, quantity=Decimal(quantity), event_count=events)


def test_one_plan_for_the_whole_period() -> None:
    terms = plan(fixed_fee=10_000, prices=[per_unit("api.requests", "0.05"), per_unit("storage.gb", "12")])
    meters = {"api.requests": usage("api.requests", "123457", 123457), "storage.gb": usage("storage.gb", "0")}
    draft = logic.build_invoice(TENANT, PERIOD, [Segment(terms, START, END)], {PERIOD: meters})

    assert [line.kind for line in draft.lines] == ["fixed_fee", "usage"]  # no usage, no charge: no line
    fee, requests = draft.lines
    assert fee.amount == 10_000
    assert fee.quantity == 1
    assert "prorated" not in fee.description
    assert requests.meter_key == "api.requests"
    assert requests.quantity == 123457
    assert requests.unit_price == Decimal("0.05")
    assert requests.amount == 6173  # 6172.85 rounded once, half-even
    assert requests.source.event_count == 123457
    assert (requests.source.window_start, requests.source.window_end) == PERIOD
    assert requests.source.plan_id == terms.plan_id
    assert requests.source.plan_version == 1
    assert draft.subtotal == draft.total == 16_173
    assert draft.currency == "USD"


def test_a_plan_change_splits_fees_and_prices_usage_by_each_version() -> None:
    change = START + timedelta(days=10)  # 10 of 31 days on v1, 21 on v2
    v1 = plan(1, fixed_fee=3_100, prices=[per_unit("api.requests", "1")])
    v2 = plan(2, fixed_fee=6_200, prices=[per_unit("api.requests", "2")])
    segments = [Segment(v2, change, END), Segment(v1, START, change)]  # any order
    usage_by_window = {
        (START, change): {"api.requests": usage("api.requests", "100", 100)},
        (change, END): {"api.requests": usage("api.requests", "50", 50)},
    }
    draft = logic.build_invoice(TENANT, PERIOD, segments, usage_by_window)

    fee1, use1, fee2, use2 = draft.lines
    assert fee1.amount == prorate(3_100, 10 * 86_400, 31 * 86_400) == 1_000
    assert "10 of 31 days" in fee1.description
    assert fee2.amount == prorate(6_200, 21 * 86_400, 31 * 86_400) == 4_200
    assert (use1.amount, use1.source.plan_version, use1.source.window_end) == (100, 1, change)
    assert (use2.amount, use2.source.plan_version, use2.source.window_start) == (100, 2, change)
    assert draft.total == 1_000 + 100 + 4_200 + 100


def test_minimum_commitment_adds_the_shortfall_per_segment_prorated() -> None:
    half = START + timedelta(days=15, hours=12)  # exactly half of 31 days
    short = plan(1, fixed_fee=1_000, minimum=10_000, prices=[per_unit("jobs", "100")])
    covered = plan(2, minimum=10_000, prices=[per_unit("jobs", "100")])
    usage_by_window = {
        (START, half): {"jobs": usage("jobs", "10")},  # 500 fee (half of 1,000) + 1,000 usage < 5,000
        (half, END): {"jobs": usage("jobs", "60")},  # 6,000 >= 5,000: no adjustment
    }
    draft = logic.build_invoice(
        TENANT, PERIOD, [Segment(short, START, half), Segment(covered, half, END)], usage_by_window
    )

    kinds = [line.kind for line in draft.lines]
    assert kinds == ["fixed_fee", "usage", "minimum_commitment", "usage"]
    adjustment = draft.lines[2]
    assert adjustment.amount == 5_000 - 1_500
    assert adjustment.source.window_end == half
    assert draft.subtotal == 500 + 1_000 + 6_000
    assert draft.total == draft.subtotal + 3_500


def test_a_tenant_with_no_charges_gets_an_empty_invoice() -> None:
    draft = logic.build_invoice(TENANT, PERIOD, [Segment(plan(prices=[per_unit("x", "1")]), START, END)], {})
    assert draft.lines == []
    assert draft.total == 0
    assert draft.currency == "USD"


def test_tiered_lines_show_their_tiers_and_no_single_unit_price() -> None:
    tiers = [Tier(up_to=Decimal(100), unit_price=Decimal(10)), Tier(up_to=None, unit_price=Decimal(5), flat_fee=50)]
    price = Price(meter_key="builds", model="graduated", tiers=tiers)
    draft = logic.build_invoice(
        TENANT, PERIOD, [Segment(plan(prices=[price]), START, END)], {PERIOD: {"builds": usage("builds", "150")}}
    )
    (line,) = draft.lines
    assert line.unit_price is None
    tier_lines: list[tuple[object, ...]] = [(t.tier_index, t.quantity, t.amount) for t in line.tiers]
    assert tier_lines == [(0, 100, 1000), (1, 50, 300)]
    assert line.amount == 1_300


def test_mixed_currencies_in_one_period_are_refused() -> None:
    half = START + timedelta(days=3)
    segments = [Segment(plan(1, currency="USD"), START, half), Segment(plan(2, currency="EUR"), half, END)]
    with pytest.raises(logic.MixedCurrencies, match="EUR, USD"):
        logic.build_invoice(TENANT, PERIOD, segments, {})


def test_tenants_sharing_a_window_share_a_usage_query() -> None:
    change = START + timedelta(days=7)
    a, b, c = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
    windows = logic.usage_windows(
        {
            a: [Segment(plan(), START, END)],
            b: [Segment(plan(), START, END)],
            c: [Segment(plan(1), START, change), Segment(plan(2), change, END)],
        },
        START,
        END,
    )
    assert windows == {(START, END): [a, b], (START, change): [c], (change, END): [c]}


def test_check_period() -> None:
    logic.check_period(START, END, END)
    for start, end, now in [
        (END, START, END),
        (START, START + timedelta(days=400), START + timedelta(days=500)),
        (START, END, END - timedelta(seconds=1)),
    ]:
        with pytest.raises(InvalidRequest):
            logic.check_period(start, end, now)


# --- property: the total is the sum of the lines ---------------------------------------------

decimals = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
unit_prices = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False)
money = st.integers(min_value=0, max_value=10**7)


@st.composite
def prices(draw: st.DrawFn, meter: str) -> Price:
    models: list[ChargeModel] = ["per_unit", "graduated", "volume", "package"]
    model = draw(st.sampled_from(models))
    included = draw(st.sampled_from([Decimal(0), Decimal(10)]))
    if model == "per_unit":
        return Price(meter_key=meter, model="per_unit", unit_price=draw(unit_prices), included_quantity=included)
    if model == "package":
        return Price(
            meter_key=meter,
            model="package",
            package_size=Decimal(draw(st.integers(1, 1000))),
            package_price=draw(money),
            included_quantity=included,
        )
    bounds = sorted(set(draw(st.lists(st.integers(1, 10**5), min_size=0, max_size=3))))
    tiers = [Tier(up_to=Decimal(b), unit_price=draw(unit_prices), flat_fee=draw(money)) for b in bounds]
    tiers.append(Tier(up_to=None, unit_price=draw(unit_prices), flat_fee=draw(money)))
    return Price(meter_key=meter, model=model, tiers=tiers, included_quantity=included)


@st.composite
def tenant_periods(draw: st.DrawFn) -> tuple[list[Segment], dict[logic.Window, dict[str, UsageTotal]]]:
    cuts = sorted(set(draw(st.lists(st.integers(1, 31 * 86_400 - 1), max_size=3))))
    bounds = [START, *(START + timedelta(seconds=c) for c in cuts), END]
    segments: list[Segment] = []
    usage_by_window: dict[logic.Window, dict[str, UsageTotal]] = {}
    for index, (lower, upper) in enumerate(itertools.pairwise(bounds)):
        meters = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), unique=True, max_size=5))
        terms = plan(
            index + 1,
            fixed_fee=draw(money),
            minimum=draw(money),
            prices=[draw(prices(meter)) for meter in meters],
        )
        if draw(st.booleans()):  # a gap: no plan in force here
            continue
        segments.append(Segment(terms, lower, upper))
        usage_by_window[(lower, upper)] = {
            meter: usage(meter, str(draw(decimals)), draw(st.integers(0, 10**6))) for meter in meters
        }
    return segments, usage_by_window


@settings(max_examples=300, deadline=None)
@given(tenant_periods())
def test_total_is_the_sum_of_the_lines_and_covers_every_minimum(
    case: tuple[list[Segment], dict[logic.Window, dict[str, UsageTotal]]],
) -> None:
    segments, usage_by_window = case
    draft = logic.build_invoice(TENANT, PERIOD, segments, usage_by_window)
    assert draft.total == sum(line.amount for line in draft.lines)
    assert draft.subtotal == sum(line.amount for line in draft.lines if line.kind != "minimum_commitment")
    assert draft.total >= draft.subtotal >= 0
    whole = 31 * 86_400
    for segment in segments:
        inside = [line for line in draft.lines if line.source.window_start == segment.start]
        minimum = prorate(segment.plan.minimum_commitment, segment.seconds, whole)
        assert sum(line.amount for line in inside) >= minimum
        assert sum(1 for line in inside if line.kind == "minimum_commitment") <= 1
        for line in inside:
            if line.kind == "usage":
                price = segment.plan.price_for(line.meter_key or "")
                assert price is not None
                assert line.amount == price_quantity(price, line.quantity).amount


@settings(max_examples=100, deadline=None)
@given(tenant_periods())
def test_a_stored_usage_line_recomputes_to_itself(
    case: tuple[list[Segment], dict[logic.Window, dict[str, UsageTotal]]],
) -> None:
    segments, usage_by_window = case
    draft = logic.build_invoice(TENANT, PERIOD, segments, usage_by_window)
    for position, line in enumerate(draft.lines):
        if line.kind != "usage":
            continue
        stored = stored_line(position, line)
        window = (line.source.window_start, line.source.window_end)
        assert logic.recompute_usage_line(stored, usage_by_window[window].get(line.meter_key or "")) == line


def stored_line(position: int, line: LineDraft) -> InvoiceLine:
    return InvoiceLine(
        position=position,
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


# --- the lifecycle -----------------------------------------------------------------------------

STATUSES: list[InvoiceStatus] = ["draft", "finalized", "payment_failed", "paid", "void"]
ACTIONS: list[lifecycle.Action] = ["finalize", "mark_paid", "mark_payment_failed", "void"]


def test_transition_table() -> None:
    legal = {
        ("draft", "finalize"): ("finalized", True),
        ("finalized", "finalize"): ("finalized", False),
        ("finalized", "mark_paid"): ("paid", True),
        ("finalized", "mark_payment_failed"): ("payment_failed", True),
        ("finalized", "void"): ("void", True),
        ("payment_failed", "mark_paid"): ("paid", True),
        ("payment_failed", "mark_payment_failed"): ("payment_failed", False),
        ("payment_failed", "void"): ("void", True),
        ("paid", "mark_paid"): ("paid", False),
        ("void", "void"): ("void", False),
    }
    for status, action in itertools.product(STATUSES, ACTIONS):
        if (status, action) in legal:
            assert lifecycle.next_status(status, action) == legal[(status, action)]
        else:
            with pytest.raises(lifecycle.IllegalTransition):
                lifecycle.next_status(status, action)


@given(st.lists(st.sampled_from(ACTIONS), max_size=12))
def test_any_sequence_of_actions_keeps_the_invariants(actions: list[lifecycle.Action]) -> None:
    status: InvoiceStatus = "draft"
    numbered = False
    for action in actions:
        try:
            after, changed = lifecycle.next_status(status, action)
        except lifecycle.IllegalTransition:
            continue
        assert changed == (after != status)
        if status in ("paid", "void"):
            assert after == status  # final states stay final
        if action == "finalize" and changed:
            assert not numbered  # numbered once, never again
            numbered = True
        status = after
    assert numbered == (status != "draft")


def test_creditable_amount() -> None:
    assert lifecycle.creditable_amount("draft", 100, 0) == 0
    assert lifecycle.creditable_amount("void", 100, 0) == 0
    assert lifecycle.creditable_amount("paid", 100, 30) == 70
    assert lifecycle.creditable_amount("finalized", 100, 100) == 0


# --- rendering ---------------------------------------------------------------------------------


def test_money_and_quantities_print_with_the_currency_exponent() -> None:
    assert render.major_units(123450, "USD") == "1234.50"
    assert render.major_units(-5, "EUR") == "-0.05"
    assert render.major_units(1235, "JPY") == "1235"
    assert render.major_units(1234, "BHD") == "1.234"
    assert render.unit_price_text(Decimal("0.05"), "USD") == "0.0005"
    assert render.unit_price_text(Decimal(150), "USD") == "1.50"
    assert render.unit_price_text(Decimal(150000), "USD", grouped=True) == "1,500.00"
    assert render.unit_price_text(Decimal("2.5"), "JPY") == "2.5"
    assert render.unit_price_text(Decimal(0), "USD") == "0.00"
    assert render.quantity_text(Decimal("1234567.500")) == "1,234,567.5"
    assert render.quantity_text(Decimal("100")) == "100"
    assert render.period_text(START, END) == "1 Oct 2026 \u2013 31 Oct 2026"
    assert render.period_text(START + timedelta(hours=6), END) == "2026-10-01 06:00 \u2013 2026-11-01 00:00 UTC"


def sample_invoice(**changes: object) -> Invoice:
    tiers = [Tier(up_to=Decimal(1000), unit_price=Decimal(1)), Tier(up_to=None, unit_price=Decimal("0.5"))]
    terms = plan(
        fixed_fee=4_900,
        minimum=50_000,
        prices=[per_unit("api.requests", "0.05"), Price(meter_key="builds", model="graduated", tiers=tiers)],
    )
    draft = logic.build_invoice(
        TENANT,
        PERIOD,
        [Segment(terms, START, END)],
        {PERIOD: {"api.requests": usage("api.requests", "250000", 250000), "builds": usage("builds", "1500", 1500)}},
    )
    now = datetime(2026, 11, 2, tzinfo=UTC)
    fields: dict[str, object] = {
        "id": new_id(),
        "tenant_id": TENANT,
        "customer_slug": "acme-corp",
        "customer_name": "Ünïcode Gesellschaft mbH, Αθήνα & Москва",
        "status": "finalized",
        "number": "INV-000042",
        "currency": "USD",
        "period_start": START,
        "period_end": END,
        "issued_at": now,
        "due_at": now + timedelta(days=30),
        "subtotal": draft.subtotal,
        "total": draft.total,
        "credited": 0,
        "version": 2,
        "created_at": now,
        "updated_at": now,
        "issuer_name": "FluxForge Inc.",
        "issuer_address": "1 Forge Street\n10115 Berlin\nGermany",
        "finalized_at": now,
        "paid_at": None,
        "payment_failed_at": None,
        "voided_at": None,
        "lines": [stored_line(i, line) for i, line in enumerate(draft.lines)],
        "credit_notes": [],
        "stripe": None,
    }
    fields.update(changes)
    return Invoice(**cast(dict[str, Any], fields))


def test_csv_has_a_row_per_line_then_the_totals() -> None:
    invoice = sample_invoice()
    rows = list(csv.reader(io.StringIO(render.csv_document(invoice).decode())))
    assert tuple(rows[0]) == render.CSV_COLUMNS
    body = [dict(zip(render.CSV_COLUMNS, row, strict=False)) for row in rows[1:]]
    lines, summary = body[: len(invoice.lines)], body[len(invoice.lines) :]
    assert [row["kind"] for row in lines] == ["fixed_fee", "usage", "usage", "minimum_commitment"]
    assert lines[1]["unit_price"] == "0.0005"
    assert lines[1]["amount"] == "125.00"
    assert lines[1]["amount_minor"] == "12500"
    assert lines[1]["event_count"] == "250000"
    assert lines[1]["window_start"] == "2026-10-01T00:00:00Z"
    assert sum(int(row["amount_minor"]) for row in lines) == invoice.total
    assert [(row["kind"], row["amount_minor"]) for row in summary] == [
        ("subtotal", str(invoice.subtotal)),
        ("total", str(invoice.total)),
    ]


def test_csv_cells_cannot_become_formulas() -> None:
    invoice = sample_invoice()
    hostile = msgspec.structs.replace(invoice.lines[0], description="=HYPERLINK(1)")
    rows = list(csv.reader(io.StringIO(render.csv_document(sample_invoice(lines=[hostile])).decode())))
    assert rows[1][2] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("status", ["draft", "finalized", "paid", "void"])
def test_pdf_renders_every_state(status: str) -> None:
    numbered = status != "draft"
    invoice = sample_invoice(
        status=status,
        number="INV-000042" if numbered else None,
        issued_at=datetime(2026, 11, 2, tzinfo=UTC) if numbered else None,
        issuer_name="FluxForge Inc." if numbered else None,
    )
    document = render.pdf_document(invoice, Issuer("FluxForge Inc.", "1 Forge Street"))
    assert document.startswith(b"%PDF-")
    assert document.rstrip().endswith(b"%%EOF")
    assert b"DejaVu" in document  # the bundled font is embedded, so any script prints


def test_pdf_with_many_lines_breaks_pages() -> None:
    base = sample_invoice()
    many = [msgspec.structs.replace(base.lines[1], position=i) for i in range(80)]
    document = render.pdf_document(sample_invoice(lines=many), Issuer("FluxForge", ""))
    assert document.count(b"/Type /Page") - document.count(b"/Type /Pages") >= 3
