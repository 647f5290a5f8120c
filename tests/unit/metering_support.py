"""What the metering unit tests share: a fixed moment, a tenant meter, a well-formed event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from hypothesis import strategies as st

from fluxforge.conventions import new_id
from fluxforge.metering.models import Meter

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


moments = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(UTC))
