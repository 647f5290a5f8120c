"""Reading ingest bodies (metering.ingest): the fast path agrees with judging each event on its
own; the result accounts for every event; tenants' turns and FluxForge's own event ids."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.conventions import new_id
from fluxforge.errors import BadRequest, InvalidRequest
from fluxforge.metering import ingest
from fluxforge.metering.models import Rejection, UsageEvent
from fluxforge.metering.selfmeter import self_event_id
from tests.unit.metering_support import NOW, encode, good


def test_tenant_lock_keys_are_bigints_that_tell_neighbouring_tenants_apart() -> None:
    tenants = [new_id() for _ in range(10_000)]  # time-ordered: many share their leading bytes
    keys = {ingest.tenant_lock_key(t) for t in tenants}
    assert len(keys) == len(tenants)
    assert all(-(2**63) <= k < 2**63 for k in keys)


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
    parsed = ingest.parse_ingest(encode({"events": events}), 100)
    assert parsed.total == len(events)
    kept = [parsed.position(i) for i in range(len(parsed.events))]
    refused = [r.index for r in parsed.rejected]
    assert sorted(kept + refused) == list(range(len(events)))
    for index, event in enumerate(events):
        alone = ingest.check_event(encode(event))
        assert (index in kept) == isinstance(alone, tuple), (event, alone)
        # The checks are the documented schema's, plus what PostgreSQL cannot store. (Python's
        # `$` also matches before a final newline, which the schema's ECMA regexes do not.)
        if index in kept:
            assert schema_accepts(event)
        elif schema_accepts(event) and within_postgres_limits(event):
            assert any(str(v).endswith("\n") for v in event.values()), (event, alone)
    for position, parsed_event in enumerate(parsed.events):
        assert parsed_event.id == events[parsed.position(position)]["id"]
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
    parsed = ingest.parse_ingest(encode({"events": events}), 100)
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
        checked = ingest.check_event(encode(good(name, properties=properties)))
        if problem is None:
            assert isinstance(checked, tuple), (name, checked)
        else:
            assert isinstance(checked, str), name
            assert problem in checked, (name, checked)


def test_reasons_name_the_field() -> None:
    assert ingest.check_event(encode(good(id=""))) == "id: expected `str` of length >= 1"
    assert ingest.check_event(encode({"id": "x"})) == "Object missing required field `type`"
    assert "timezone" in str(ingest.check_event(encode(good(timestamp="2026-11-23T10:00:00"))))
    assert ingest.check_event(encode(good(properties=[1]))) == "properties must be a JSON object"
    assert "control character" in str(ingest.check_event(encode(good(subject="a\nb"))))
    assert "printable ASCII" in str(ingest.check_event(encode(good("a b"))))


def test_a_single_event_is_a_batch_of_one() -> None:
    parsed = ingest.parse_ingest(encode(good("solo")), 10)
    assert (parsed.total, [e.id for e in parsed.events], parsed.positions) == (1, ["solo"], [0])
    bad = ingest.parse_ingest(encode({"id": "solo"}), 10)
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
        ingest.parse_ingest(body, 10)


def test_too_many_events_are_refused_whole_on_both_paths() -> None:
    with pytest.raises(InvalidRequest, match="at most 3"):
        ingest.parse_ingest(encode({"events": [good(f"e{i}") for i in range(4)]}), 3)
    with pytest.raises(InvalidRequest, match="at most 3"):
        ingest.parse_ingest(encode({"events": [good(f"e{i}") for i in range(3)] + [{"id": 1}]}), 3)


@given(st.lists(st.booleans(), max_size=30), st.data())
def test_the_result_accounts_for_every_event(valid: list[bool], data: st.DataObject) -> None:
    events = [good(f"e{i}") if ok else {"id": f"e{i}"} for i, ok in enumerate(valid)]
    parsed = ingest.parse_ingest(encode({"events": events}), 100)
    codes = ["duplicate", "before_open_period", "in_future", "period_closed", "reserved_type"]
    refused = [(p, data.draw(st.sampled_from(codes))) for p in range(len(parsed.events)) if data.draw(st.booleans())]
    result = ingest.ingest_result(parsed, refused, earliest=NOW, tolerance_seconds=300)
    assert result.accepted + len(result.duplicates) + len(result.rejected) == len(events)
    assert result.duplicates == sorted(parsed.position(p) for p, c in refused if c == "duplicate")
    assert [r.index for r in result.rejected] == sorted(r.index for r in result.rejected)
    by_index = {r.index: r for r in result.rejected}
    for position, code in refused:
        if code != "duplicate":
            rejection = by_index[parsed.position(position)]
            assert (rejection.code, rejection.id) == (code, f"e{parsed.position(position)}")
    assert all(isinstance(r, Rejection) for r in result.rejected)


def test_self_metering_ids_are_fixed_per_event_and_unique_across_processes() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert self_event_id(a, 7) == self_event_id(a, 7)
    assert len({self_event_id(p, n) for p in (a, b) for n in range(100)}) == 200
    assert isinstance(ingest.check_event(encode(good(self_event_id(a, 1)))), tuple)  # a valid event id
