"""Audit reading rules without a database: filters, cursors, and the CSV / JSON-lines renderings."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.audit import logic
from fluxforge.audit.models import AuditEvent, AuditFilter, AuditPosition
from fluxforge.conventions import new_id
from fluxforge.errors import BadRequest, InvalidRequest

T0 = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)


def event(**changes: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "occurred_at": T0,
        "id": new_id(),
        "actor": "user:1",
        "action": "tenant.update",
        "target_type": "tenant",
        "target_id": "t1",
        "request_id": "req-1",
        "client_ip": "10.0.0.1",
        "result": "success",
        "before": {"display_name": "Old"},
        "after": {"display_name": "New"},
    }
    fields.update(changes)
    return AuditEvent(**fields)


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),  # hypothesis takes naive bounds; the zone comes from timezones=
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]),
    ),
    st.uuids(),
)
def test_cursor_round_trips_the_exact_position(moment: datetime, event_id: uuid.UUID) -> None:
    cursor = logic.encode_cursor(AuditPosition(moment, event_id))
    assert len(cursor) <= 64  # what conventions.Cursor, the query parameter, accepts
    assert cursor.replace("-", "").replace("_", "").isalnum()
    decoded = logic.decode_cursor(cursor)
    assert decoded == AuditPosition(moment, event_id)
    assert decoded is not None
    assert decoded.occurred_at.utcoffset() is not None


def test_no_cursor_is_the_first_page() -> None:
    assert logic.decode_cursor(None) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "AAAA",
        "%%%",
        logic.encode_cursor(AuditPosition(T0, new_id()))[:-3],
        # a valid tuple whose time has no timezone
        base64.urlsafe_b64encode(msgspec.msgpack.encode(["2026-11-23T09:00:00", str(uuid.uuid4())])).decode(),
    ],
)
def test_malformed_cursor_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(BadRequest, match="cursor is malformed"):
        logic.decode_cursor(cursor)


def test_page_of_sets_the_cursor_only_when_more_rows_exist() -> None:
    rows = [event() for _ in range(3)]
    assert logic.page_of(rows, 3) == (rows, None)
    items, cursor = logic.page_of(rows, 2)
    assert items == rows[:2]
    assert logic.decode_cursor(cursor) == AuditPosition(rows[1].occurred_at, rows[1].id)
    assert logic.page_of([], 5) == ([], None)


@pytest.mark.parametrize(
    ("action", "exact", "prefix"),
    [
        (None, None, None),
        ("tenant.update", "tenant.update", None),
        ("tenant.*", None, "tenant."),
        ("tenant*", None, "tenant"),
        ("*", None, None),  # everything: no condition at all
    ],
)
def test_action_is_exact_or_a_trailing_star_prefix(action: str | None, exact: str | None, prefix: str | None) -> None:
    assert logic.audit_filter(actor=None, action=action, since=None, until=None) == AuditFilter(
        action=exact, action_prefix=prefix
    )


@pytest.mark.parametrize("action", ["ten*nt.update", "*.update", "tenant.**"])
def test_a_star_elsewhere_is_refused(action: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        logic.audit_filter(actor=None, action=action, since=None, until=None)
    assert [e.field for e in raised.value.errors or []] == ["action"]


def test_time_window_is_checked() -> None:
    later = T0 + timedelta(seconds=1)
    window = logic.audit_filter(actor="user:1", action=None, since=T0, until=later)
    assert (window.actor, window.since, window.until) == ("user:1", T0, later)
    assert logic.audit_filter(actor=None, action=None, since=T0, until=T0).since == T0  # empty, not wrong
    with pytest.raises(InvalidRequest, match="since: must not be later than until"):
        logic.audit_filter(actor=None, action=None, since=later, until=T0)


def test_times_without_an_offset_are_refused() -> None:
    naive = datetime(2026, 11, 23, 9, 0)
    with pytest.raises(InvalidRequest) as raised:
        logic.audit_filter(actor=None, action="a*b", since=naive, until=naive)
    assert [e.field for e in raised.value.errors or []] == ["action", "since", "until"]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        ("'=already", "'=already"),
    ],
)
def test_csv_cells_never_start_a_formula(text: str, safe: str) -> None:
    assert logic.csv_safe(text) == safe


def test_csv_rows_are_rfc4180_with_json_state_and_escaped_formulas() -> None:
    first = event(actor='=HYPERLINK("http://evil")', target_id="-2+3", before=None, after={"note": "a,b\nc"})
    second = event(request_id=None, client_ip=None, result="denied")
    data = logic.csv_header() + logic.csv_rows([first, second])
    assert data.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[0] == list(logic.CSV_COLUMNS)
    assert rows[1] == [
        "2026-11-23T09:00:00.123456Z",
        str(first.id),
        '\'=HYPERLINK("http://evil")',
        "tenant.update",
        "tenant",
        "'-2+3",
        "req-1",
        "10.0.0.1",
        "success",
        "",
        '{"note":"a,b\\nc"}',
    ]
    assert rows[2][6:9] == ["", "", "denied"]
    assert msgspec.json.decode(rows[2][9]) == {"display_name": "Old"}


def test_csv_time_is_written_exactly_as_the_json_api_writes_it() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert logic.rfc3339(moment) == msgspec.json.decode(msgspec.json.encode(moment)) == "2026-01-02T03:04:05Z"


def test_jsonl_is_one_api_shaped_object_per_line() -> None:
    events = [event(), event(before=None)]
    lines = logic.jsonl_rows(events).decode().splitlines()
    assert [msgspec.json.decode(line) for line in lines] == [msgspec.to_builtins(e) for e in events]
    assert logic.jsonl_rows([]) == b""


def test_export_names() -> None:
    assert logic.export_filename("acme", "csv") == "audit-events-acme.csv"
    assert logic.MEDIA_TYPES == {"csv": "text/csv", "jsonl": "application/x-ndjson"}
