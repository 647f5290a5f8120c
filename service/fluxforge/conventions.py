"""The API conventions every resource shares: ids, cursors, versions and If-Match checks.

Pure functions with no I/O, so unit and property tests reach them directly.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import msgspec

from fluxforge.errors import BadRequest, PreconditionFailed, PreconditionRequired

DEFAULT_LIMIT = 50

NamespaceName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=63,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description="A DNS label, as Kubernetes names namespaces: lowercase letters, digits and hyphens.",
        examples=["production"],
    ),
]


_id_lock = threading.Lock()
_last_ms = 0
_sequence = 0


def new_id() -> uuid.UUID:
    """A UUIDv7: time-ordered, so ids sort by creation and index inserts stay local.

    Within one process ids are strictly increasing, also within a millisecond: the 12 bits
    after the timestamp are a counter (RFC 9562, method 1), so "newest first" is well defined.
    """
    global _last_ms, _sequence  # noqa: PLW0603 - the generator's state is process-wide by nature
    with _id_lock:
        unix_ms = time.time_ns() // 1_000_000
        if unix_ms > _last_ms:
            _last_ms, _sequence = unix_ms, 0
        else:
            _sequence += 1
            if _sequence > 0xFFF:  # 4,096 ids in one millisecond: borrow the next one
                _last_ms, _sequence = _last_ms + 1, 0
        unix_ms, sequence = _last_ms, _sequence
    rand = int.from_bytes(os.urandom(8), "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= sequence << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    """The id after which the next page starts; a malformed cursor is the client's error."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error):
        raise BadRequest("cursor is malformed; pass back the next_cursor of the previous page") from None


R = TypeVar("R")


def _id_of(row: Any) -> uuid.UUID:
    value: uuid.UUID = row.id
    return value


def page_of(rows: list[R], limit: int, key: Callable[[R], uuid.UUID] = _id_of) -> tuple[list[R], str | None]:
    """A page's items and next cursor from up to limit+1 rows in key order (the extra row says "more")."""
    items = rows[:limit]
    return items, encode_cursor(key(items[-1])) if len(rows) > limit and items else None


def etag(version: int) -> str:
    return f'"{version}"'


IF_MATCH_PATTERN = r'^\s*(?:W/)?"?(\d{1,18})"?\s*$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def required_version(if_match: str | None) -> int:
    """The version an If-Match header demands; updates without one are refused (428)."""
    if if_match is None:
        raise PreconditionRequired("send If-Match with the resource's current version (its ETag)")
    match = _IF_MATCH.match(if_match)
    if match is None:
        raise BadRequest('If-Match must be the ETag of the resource, for example "3"')
    return int(match.group(1))


def optional_version(if_match: str | None) -> int | None:
    """The version an optional If-Match header demands, or None to apply whatever the version."""
    return None if if_match is None else required_version(if_match)


def check_version(expected: int | None, current: int) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"resource is at version {current}, If-Match named {expected}; read it again and retry",
            headers={"ETag": etag(current)},
        )
