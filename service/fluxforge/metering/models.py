"""Meters, usage events and usage totals as the API shows and accepts them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

Aggregation = Literal["count", "sum", "max", "unique_count", "latest"]
Window = Literal["hour", "day", "month"]
MeterScope = Literal["platform", "tenant"]

METER_KEY_PATTERN = r"^[a-z][a-z0-9_.-]{0,62}[a-z0-9]$"
PROPERTY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"
EVENT_ID_CHARS = "!-~"
EVENT_TYPE_CHARS = "A-Za-z0-9_.:-"
SUBJECT_FORBIDDEN_CHARS = r"\x00-\x1f\x7f"
EVENT_ID_PATTERN = f"^[{EVENT_ID_CHARS}]+$"
EVENT_TYPE_PATTERN = f"^[{EVENT_TYPE_CHARS}]+$"
SUBJECT_PATTERN = f"^[^{SUBJECT_FORBIDDEN_CHARS}]+$"
SUBJECT_DIMENSION = "subject"
"""The group-by dimension that means the event's subject rather than one of its properties."""

MeterKey = Annotated[
    str,
    msgspec.Meta(
        min_length=2,
        max_length=64,
        pattern=METER_KEY_PATTERN,
        description="Lowercase letters, digits, `.`, `_` and `-`; unique among the platform's and the tenant's meters.",
        examples=["tokens.used"],
    ),
]
EventType = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        pattern=EVENT_TYPE_PATTERN,
        description="Letters, digits, `.`, `_`, `:` and `-`.",
        examples=["llm.completion"],
    ),
]
PropertyName = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=64, pattern=PROPERTY_PATTERN, description="A top-level event property."),
]
GroupBy = Annotated[
    list[PropertyName],
    msgspec.Meta(
        max_length=5,
        description="Dimensions usage of this meter may be split by: event properties, or `subject`.",
    ),
]
Unit = Annotated[str, msgspec.Meta(max_length=32, description="What one unit of the quantity is, e.g. `tokens`.")]
Description = Annotated[str, msgspec.Meta(max_length=500)]


class Meter(msgspec.Struct, kw_only=True):
    """How usage events of one type add up to a quantity.

    `count` counts the events; `sum`, `max` and `latest` (the value of the newest event) read the
    numeric property `value_property`; `unique_count` counts its distinct values (strings, numbers
    or booleans). Events without a usable value do not contribute.
    """

    id: uuid.UUID
    key: str
    scope: MeterScope
    event_type: str
    aggregation: Aggregation
    value_property: str | None
    group_by: list[str]
    unit: str
    description: str
    version: int
    created_at: datetime
    updated_at: datetime


class MeterPage(msgspec.Struct, kw_only=True):
    """One page of meters (the platform's first, then the tenant's, in creation order)."""

    items: list[Meter]
    next_cursor: str | None


class MeterCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    key: MeterKey
    event_type: EventType
    aggregation: Aggregation
    value_property: PropertyName | None = None
    group_by: GroupBy = msgspec.field(default_factory=list)
    unit: Unit = ""
    description: Description = ""


class MeterPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """JSON merge patch: fields left out stay as they are. The key never changes."""

    event_type: EventType | msgspec.UnsetType = msgspec.UNSET
    aggregation: Aggregation | msgspec.UnsetType = msgspec.UNSET
    value_property: PropertyName | msgspec.UnsetType | None = msgspec.UNSET
    group_by: GroupBy | msgspec.UnsetType = msgspec.UNSET
    unit: Unit | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET


class MeterDefinition(msgspec.Struct, frozen=True, kw_only=True):
    """What a meter computes, without its identity and bookkeeping: what a change may alter."""

    event_type: str
    aggregation: Aggregation
    value_property: str | None
    group_by: tuple[str, ...]
    unit: str
    description: str


# --- usage events --------------------------------------------------------------------------


class UsageEvent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One usage event as a client reports it (the documented form of an ingest body's event)."""

    id: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=128,
            pattern=EVENT_ID_PATTERN,
            description="Chosen by the client, unique per tenant forever: a repeat is a duplicate, "
            "counted once whatever its other fields. Printable ASCII without spaces.",
            examples=["0b6e4c1e-7c1a-4f0e-9a57-2f7d3c1c9a10"],
        ),
    ]
    type: EventType
    timestamp: Annotated[
        datetime,
        msgspec.Meta(
            tz=True,
            description="When the usage happened (RFC 3339 with offset). It must lie in the open usage "
            "period and at most the configured tolerance in the future.",
        ),
    ]
    subject: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=256,
            pattern=SUBJECT_PATTERN,
            description="Who or what used it (your customer, user, project...). No control characters.",
            examples=["customer-42"],
        ),
    ]
    properties: Annotated[
        dict[str, Any],
        msgspec.Meta(description="Free-form JSON object: values meters read and dimensions usage is split by."),
    ] = msgspec.field(default_factory=dict)


class UsageBatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    events: Annotated[
        list[UsageEvent],
        msgspec.Meta(description="Up to FLUXFORGE_USAGE_MAX_BATCH (10,000) events; each is judged on its own."),
    ]


class UsageEventIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True, gc=False):
    """The ingest path's decoding of a `UsageEvent`: properties stay raw JSON (PostgreSQL parses
    them), and character rules are checked for the whole batch at once (`ingest.parse_ingest`).
    Untracked by the garbage collector (it holds no containers, so no cycles): a batch makes
    thousands, which would otherwise trigger collections of everything else."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    timestamp: Annotated[datetime, msgspec.Meta(tz=True)]
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    properties: msgspec.Raw = msgspec.Raw(b"{}")


class UsageBatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    events: list[UsageEventIn]


RejectionCode = Literal["invalid", "reserved_type", "before_open_period", "in_future", "period_closed"]


class Rejection(msgspec.Struct, kw_only=True):
    """An event that was refused, and why; `code` is stable, `reason` is for people."""

    index: int
    id: str | None
    code: RejectionCode
    reason: str


class IngestResult(msgspec.Struct, kw_only=True):
    """What became of each event: `accepted` + `len(duplicates)` + `len(rejected)` = events sent.

    Duplicates are events whose id was accepted before (in an earlier request, or earlier in this
    one): they are counted once, so retrying a whole batch is always safe.
    """

    accepted: int
    duplicates: list[int]
    rejected: list[Rejection]


class UsageColumns(msgspec.Struct, frozen=True):
    """One tenant's events to store, column by column: what the ingest statement binds as
    arrays, built without a Python object per event. `properties` are JSON objects' text."""

    event_ids: list[str]
    occurred_at: list[datetime]
    types: list[str]
    subjects: list[str]
    properties: list[str]


# --- usage queries -----------------------------------------------------------------------


class UsageBucket(msgspec.Struct, kw_only=True):
    """The meter's quantity for one window and one combination of dimension values."""

    window_start: datetime
    window_end: datetime
    group: dict[str, str | None]
    quantity: Decimal
    event_count: int


class UsageReport(msgspec.Struct, kw_only=True):
    meter: str
    aggregation: Aggregation
    unit: str
    window: Window | None
    start: datetime
    end: datetime
    group_by: list[str]
    items: list[UsageBucket]


class UsageTotal(msgspec.Struct, frozen=True):
    """A meter's aggregation over a whole window for one tenant (what invoicing prices)."""

    tenant_id: uuid.UUID
    meter_key: str
    quantity: Decimal  # the meter's aggregation over the window
    event_count: int  # raw events that contributed
