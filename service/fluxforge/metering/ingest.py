"""Ingest without I/O: reading a body into the events fit to store and the ones refused, the
result that merges those with what the database refused, and the lock key a tenant's batches
take turns on.

Ingest is built to do almost no work per event in Python: the body is decoded straight into
Structs by msgspec, character rules are checked once over each whole column (a regular
expression over the joined values finds a bad character as surely as one search per event),
and only a batch that fails those checks is taken apart event by event to say which events
are bad and why.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from fluxforge.errors import BadRequest, FieldError, InvalidRequest
from fluxforge.metering.models import (
    EVENT_ID_CHARS,
    EVENT_TYPE_CHARS,
    SUBJECT_FORBIDDEN_CHARS,
    IngestResult,
    Rejection,
    RejectionCode,
    UsageBatchIn,
    UsageColumns,
    UsageEventIn,
)


def tenant_lock_key(tenant_id: uuid.UUID) -> int:
    """The advisory-lock key a tenant's ingest batches take turns on: the id's random tail,
    as a signed bigint (the leading bytes of a time-ordered UUID are shared by its neighbours)."""
    return int.from_bytes(tenant_id.bytes[8:], "big", signed=True)


# --- reading an ingest body -----------------------------------------------------------------

_BATCH = msgspec.json.Decoder(UsageBatchIn)
_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])
_EVENT = msgspec.json.Decoder(UsageEventIn)

# Each finds a character its field may not hold (the documented patterns are made of the same
# classes); being character classes, a search over the values joined together finds one
# exactly when some value holds one.
_BAD_ID = re.compile(f"[^{EVENT_ID_CHARS}]")
_BAD_TYPE = re.compile(f"[^{EVENT_TYPE_CHARS}]")
_BAD_SUBJECT = re.compile(f"[{SUBJECT_FORBIDDEN_CHARS}]")
# What PostgreSQL's jsonb cannot store (the NUL character) or whose number it cannot hold
# (numeric allows 131,072 digits before the point and 16,383 after): a number with a run of
# 1,000 digits or an exponent of 5 digits is refused. Seen anywhere in a batch's properties,
# the batch's properties are parsed to tell a real case from a look-alike inside a string.
_NUL_ESCAPE = "\\u0000"
_LONG_DIGITS = re.compile(r"[0-9]{1000}")
_LONG_EXPONENT = re.compile(r"e[+-]?[0-9]{5}")  # searched in lower-cased text: a literal first
# character is found by a fast scan, where a class like [eE] is tried at every position (3x slower)
_HUGE_NUMBER = re.compile(r"[0-9]{1000}|[eE][+-]?[0-9]{5}")


def _suspect_properties(texts: list[str]) -> bool:
    """Whether some properties may hold what PostgreSQL cannot store (then each is parsed)."""
    joined = "".join(texts)
    return (
        _NUL_ESCAPE in joined
        or _LONG_EXPONENT.search(joined.lower()) is not None
        or (max(map(len, texts), default=0) >= 1000 and _LONG_DIGITS.search(joined) is not None)
    )


@dataclass(frozen=True)
class ParsedIngest:
    """An ingest body taken apart: the events fit to store, and the ones refused already.

    `positions[i]` is the index in the request of `events[i]`; None means events are the
    request's events in order (the fast path, nothing refused).
    """

    total: int
    events: Sequence[UsageEventIn]
    properties: list[str]
    positions: list[int] | None
    rejected: list[Rejection]

    def position(self, i: int) -> int:
        return i if self.positions is None else self.positions[i]


def parse_ingest(body: bytes, max_batch: int) -> ParsedIngest:
    """Read `{"events": [...]}` or a single event object.

    A body that is not a JSON object, or whose `events` is not a list or too long, is refused
    whole (BadRequest, InvalidRequest). Otherwise every event is judged on its own: bad ones are reported with their
    index and reason, good ones are kept (partial success).
    """
    try:
        batch = _BATCH.decode(body)
    except msgspec.ValidationError:
        return _parse_slowly(body, max_batch)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    events = batch.events
    _check_size(len(events), max_batch)
    try:
        properties = [str(event.properties, "utf-8") for event in events]
    except UnicodeDecodeError:
        return _parse_slowly(body, max_batch)
    ids = "".join([e.id for e in events])
    if (
        # Printable ASCII without spaces is exactly what an id may hold; a subject that is not
        # printable may still be allowed (non-ASCII spaces), so the slow path decides.
        not (ids.isascii() and ids.isprintable() and " " not in ids)
        or _BAD_TYPE.search("".join([e.type for e in events]))
        or not "".join([e.subject for e in events]).isprintable()
        or any(not p.startswith("{") for p in properties)
        or _suspect_properties(properties)
    ):
        return _parse_slowly(body, max_batch)
    return ParsedIngest(total=len(events), events=events, properties=properties, positions=None, rejected=[])


def _check_size(count: int, max_batch: int) -> None:
    if count > max_batch:
        raise InvalidRequest(
            f"a request may carry at most {max_batch} events; split the batch",
            errors=[FieldError(field="events", message=f"more than {max_batch} events")],
        )


def _parse_slowly(body: bytes, max_batch: int) -> ParsedIngest:
    """Judge each event on its own, to report which ones are bad and why."""
    try:
        envelope = _OBJECT.decode(body)
    except msgspec.ValidationError:
        raise InvalidRequest('the body must be a JSON object: {"events": [...]} or one event') from None
    except msgspec.DecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if "events" in envelope:
        if len(envelope) > 1:
            extra = sorted(set(envelope) - {"events"})
            raise InvalidRequest(f"unknown field(s) beside `events`: {', '.join(extra)}")
        try:
            raw_events = _RAW_LIST.decode(envelope["events"])
        except msgspec.ValidationError:
            raise InvalidRequest(
                "`events` must be a list of events", errors=[FieldError(field="events", message="expected a list")]
            ) from None
    else:
        raw_events = [msgspec.Raw(body)]
    _check_size(len(raw_events), max_batch)
    events: list[UsageEventIn] = []
    properties: list[str] = []
    positions: list[int] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raw_events):
        checked = check_event(raw)
        if isinstance(checked, tuple):
            events.append(checked[0])
            properties.append(checked[1])
            positions.append(index)
        else:
            rejected.append(Rejection(index=index, id=_id_of(raw), code="invalid", reason=checked))
    return ParsedIngest(
        total=len(raw_events), events=events, properties=properties, positions=positions, rejected=rejected
    )


def check_event(raw: msgspec.Raw | bytes) -> tuple[UsageEventIn, str] | str:
    """One event and its properties' text, or why it cannot be stored."""
    try:
        event = _EVENT.decode(raw)
    except msgspec.ValidationError as exc:
        return _readable(str(exc))
    except msgspec.DecodeError as exc:
        return f"not valid JSON: {exc}"
    try:
        text = str(event.properties, "utf-8")
    except UnicodeDecodeError:
        return "properties are not valid UTF-8"
    problem = _field_problem(event, text)
    return (event, text) if problem is None else problem


def _field_problem(event: UsageEventIn, properties: str) -> str | None:
    if match := _BAD_ID.search(event.id):
        return f"id holds {match.group()!r}: ids are printable ASCII without spaces"
    if match := _BAD_TYPE.search(event.type):
        return f"type holds {match.group()!r}: types are letters, digits, '.', '_', ':' and '-'"
    if match := _BAD_SUBJECT.search(event.subject):
        return f"subject holds the control character {match.group()!r}"
    if not properties.startswith("{"):
        return "properties must be a JSON object"
    if _suspect_properties([properties]):
        return _properties_problem(properties)
    return None


def _properties_problem(text: str) -> str | None:
    """The precise check behind the suspicion: parse, then look at each string and number."""

    def number(literal: str) -> int:
        if _HUGE_NUMBER.search(literal):
            raise ValueError("numbers may have at most 999 digits in a row and a 4-digit exponent")
        return 0

    try:
        value = json.loads(text, parse_float=number, parse_int=number)
    except ValueError as exc:
        return f"properties: {exc}"
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and "\x00" in item:
            return "properties may not hold the NUL character (\\u0000)"
    return None


def _id_of(raw: msgspec.Raw) -> str | None:
    """The id of an event being refused, when it has a readable one."""
    try:
        found = _OBJECT.decode(raw).get("id")
        value = msgspec.json.decode(found) if found is not None else None
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return value[:128] if isinstance(value, str) else None


def _readable(message: str) -> str:
    """msgspec's `Expected ... - at `$.id`` as `id: expected ...`."""
    text, _, where = message.partition(" - at `$")
    field = where.rstrip("`").lstrip(".")
    if not field:
        return text
    return f"{field}: {text[0].lower()}{text[1:]}"


def columns_of(parsed: ParsedIngest) -> UsageColumns:
    """The parsed events as the repository stores them, one list per column."""
    events = parsed.events
    return UsageColumns(
        event_ids=[e.id for e in events],
        occurred_at=[e.timestamp for e in events],
        types=[e.type for e in events],
        subjects=[e.subject for e in events],
        properties=parsed.properties,
    )


# --- the ingest result -------------------------------------------------------------------


def ingest_result(
    parsed: ParsedIngest, refused: Iterable[tuple[int, str]], *, earliest: datetime, tolerance_seconds: int
) -> IngestResult:
    """Merge what parsing refused with what the database refused (positions in `parsed.events`).

    The database reports `duplicate` or a rejection code for every event it did not store.
    """
    duplicates: list[int] = []
    rejected = list(parsed.rejected)
    for position, code in refused:
        index = parsed.position(position)
        if code == "duplicate":
            duplicates.append(index)
            continue
        event = parsed.events[position]
        reason = _reason(code, event, earliest, tolerance_seconds)
        rejected.append(Rejection(index=index, id=event.id, code=_code(code), reason=reason))
    duplicates.sort()
    rejected.sort(key=lambda r: r.index)
    return IngestResult(
        accepted=parsed.total - len(duplicates) - len(rejected), duplicates=duplicates, rejected=rejected
    )


_CODES: frozenset[str] = frozenset({"reserved_type", "before_open_period", "in_future", "period_closed"})


def _code(code: str) -> RejectionCode:
    assert code in _CODES, code
    return code  # type: ignore[return-value]


def _reason(code: str, event: UsageEventIn, earliest: datetime, tolerance_seconds: int) -> str:
    if code == "reserved_type":
        return f"event type {event.type!r} is reserved for FluxForge's own metering"
    if code == "before_open_period":
        return f"timestamp is before the open usage period, which starts at {earliest.isoformat()}"
    if code == "in_future":
        return f"timestamp is more than {tolerance_seconds} seconds in the future"
    return "timestamp falls in a closed (invoiced) usage period"
