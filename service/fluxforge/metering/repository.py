"""SQL for meters, usage events, usage totals and closed usage periods.

Ingest is one statement per batch (after a lock statement), whatever the batch holds: the
events travel as one text per column, and the statement judges them (time bounds, closed
periods, reserved types), looks their ids up among the tenant's events and stores the new
ones, returning only the events it did not store. A tenant's batches take turns, so that look
up is never raced. Ids of events in periods that can no longer take any are archived in
`usage_event_ids` (below the id watermark), so a look-up touches only the open months'
partitions and one archive index, and storing an event writes one row and one index entry.
(COPY, faster still, is refused by PostgreSQL for tables under row-level security; a staging
table would add a write and a read of every row.)

Every total is computed from the raw events, so it always equals what the events say.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from fluxforge.db import Connection
from fluxforge.errors import Conflict
from fluxforge.metering.ingest import tenant_lock_key
from fluxforge.metering.models import Meter, MeterCreate, UsageColumns, UsageTotal
from fluxforge.metering.periods import CLOCK_SKEW_ALLOWANCE, archive_from, id_watermark
from fluxforge.metering.reports import MAX_REPORT_ROWS, ReportRow, UsageQuery

USAGE_PERIOD_LOCK = 0x46_46_75_73_61_67_65_01
"""Advisory lock between ingest (shared) and closing a period (exclusive): a close waits for
the batches in flight, and batches after it see the closed period."""

# --- meters -------------------------------------------------------------------------------

_METER_COLUMNS = (
    "id, key, event_type, aggregation, value_property, group_by, unit, description, version, created_at, updated_at"
)


def _meter(row: asyncpg.Record) -> Meter:
    return Meter(**dict(row))


async def lock_meter_key(conn: Connection, key: str) -> None:
    """Serialize creations of one key, so a platform meter and a tenant meter never share it."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('fluxforge.meter-key:' || $1, 0))", key)


async def platform_key_taken(conn: Connection, key: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM platform_meters WHERE key = $1)", key))


async def tenants_using_key(conn: Connection, key: str) -> int:
    """Platform scope: how many tenants have a meter with this key."""
    return int(await conn.fetchval("SELECT count(*) FROM meters WHERE key = $1", key))


async def insert_platform_meter(conn: Connection, meter_id: uuid.UUID, data: MeterCreate) -> Meter:
    try:
        row = await conn.fetchrow(
            f"""
            INSERT INTO platform_meters (id, key, event_type, aggregation, value_property, group_by, unit, description)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            RETURNING 'platform' AS scope, {_METER_COLUMNS}
            """,
            meter_id,
            data.key,
            data.event_type,
            data.aggregation,
            data.value_property,
            data.group_by,
            data.unit,
            data.description,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a platform meter with key {data.key!r} exists") from None
    assert row is not None
    return _meter(row)


async def insert_meter(conn: Connection, tenant_id: uuid.UUID, meter_id: uuid.UUID, data: MeterCreate) -> Meter:
    try:
        row = await conn.fetchrow(
            f"""
            INSERT INTO meters (tenant_id, id, key, event_type, aggregation, value_property, group_by,
                                unit, description)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            RETURNING 'tenant' AS scope, {_METER_COLUMNS}
            """,
            tenant_id,
            meter_id,
            data.key,
            data.event_type,
            data.aggregation,
            data.value_property,
            data.group_by,
            data.unit,
            data.description,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a meter with key {data.key!r} exists in this tenant") from None
    assert row is not None
    return _meter(row)


async def platform_meter(conn: Connection, key: str, *, for_update: bool = False) -> Meter | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT 'platform' AS scope, {_METER_COLUMNS} FROM platform_meters WHERE key = $1{lock}", key
    )
    return _meter(row) if row is not None else None


async def tenant_meter(conn: Connection, tenant_id: uuid.UUID, key: str, *, for_update: bool = False) -> Meter | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT 'tenant' AS scope, {_METER_COLUMNS} FROM meters WHERE tenant_id = $1 AND key = $2{lock}",
        tenant_id,
        key,
    )
    return _meter(row) if row is not None else None


async def meter_for_tenant(conn: Connection, tenant_id: uuid.UUID, key: str) -> Meter | None:
    """A meter that applies to the tenant: the platform's first (it wins a shared key), then its own."""
    return await platform_meter(conn, key) or await tenant_meter(conn, tenant_id, key)


async def list_platform_meters(conn: Connection, *, after: uuid.UUID | None, limit: int) -> list[Meter]:
    rows = await conn.fetch(
        f"""
        SELECT 'platform' AS scope, {_METER_COLUMNS} FROM platform_meters
        WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2
        """,
        after,
        limit + 1,
    )
    return [_meter(row) for row in rows]


async def list_meters(conn: Connection, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[Meter]:
    """Up to limit+1 meters that apply to the tenant, the platform's and its own, in id order."""
    rows = await conn.fetch(
        f"""
        SELECT * FROM (
            SELECT 'platform' AS scope, {_METER_COLUMNS} FROM platform_meters
            UNION ALL
            SELECT 'tenant' AS scope, {_METER_COLUMNS} FROM meters WHERE tenant_id = $1
        ) applicable
        WHERE ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3
        """,
        tenant_id,
        after,
        limit + 1,
    )
    return [_meter(row) for row in rows]


async def update_meter(conn: Connection, meter: Meter, expected_version: int) -> Meter:
    """Write a changed meter of either scope; the version guards against lost updates."""
    table, scope = ("platform_meters", "platform") if meter.scope == "platform" else ("meters", "tenant")
    row = await conn.fetchrow(
        f"""
        UPDATE {table} SET event_type = $3, aggregation = $4, value_property = $5, group_by = $6,
                           unit = $7, description = $8, version = $9, updated_at = $10
        WHERE id = $1 AND version = $2
        RETURNING '{scope}' AS scope, {_METER_COLUMNS}
        """,
        meter.id,
        expected_version,
        meter.event_type,
        meter.aggregation,
        meter.value_property,
        meter.group_by,
        meter.unit,
        meter.description,
        meter.version,
        meter.updated_at,
    )
    if row is None:
        raise Conflict("the meter changed meanwhile; read it again and retry")
    return _meter(row)


async def delete_meter(conn: Connection, meter: Meter) -> None:
    """Delete a meter (its events stay: a meter is a view of them, and another may read them)."""
    table = "platform_meters" if meter.scope == "platform" else "meters"
    await conn.execute(f"DELETE FROM {table} WHERE id = $1", meter.id)


# --- ingest -------------------------------------------------------------------------------

# How the ingest statement is planned, for its transaction only:
# - ids are looked up one by one in the indexes (nested loops, no hash or merge join, nothing
#   materialized), whatever the statistics say: they lag behind a table that grows by thousands
#   of rows a second, and a plan that hashes or rescans the tenant's stored events because the
#   statistics say there are few costs a thousand times more once there are many (seen: 1.4 s
#   for one batch). Look-ups cost the same at any table size;
# - a plan for the batch's own values (partitions pruned when planning, current statistics);
# - no JIT: compiling takes longer than the whole statement runs.
_INGEST_PLANNING = (
    ("enable_hashjoin", "off"),
    ("enable_mergejoin", "off"),
    ("enable_material", "off"),
    ("plan_cache_mode", "force_custom_plan"),
    ("jit", "off"),
)


def ingest_turn(tenant_id: uuid.UUID) -> str:
    """The statement that takes a tenant's turn to ingest, for its transaction.

    The shared lock orders ingest against closing a period; the tenant's lock makes its batches
    take turns, so that no two of them can both miss the other's copy of an id (which they may
    store in different partitions). It must run before the ingest statement, whose snapshot
    then sees what the batch before it committed: the request path runs it with BEGIN
    (`Database.tenant(..., then=...)`), saving a round trip per batch.
    """
    settings = ", ".join(f"set_config('{name}', '{value}', true)" for name, value in _INGEST_PLANNING)
    return (
        f"SELECT pg_advisory_xact_lock_shared({USAGE_PERIOD_LOCK}), "
        f"pg_advisory_xact_lock({tenant_lock_key(tenant_id)}), {settings}"
    )


# The batch's events, each marked whether it may be stored at all ($7 earliest, $8 latest, $9
# reserve the platform's types). Marked once here, and not filtered on below: the planner guesses
# a range filter on unnest()'s rows keeps 0.5% of them, and for 5 rows a scan of the tenant's
# stored events looks cheaper than 5 index look-ups. For 1,000 it is a thousand times dearer.
_INPUT = """
/* fluxforge: usage ingest */
WITH watermark AS MATERIALIZED (
    SELECT before FROM usage_id_watermark
),
closed AS MATERIALIZED (
    SELECT start_at, end_at FROM usage_periods WHERE end_at > $7 AND start_at <= $8
),
reserved AS MATERIALIZED (
    SELECT DISTINCT event_type COLLATE "C" AS event_type FROM platform_meters WHERE $9
),
input AS MATERIALIZED (
    SELECT event_id COLLATE "C" AS event_id, occurred_at, type COLLATE "C" AS type, subject, properties, position,
           (occurred_at >= $7 AND occurred_at <= $8
            AND type COLLATE "C" NOT IN (SELECT event_type FROM reserved)
            AND NOT EXISTS (SELECT 1 FROM closed c WHERE occurred_at >= c.start_at AND occurred_at < c.end_at))
               AS acceptable
    FROM unnest(string_to_array($2, E'\\x1f'), string_to_array($3, E'\\x1f')::timestamptz[],
                string_to_array($4, E'\\x1f'), string_to_array($5, E'\\x1f'), string_to_array($6, E'\\x1f'))
        WITH ORDINALITY AS u(event_id, occurred_at, type, subject, properties, position)
)"""

# Whether the tenant had an event with this id: it is in the archive (every id of an event
# before the watermark) or in a partition from the watermark up to $10, past `latest` by
# the clock skew allowed (events stored by a server whose clock runs ahead). Older partitions
# hold only archived ids, newer ones nothing.
_ARCHIVED = "EXISTS (SELECT 1 FROM usage_event_ids x WHERE x.tenant_id = $1 AND x.event_id = i.event_id)"
_STORED = """EXISTS (SELECT 1 FROM usage_events e WHERE e.tenant_id = $1 AND e.event_id = i.event_id
                      AND e.occurred_at >= (SELECT before FROM watermark) AND e.occurred_at <= $10)"""

# Store the first acceptable copy of each id the tenant never had. Why the others were not
# stored: an id accepted before is a duplicate even when this copy of it would be refused (say,
# a retry after its period closed): it was counted once.
_INGEST = f"""{_INPUT},
new AS MATERIALIZED (
    SELECT DISTINCT ON (i.event_id) i.* FROM input i
    WHERE i.acceptable AND NOT {_ARCHIVED} AND NOT {_STORED}
    ORDER BY i.event_id, i.position
),
stored AS (
    INSERT INTO usage_events (tenant_id, occurred_at, event_id, type, subject, properties)
    SELECT $1, occurred_at, event_id, type, subject, properties::jsonb FROM new
)
SELECT i.position, CASE
    WHEN i.acceptable
      OR i.event_id IN (SELECT event_id FROM new)
      OR {_ARCHIVED} OR {_STORED}
        THEN 'duplicate'
    WHEN i.type IN (SELECT event_type FROM reserved) THEN 'reserved_type'
    WHEN i.occurred_at < $7 THEN 'before_open_period'
    WHEN i.occurred_at > $8 THEN 'in_future'
    ELSE 'period_closed'
END
FROM input i WHERE i.position NOT IN (SELECT position FROM new)
"""


async def ingest(
    conn: Connection,
    tenant_id: uuid.UUID,
    rows: UsageColumns,
    *,
    earliest: datetime,
    latest: datetime,
    reserve_platform_types: bool,
    turn_taken: bool = False,
) -> list[tuple[int, str]]:
    """Store the tenant's events that are new and acceptable, all or none (the caller's transaction).

    Returns (position in `rows`, code) for each event not stored: `duplicate` (its id was
    accepted before, or earlier in this batch) or a rejection code. Events of types the
    platform meters are refused when `reserve_platform_types`: tenants cannot report
    FluxForge's own usage. Events at the edges of [earliest, latest] are accepted. A
    transaction that ingests for several tenants must do so in the order of their ids.
    `turn_taken`: the transaction ran `ingest_turn(tenant_id)` already.
    """
    if not rows.event_ids:
        return []
    if not turn_taken:
        await conn.execute(ingest_turn(tenant_id))
    refused = await conn.fetch(
        _INGEST,
        tenant_id,
        _joined(rows.event_ids),
        _joined_times(rows.occurred_at),
        _joined(rows.types),
        _joined(rows.subjects),
        _joined(rows.properties),
        earliest,
        latest,
        reserve_platform_types,
        latest + CLOCK_SKEW_ALLOWANCE,
    )
    return [(row[0] - 1, row[1]) for row in refused]


# Each column travels as one text, its values separated by the ASCII unit separator, which
# PostgreSQL splits with `string_to_array`: encoding a text[] or timestamptz[] element by element
# cost the API more than the database spends storing the row. No value can hold the separator:
# ids, types and subjects refuse control characters, and JSON text escapes them.
_SEPARATOR = "\x1f"


def _joined(values: list[str]) -> str:
    joined = _SEPARATOR.join(values)
    if joined.count(_SEPARATOR) != len(values) - 1:
        raise ValueError("a usage value holds the unit separator; the parser should have refused it")
    return joined


def _joined_times(values: list[datetime]) -> str:
    """ISO 8601 with offsets (msgspec's encoding, in C), which PostgreSQL reads exactly."""
    return msgspec.json.encode(values)[2:-2].replace(b'","', b"\x1f").decode()


async def close_usage_period(conn: Connection, *, start: datetime, end: datetime) -> None:
    """Record that [start, end) is closed, so later events in it are refused by ingest.

    Platform scope. Waits for batches in flight to commit, and batches that start meanwhile
    wait for this transaction: once it commits, totals read for [start, end) are final.
    Closing a period twice is harmless. The id watermark moves past it when it can.
    """
    if start >= end:
        raise ValueError("a usage period must start before it ends")
    await conn.execute(f"SELECT pg_advisory_xact_lock({USAGE_PERIOD_LOCK})")
    await conn.execute(
        "INSERT INTO usage_periods (start_at, end_at) VALUES ($1, $2) ON CONFLICT DO NOTHING", start, end
    )
    await _archive_ids(conn)


async def advance_id_watermark(conn: Connection) -> datetime:
    """Archive the ids of events that no batch can store any more; the watermark after.

    Platform scope; the worker's maintenance calls it. Ingest looks ids up in every partition
    from the watermark on, so moving it keeps that to the one or two open months. Ingest waits
    while ids are archived, so this only takes the lock when there is something to archive.
    """
    current, target = await _watermark_and_target(conn)
    if target <= current:
        return current
    await conn.execute(f"SELECT pg_advisory_xact_lock({USAGE_PERIOD_LOCK})")
    return await _archive_ids(conn)


async def _watermark_and_target(conn: Connection) -> tuple[datetime, datetime]:
    """The watermark now, and where it may move. Batches judge event times by the real clock,
    so this does too (never a caller's notion of now)."""
    now = datetime.now(UTC)
    current: datetime = await conn.fetchval("SELECT before FROM usage_id_watermark")
    closed = await conn.fetch("SELECT start_at, end_at FROM usage_periods WHERE end_at > $1", archive_from(now))
    return current, id_watermark(now, [(row[0], row[1]) for row in closed])


async def _archive_ids(conn: Connection) -> datetime:
    """Under the exclusive usage-period lock: copy the ids below the new watermark, then move it."""
    current, target = await _watermark_and_target(conn)
    if target <= current:
        return current
    await conn.execute(
        """
        INSERT INTO usage_event_ids (tenant_id, event_id)
        SELECT tenant_id, event_id FROM usage_events WHERE occurred_at >= $1 AND occurred_at < $2
        ORDER BY tenant_id, event_id
        ON CONFLICT DO NOTHING
        """,
        current,
        target,
    )
    await conn.execute("UPDATE usage_id_watermark SET before = $1, moved_at = now()", target)
    return target


# --- usage --------------------------------------------------------------------------------

# Which events count toward a meter, and what they add up to. `{v}` is the bound name of the
# value property. Events without a usable value do not contribute (and are not counted).
_CONTRIBUTES = {
    "count": "true",
    "sum": "jsonb_typeof(properties -> {v}) = 'number'",
    "max": "jsonb_typeof(properties -> {v}) = 'number'",
    "latest": "jsonb_typeof(properties -> {v}) = 'number'",
    "unique_count": "jsonb_typeof(properties -> {v}) IN ('string', 'number', 'boolean')",
}
_AGGREGATE = {
    "count": "count(*)::numeric",
    "sum": "sum((properties -> {v})::numeric)",
    "max": "max((properties -> {v})::numeric)",
    "latest": "(array_agg((properties -> {v})::numeric ORDER BY occurred_at DESC, event_id DESC))[1]",
    "unique_count": "count(DISTINCT properties -> {v})::numeric",
}


async def usage_rows(conn: Connection, tenant_id: uuid.UUID, query: UsageQuery) -> list[ReportRow]:
    """(window start, dimension values, quantity, contributing events) per non-empty bucket;
    at most MAX_REPORT_ROWS + 1 rows (the extra one says the query is too wide)."""
    meter = query.meter
    args: list[Any] = [tenant_id, meter.event_type, query.start, query.end]

    def bind(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    value = bind(meter.value_property) if meter.value_property is not None else "NULL"
    bucket = f"date_trunc({bind(query.window)}, occurred_at, 'UTC')" if query.window else "NULL::timestamptz"
    dimensions = [
        "subject" if dimension == "subject" else f"properties ->> {bind(dimension)}" for dimension in query.group_by
    ]
    selected = ", ".join([bucket, *dimensions])
    groups = ", ".join(str(i) for i in range(1, len(dimensions) + 2))
    rows = await conn.fetch(
        f"""
        SELECT {selected}, {_AGGREGATE[meter.aggregation].format(v=value)}, count(*)
        FROM usage_events
        WHERE tenant_id = $1 AND type = $2 AND occurred_at >= $3 AND occurred_at < $4
          AND {_CONTRIBUTES[meter.aggregation].format(v=value)}
        GROUP BY {groups}
        LIMIT {MAX_REPORT_ROWS + 1}
        """,
        *args,
    )
    width = len(dimensions)
    return [(row[0], tuple(row[1 : width + 1]), row[width + 1], row[width + 2]) for row in rows]


_TOTALS = """
WITH tenant_meters AS (
    SELECT m.tenant_id, m.key, m.event_type, m.aggregation, m.value_property FROM meters m
    WHERE ($3::uuid[] IS NULL OR m.tenant_id = ANY($3))
      AND NOT EXISTS (SELECT 1 FROM platform_meters p WHERE p.key = m.key)
),
matched AS NOT MATERIALIZED (
    SELECT e.tenant_id, m.key, m.aggregation, e.occurred_at, e.event_id, e.properties -> m.value_property AS value
    FROM usage_events e JOIN tenant_meters m ON m.tenant_id = e.tenant_id AND m.event_type = e.type
    WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND ($3::uuid[] IS NULL OR e.tenant_id = ANY($3))
    UNION ALL
    SELECT e.tenant_id, p.key, p.aggregation, e.occurred_at, e.event_id, e.properties -> p.value_property
    FROM usage_events e JOIN platform_meters p ON p.event_type = e.type
    WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND ($3::uuid[] IS NULL OR e.tenant_id = ANY($3))
)
SELECT tenant_id, key,
       CASE aggregation WHEN 'count' THEN count(*)::numeric
                        WHEN 'sum' THEN sum(value::numeric)
                        ELSE max(value::numeric) END,
       count(*)
FROM matched
WHERE aggregation = 'count' OR (aggregation IN ('sum', 'max') AND jsonb_typeof(value) = 'number')
GROUP BY tenant_id, key, aggregation
UNION ALL
SELECT tenant_id, key, (array_agg(value::numeric ORDER BY occurred_at DESC, event_id DESC))[1], count(*)
FROM matched
WHERE aggregation = 'latest' AND jsonb_typeof(value) = 'number'
GROUP BY tenant_id, key
UNION ALL
SELECT tenant_id, key, count(DISTINCT value)::numeric, count(*)
FROM matched
WHERE aggregation = 'unique_count' AND jsonb_typeof(value) IN ('string', 'number', 'boolean')
GROUP BY tenant_id, key
"""


async def usage_totals(
    conn: Connection, *, start: datetime, end: datetime, tenant_ids: list[uuid.UUID] | None = None
) -> list[UsageTotal]:
    """Each tenant's quantity of every meter that applies to it over [start, end).

    Platform scope. The meters that apply to a tenant are the platform's and its own (a
    tenant meter sharing a platform meter's key is ignored). Only (tenant, meter) pairs with
    at least one contributing event are returned; a missing pair means zero usage. Meters are
    read as they are defined now: a changed meter recomputes past windows from the raw events.
    """
    rows = await conn.fetch(_TOTALS, start, end, tenant_ids)
    return [UsageTotal(row[0], row[1], row[2], row[3]) for row in rows]
