"""Metering rules without I/O: reading ingest bodies (the fast path agrees with judging each
event on its own), the open usage period, usage windows, meter definitions and reports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.conventions import new_id
from fluxforge.errors import BadRequest, InvalidRequest
from fluxforge.metering import logic
from fluxforge.metering.models import Meter, MeterCreate, MeterPatch, Rejection, UsageEvent

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
encode = msgspec.json.Encoder(decimal_format="number").encode


def meter(**changes: Any) -> Meter:
    base = Meter(
        id=new_id(),
        key="tokens",
        scope="tenant",
        event_type="llm.call",
        aggregation="sum",
        value_property="tokens",
        group_by=["model"],
        unit="tokens",
        description="",
        version=3,
        created_at=NOW,
        updated_at=NOW,
    )
    return msgspec.structs.replace(base, **changes)


def good(event_id: str = "e-1", **fields: Any) -> dict[str, Any]:
    return {"id": event_id, "type": "llm.call", "timestamp": "2026-11-23T10:00:00Z", "subject": "c", **fields}


# --- the open period and windows -----------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(UTC))


@given(moments, st.integers(-30, 30))
def test_months_are_calendar_months_in_utc(moment: datetime, months: int) -> None:
    start = logic.month_start(moment)
    assert start <= moment < logic.add_months(start, 1)
    assert start.day == 1 and start.hour == start.minute == start.second == start.microsecond == 0  # noqa: PT018
    shifted = logic.add_months(start, months)
    assert logic.add_months(shifted, -months) == start
    assert (shifted.year * 12 + shifted.month) - (start.year * 12 + start.month) == months


@given(moments, st.integers(1, 3600))
def test_the_open_period_is_this_month_and_the_last(moment: datetime, tolerance: int) -> None:
    earliest, latest = logic.ingest_bounds(moment, tolerance)
    assert earliest == logic.add_months(logic.month_start(moment), -1)
    assert latest == moment + timedelta(seconds=tolerance)
    assert moment - earliest >= timedelta(days=28)


def test_open_period_in_january_starts_in_december() -> None:
    assert logic.open_period_start(datetime(2027, 1, 3, tzinfo=UTC)) == datetime(2026, 12, 1, tzinfo=UTC)


def refused_forever(at: datetime, now: datetime, closed: list[tuple[datetime, datetime]]) -> bool:
    """Whether no batch, from now on and by any clock at most the allowance behind, may store an
    event at `at`: before the open period, or in a closed one."""
    return at < logic.archive_from(now) or any(start <= at < end for start, end in closed)


closed_periods = st.lists(
    st.tuples(st.integers(-80 * 24, 10 * 24), st.integers(1, 40 * 24)).map(
        lambda hours: (NOW + timedelta(hours=hours[0]), NOW + timedelta(hours=hours[0] + hours[1]))
    ),
    max_size=6,
)


@given(moments, closed_periods, st.integers(1, 200 * 24 * 3600))
def test_every_event_below_the_id_watermark_is_refused_forever(
    now: datetime, closed: list[tuple[datetime, datetime]], seconds_back: int
) -> None:
    shifted = [(start - NOW + now, end - NOW + now) for start, end in closed]
    watermark = logic.id_watermark(now, shifted)
    assert watermark >= logic.archive_from(now)
    assert refused_forever(watermark - timedelta(seconds=seconds_back), now, shifted)
    assert refused_forever(watermark - timedelta(microseconds=1), now, shifted)
    assert not any(start <= watermark < end for start, end in shifted)  # as far as it may go


def test_the_id_watermark_trails_the_open_period_by_the_clock_skew_allowed() -> None:
    assert logic.id_watermark(datetime(2026, 12, 2, tzinfo=UTC), []) == datetime(2026, 11, 1, tzinfo=UTC)
    # On the first day of a month a slow clock may still take last month's previous month.
    assert logic.id_watermark(datetime(2026, 12, 1, 5, tzinfo=UTC), []) == datetime(2026, 10, 1, tzinfo=UTC)
    closed = [(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC))]
    closed.append((datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))
    assert logic.id_watermark(datetime(2026, 12, 20, tzinfo=UTC), closed) == datetime(2026, 12, 1, tzinfo=UTC)
    gap = [(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))]
    assert logic.id_watermark(datetime(2026, 12, 20, tzinfo=UTC), gap) == datetime(2026, 11, 1, tzinfo=UTC)


def test_tenant_lock_keys_are_bigints_that_tell_neighbouring_tenants_apart() -> None:
    tenants = [new_id() for _ in range(10_000)]  # time-ordered: many share their leading bytes
    keys = {logic.tenant_lock_key(t) for t in tenants}
    assert len(keys) == len(tenants)
    assert all(-(2**63) <= k < 2**63 for k in keys)


@given(moments, st.sampled_from(["hour", "day", "month"]))
def test_a_moment_falls_in_its_window(moment: datetime, window: Any) -> None:
    start = logic.window_start(moment, window)
    end = logic.window_end(start, window)
    assert start <= moment < end
    assert logic.window_start(end, window) == end  # windows tile time


def test_windows_follow_utc_whatever_the_offset_given() -> None:
    tokyo = datetime(2026, 11, 1, 5, 0, tzinfo=datetime.fromisoformat("2026-01-01T00:00+09:00").tzinfo)
    assert logic.window_start(tokyo, "day") == datetime(2026, 10, 31, tzinfo=UTC)
    assert logic.window_start(tokyo, "month") == datetime(2026, 10, 1, tzinfo=UTC)


# --- reading ingest bodies -------------------------------------------------------------------------

ID_TEXT = st.one_of(
    st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8), st.text(max_size=6)
)
TYPE_TEXT = st.one_of(st.sampled_from(["llm.call", "a:b_c-d", "x"]), st.text(max_size=5))
SUBJECT_TEXT = st.one_of(st.sampled_from(["c-1", "Zoë", "a b"]), st.text(max_size=5))
TIMESTAMPS = st.sampled_from(["2026-11-23T10:00:00Z", "2026-11-23T10:00:00+02:00", "2026-11-23T10:00:00", "nope", 5])
PROPERTIES = st.one_of(
    st.dictionaries(st.text(max_size=4), st.one_of(st.integers(), st.text(max_size=6), st.booleans()), max_size=3),
    st.sampled_from(
        [
            [1, 2],
            "text",
            {"n": Decimal("1e99999")},
            {"n": Decimal("1e9999")},
            {"s": "1e99999 and \\u0000 look-alikes"},
            {"s": "nul \u0000"},
            {"\u0000": 1},
            {"n": int("9" * 1200)},
            {"s": "9" * 1200},
        ]
    ),
)


@st.composite
def raw_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": draw(ID_TEXT),
        "type": draw(TYPE_TEXT),
        "timestamp": draw(TIMESTAMPS),
        "subject": draw(SUBJECT_TEXT),
    }
    if draw(st.booleans()):
        event["properties"] = draw(PROPERTIES)
    if draw(st.integers(0, 9)) == 0:
        del event[draw(st.sampled_from(["id", "type", "timestamp", "subject"]))]
    if draw(st.integers(0, 19)) == 0:
        event["unknown"] = 1
    return event


DECIMALS = msgspec.json.Decoder(float_hook=Decimal)
EVENTS_WITH_DECIMALS = msgspec.json.Decoder(UsageEvent, float_hook=Decimal)


def schema_accepts(event: dict[str, Any]) -> bool:
    """Whether the documented form of an event (`UsageEvent`, the OpenAPI schema) accepts it.

    Numbers are read as decimals: JSON (and the schema) has no float range, so `1E+9999` is a
    number, though a binary float cannot hold it."""
    try:
        EVENTS_WITH_DECIMALS.decode(encode(event))
    except msgspec.ValidationError:
        return False
    return True


def within_postgres_limits(event: dict[str, Any]) -> bool:
    text = encode(event.get("properties", {})).decode()
    return not any(problem in text for problem in ("\\u0000", "9" * 1000, "e99999", "E+99999"))


@given(st.lists(raw_events(), max_size=8))
def test_every_event_is_judged_on_its_own(events: list[dict[str, Any]]) -> None:
    parsed = logic.parse_ingest(encode({"events": events}), 100)
    assert parsed.total == len(events)
    kept = [parsed.position(i) for i in range(len(parsed.events))]
    refused = [r.index for r in parsed.rejected]
    assert sorted(kept + refused) == list(range(len(events)))
    for index, event in enumerate(events):
        alone = logic.check_event(encode(event))
        assert (index in kept) == isinstance(alone, tuple), (event, alone)
        # The checks are the documented schema's, plus what PostgreSQL cannot store. (Python's
        # `$` also matches before a final newline, which the schema's ECMA regexes do not.)
        if index in kept:
            assert schema_accepts(event)
        elif schema_accepts(event) and within_postgres_limits(event):
            assert any(str(v).endswith("\n") for v in event.values()), (event, alone)
    for position, event in enumerate(parsed.events):
        assert event.id == events[parsed.position(position)]["id"]
        assert DECIMALS.decode(parsed.properties[position]) == DECIMALS.decode(
            encode(events[parsed.position(position)].get("properties", {}))
        )
    if parsed.positions is None:  # the fast path: only for batches without a bad event
        assert not refused


@given(
    st.lists(
        st.builds(good, st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8)),
        max_size=20,
    )
)
def test_a_clean_batch_takes_the_fast_path(events: list[dict[str, Any]]) -> None:
    parsed = logic.parse_ingest(encode({"events": events}), 100)
    assert parsed.positions is None
    assert parsed.rejected == []
    assert [e.id for e in parsed.events] == [e["id"] for e in events]


def test_what_postgresql_cannot_store_is_refused_and_look_alikes_are_not() -> None:
    cases = {
        "nul": ({"s": "a\u0000b"}, "NUL"),
        "nul-key": ({"\u0000": 1}, "NUL"),
        "exponent": ({"n": Decimal("1e99999")}, "exponent"),
        "digits": ({"n": int("9" * 1200)}, "digits"),
        "look-alike": ({"s": "1e99999, \\u0000 and " + "9" * 1200}, None),
        "fine": ({"n": Decimal("1.5e9999")}, None),
    }
    for name, (properties, problem) in cases.items():
        checked = logic.check_event(encode(good(name, properties=properties)))
        if problem is None:
            assert isinstance(checked, tuple), (name, checked)
        else:
            assert isinstance(checked, str), name
            assert problem in checked, (name, checked)


def test_reasons_name_the_field() -> None:
    assert logic.check_event(encode(good(id=""))) == "id: expected `str` of length >= 1"
    assert logic.check_event(encode({"id": "x"})) == "Object missing required field `type`"
    assert "timezone" in str(logic.check_event(encode(good(timestamp="2026-11-23T10:00:00"))))
    assert logic.check_event(encode(good(properties=[1]))) == "properties must be a JSON object"
    assert "control character" in str(logic.check_event(encode(good(subject="a\nb"))))
    assert "printable ASCII" in str(logic.check_event(encode(good("a b"))))


def test_a_single_event_is_a_batch_of_one() -> None:
    parsed = logic.parse_ingest(encode(good("solo")), 10)
    assert (parsed.total, [e.id for e in parsed.events], parsed.positions) == (1, ["solo"], [0])
    bad = logic.parse_ingest(encode({"id": "solo"}), 10)
    assert [(r.index, r.id, r.code) for r in bad.rejected] == [(0, "solo", "invalid")]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{oops", BadRequest),
        (b"[1]", InvalidRequest),
        (b'"events"', InvalidRequest),
        (b'{"events": {}}', InvalidRequest),
        (b'{"events": [], "extra": 1}', InvalidRequest),
    ],
)
def test_bodies_refused_whole(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        logic.parse_ingest(body, 10)


def test_too_many_events_are_refused_whole_on_both_paths() -> None:
    with pytest.raises(InvalidRequest, match="at most 3"):
        logic.parse_ingest(encode({"events": [good(f"e{i}") for i in range(4)]}), 3)
    with pytest.raises(InvalidRequest, match="at most 3"):
        logic.parse_ingest(encode({"events": [good(f"e{i}") for i in range(3)] + [{"id": 1}]}), 3)


@given(st.lists(st.booleans(), max_size=30), st.data())
def test_the_result_accounts_for_every_event(valid: list[bool], data: st.DataObject) -> None:
    events = [good(f"e{i}") if ok else {"id": f"e{i}"} for i, ok in enumerate(valid)]
    parsed = logic.parse_ingest(encode({"events": events}), 100)
    codes = ["duplicate", "before_open_period", "in_future", "period_closed", "reserved_type"]
    refused = [(p, data.draw(st.sampled_from(codes))) for p in range(len(parsed.events)) if data.draw(st.booleans())]
    result = logic.ingest_result(parsed, refused, earliest=NOW, tolerance_seconds=300)
    assert result.accepted + len(result.duplicates) + len(result.rejected) == len(events)
    assert result.duplicates == sorted(parsed.position(p) for p, c in refused if c == "duplicate")
    assert [r.index for r in result.rejected] == sorted(r.index for r in result.rejected)
    by_index = {r.index: r for r in result.rejected}
    for position, code in refused:
        if code != "duplicate":
            rejection = by_index[parsed.position(position)]
            assert (rejection.code, rejection.id) == (code, f"e{parsed.position(position)}")
    assert all(isinstance(r, Rejection) for r in result.rejected)


# --- meters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aggregation", "value_property", "group_by", "field"),
    [
        ("sum", None, [], "value_property"),
        ("count", "v", [], "value_property"),
        ("max", "v", ["a", "a"], "group_by"),
    ],
)
def test_meters_that_cannot_compute_are_refused(
    aggregation: Any, value_property: str | None, group_by: list[str], field: str
) -> None:
    data = MeterCreate(
        key="k1", event_type="e", aggregation=aggregation, value_property=value_property, group_by=group_by
    )
    with pytest.raises(InvalidRequest) as raised:
        logic.check_definition(logic.definition_of(data))
    assert raised.value.errors is not None
    assert raised.value.errors[0].field == field


patches = st.builds(
    MeterPatch,
    event_type=st.one_of(st.just(msgspec.UNSET), st.sampled_from(["llm.call", "other"])),
    unit=st.one_of(st.just(msgspec.UNSET), st.sampled_from(["tokens", "k"])),
    group_by=st.one_of(st.just(msgspec.UNSET), st.sampled_from([["model"], [], ["model", "region"]])),
    description=st.one_of(st.just(msgspec.UNSET), st.sampled_from(["", "x"])),
)


@given(patches)
def test_a_change_bumps_the_version_exactly_when_something_changes(patch: MeterPatch) -> None:
    current = meter()
    later = NOW + timedelta(minutes=5)
    changed = logic.apply_definition(current, logic.patched_definition(current, patch), later)
    differs = any(
        value is not msgspec.UNSET and getattr(current, name) != value
        for name, value in msgspec.structs.asdict(patch).items()
    )
    if differs:
        assert (changed.version, changed.updated_at) == (current.version + 1, later)
    else:
        assert changed is current
    assert (changed.id, changed.key, changed.scope) == (current.id, current.key, current.scope)


def test_switching_to_count_drops_the_property_and_back_needs_one() -> None:
    counted = logic.patched_definition(meter(), MeterPatch(aggregation="count"))
    assert (counted.aggregation, counted.value_property) == ("count", None)
    with pytest.raises(InvalidRequest):
        logic.patched_definition(meter(aggregation="count", value_property=None), MeterPatch(aggregation="max"))


# --- usage reports ----------------------------------------------------------------------------------


def test_usage_queries_default_to_this_month_and_check_dimensions() -> None:
    query = logic.usage_query(meter(), start=None, end=None, window=None, group_by=["model", "subject"], now=NOW)
    assert (query.start, query.end, query.group_by) == (datetime(2026, 11, 1, tzinfo=UTC), NOW, ("model", "subject"))
    with pytest.raises(InvalidRequest, match="region"):
        logic.usage_query(meter(), start=None, end=None, window=None, group_by=["region"], now=NOW)
    with pytest.raises(InvalidRequest, match="before end"):
        logic.usage_query(meter(), start=NOW, end=NOW, window=None, group_by=[], now=NOW)
    with pytest.raises(InvalidRequest, match="twice"):
        logic.usage_query(meter(), start=None, end=None, window=None, group_by=["model", "model"], now=NOW)


def test_report_buckets_are_clipped_to_the_range_and_sorted() -> None:
    start, end = datetime(2026, 11, 2, 12, tzinfo=UTC), datetime(2026, 11, 4, 6, tzinfo=UTC)
    query = logic.usage_query(meter(), start=start, end=end, window="day", group_by=["model"], now=NOW)
    rows: list[logic.ReportRow] = [
        (datetime(2026, 11, 4, tzinfo=UTC), ("b",), Decimal(1), 1),
        (datetime(2026, 11, 2, tzinfo=UTC), ("b",), Decimal(2), 2),
        (datetime(2026, 11, 2, tzinfo=UTC), (None,), Decimal(3), 3),
        (datetime(2026, 11, 2, tzinfo=UTC), ("a",), Decimal(4), 4),
    ]
    items = logic.usage_buckets(query, rows)
    assert [(i.window_start, i.window_end, i.group["model"]) for i in items] == [
        (start, datetime(2026, 11, 3, tzinfo=UTC), None),
        (start, datetime(2026, 11, 3, tzinfo=UTC), "a"),
        (start, datetime(2026, 11, 3, tzinfo=UTC), "b"),
        (datetime(2026, 11, 4, tzinfo=UTC), end, "b"),
    ]
    whole = logic.usage_query(meter(), start=start, end=end, window=None, group_by=[], now=NOW)
    assert [(i.window_start, i.window_end) for i in logic.usage_buckets(whole, [(None, (), Decimal(9), 9)])] == [
        (start, end)
    ]
    too_many: list[logic.ReportRow] = [(None, (), Decimal(1), 1)] * (logic.MAX_REPORT_ROWS + 1)
    with pytest.raises(InvalidRequest, match="narrow"):
        logic.usage_buckets(whole, too_many)


def test_self_metering_ids_are_fixed_per_event_and_unique_across_processes() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert logic.self_event_id(a, 7) == logic.self_event_id(a, 7)
    assert len({logic.self_event_id(p, n) for p in (a, b) for n in range(100)}) == 200
    assert isinstance(logic.check_event(encode(good(logic.self_event_id(a, 1)))), tuple)  # a valid event id
