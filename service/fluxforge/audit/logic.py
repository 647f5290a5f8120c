"""Reading the audit trail: filters, cursors and the export formats. Pure, no I/O.

Exports are rendered here batch by batch, so that a controller can stream them without ever
holding a whole tenant's history in memory.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from fluxforge.audit.models import AuditEvent, AuditFilter, AuditPosition, ExportFormat
from fluxforge.errors import BadRequest, FieldError, InvalidRequest

CSV_COLUMNS = (
    "occurred_at",
    "id",
    "actor",
    "action",
    "target_type",
    "target_id",
    "request_id",
    "client_ip",
    "result",
    "before",
    "after",
)
MEDIA_TYPES: dict[ExportFormat, str] = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection");
# tab and carriage return are on OWASP's list too, as some programs strip them first.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_cursor_encoder = msgspec.msgpack.Encoder(uuid_format="bytes")  # 39 characters once in base64url
_cursor_decoder = msgspec.msgpack.Decoder(AuditPosition)
_json = msgspec.json.Encoder()


def encode_cursor(position: AuditPosition) -> str:
    return base64.urlsafe_b64encode(_cursor_encoder.encode(position)).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> AuditPosition | None:
    """The position after which the next page starts; a malformed cursor is the client's error."""
    if cursor is None:
        return None
    try:
        return _cursor_decoder.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):  # msgspec's DecodeError and ValidationError are ValueErrors
        raise BadRequest("cursor is malformed; pass back the next_cursor of the previous page") from None


def position_of(event: AuditEvent) -> AuditPosition:
    return AuditPosition(event.occurred_at, event.id)


def page_of(rows: list[AuditEvent], limit: int) -> tuple[list[AuditEvent], str | None]:
    """A page's items and next cursor from up to limit+1 rows in list order (the extra row says "more")."""
    items = rows[:limit]
    return items, encode_cursor(position_of(items[-1])) if len(rows) > limit and items else None


def audit_filter(
    *, actor: str | None, action: str | None, since: datetime | None, until: datetime | None
) -> AuditFilter:
    """Check the query's filters; `action` is exact, or a prefix when it ends in `*` (`tenant.*`)."""
    errors: list[FieldError] = []
    exact, prefix = action, None
    if action is not None and action.endswith("*"):
        exact, prefix = None, action[:-1]
    if action is not None and "*" in action[:-1]:
        errors.append(FieldError("action", "`*` may only end the action, as in `tenant.*`"))
    for field, value in (("since", since), ("until", until)):
        if value is not None and value.utcoffset() is None:
            errors.append(FieldError(field, "must be an RFC 3339 date-time with an offset, e.g. 2026-11-23T09:00:00Z"))
    if not errors and since is not None and until is not None and since > until:
        errors.append(FieldError("since", "must not be later than until"))
    if errors:
        raise InvalidRequest("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return AuditFilter(actor=actor, action=exact, action_prefix=prefix or None, since=since, until=until)


def rfc3339(moment: datetime) -> str:
    """The instant exactly as the JSON API writes it, so CSV and JSON exports agree to the character."""
    return _json.encode(moment).decode()[1:-1]


def csv_safe(text: str) -> str:
    """Neutralise a would-be formula with a leading apostrophe, which spreadsheets show as text."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, (dict, list)):
        return _json.encode(value).decode()
    return str(value)


def csv_header() -> bytes:
    return (",".join(CSV_COLUMNS) + "\r\n").encode()


def csv_rows(events: Iterable[AuditEvent]) -> bytes:
    """RFC 4180 rows (CRLF, quoted as needed); before/after as JSON text, null as an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for event in events:
        writer.writerow([csv_safe(_csv_cell(getattr(event, column))) for column in CSV_COLUMNS])
    return buffer.getvalue().encode()


def jsonl_rows(events: Iterable[AuditEvent]) -> bytes:
    """One JSON object per line, each exactly as the list endpoint shows the event."""
    return b"".join(_json.encode(event) + b"\n" for event in events)


def export_filename(tenant_slug: str, export_format: ExportFormat) -> str:
    return f"audit-events-{tenant_slug}.{export_format}"
