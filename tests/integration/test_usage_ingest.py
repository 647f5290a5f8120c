"""Usage ingest against real PostgreSQL (row-level security on): idempotent partial-success
batches, closed periods, a tenant's batches taking turns, archived ids, and how a batch travels to
PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
import pytest
from redis.asyncio import Redis

from fluxforge.config import APP_DB_ROLE, Settings, with_user
from fluxforge.db import Database, create_pool
from fluxforge.metering import periods, repository
from fluxforge.metering.models import UsageColumns
from fluxforge.migrations import migrate
from fluxforge.scheduler.worker import Worker
from tests.conftest import create_database, drop_database
from tests.integration.metering_support import (
    ENCODE,
    PROBLEM,
    TenantOwner,
    event,
    iso,
    new_tenant,
    post_usage,
    tenant_id_of,
)
from tests.support import Client


async def test_ingest_is_idempotent_whatever_the_timestamp_of_a_retry(
    client: Client,
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    now = datetime.now(UTC)
    batch = {"events": [event(f"e{i}", now - timedelta(minutes=i), properties={"n": i}) for i in range(5)]}
    first = await post_usage(client, slug, owner, batch)
    assert first == {"accepted": 5, "duplicates": [], "rejected": []}
    # The same ids later (a retry whose client rebuilt the events), partly in another month.
    moved = {"events": [event(f"e{i}", now - timedelta(days=20 + i), properties={"n": 99}) for i in range(5)]}
    moved["events"].append(event("e9", now))
    moved["events"].append(event("e9", now - timedelta(seconds=1)))
    second = await post_usage(client, slug, owner, moved)
    assert second == {"accepted": 1, "duplicates": [0, 1, 2, 3, 4, 6], "rejected": []}

    tenant_id = await tenant_id_of(owner_conn, slug)
    rows = await owner_conn.fetch(
        "SELECT event_id, occurred_at, properties FROM usage_events WHERE tenant_id = $1 ORDER BY event_id", tenant_id
    )
    assert [r["event_id"] for r in rows] == ["e0", "e1", "e2", "e3", "e4", "e9"]
    assert [msgspec.json.decode(r["properties"]) for r in rows[:5]] == [
        {"n": i} for i in range(5)
    ]  # the first copy counts
    assert rows[5]["occurred_at"] == datetime.fromisoformat(iso(now))


async def test_bad_events_are_reported_one_by_one_and_good_ones_kept(
    client: Client,
    owner_conn: asyncpg.Connection,
    settings: Settings,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    now = datetime.now(UTC)
    earliest = periods.open_period_start(now)
    events: list[Any] = [
        event("ok-1", now),
        event("bad id", now),
        {"id": "no-time", "type": "t", "subject": "s"},
        event("naive", now) | {"timestamp": now.replace(tzinfo=None).isoformat()},
        event("future", now + timedelta(seconds=settings.usage_future_tolerance_seconds + 60)),
        event("ancient", earliest - timedelta(seconds=1)),
        event("props", now, properties=[1, 2]),
        event("nul", now, properties={"a": "x\u0000y"}),
        event("huge", now, properties={"a": Decimal("1e99999")}),
        event("ctrl", now) | {"subject": "a\tb"},
        event("typ", now, type="has space"),
        "not an object",
        event("ok-2", now - timedelta(days=1), properties={"text": "e99999 and \\u0000 in a string"}),
        event("api", now, type="api.request"),
        event("ok-1", now),
        event("unknown", now) | {"extra": 1},
    ]
    result = await post_usage(client, slug, owner, {"events": events})
    codes = {r["index"]: r["code"] for r in result["rejected"]}
    assert codes == {
        1: "invalid",
        2: "invalid",
        3: "invalid",
        4: "in_future",
        5: "before_open_period",
        6: "invalid",
        7: "invalid",
        8: "invalid",
        9: "invalid",
        10: "invalid",
        11: "invalid",
        13: "reserved_type",
        15: "invalid",
    }
    assert result["accepted"] == 2
    assert result["duplicates"] == [14]
    reasons = {r["index"]: r for r in result["rejected"]}
    assert reasons[2]["reason"].startswith("Object missing required field `timestamp`")
    assert reasons[1]["id"] == "bad id"
    assert reasons[11]["id"] is None
    assert "future" in reasons[4]["reason"]
    assert earliest.isoformat() in reasons[5]["reason"]
    tenant_id = await tenant_id_of(owner_conn, slug)
    stored = await owner_conn.fetch("SELECT event_id FROM usage_events WHERE tenant_id = $1 ORDER BY 1", tenant_id)
    assert [r["event_id"] for r in stored] == ["ok-1", "ok-2"]
    # A rejected id was not taken: corrected, it is accepted.
    fixed = await post_usage(client, slug, owner, {"events": [event("future", now), event("typ", now)]})
    assert fixed["accepted"] == 2


async def test_single_events_and_malformed_bodies(
    client: Client,
    settings: Settings,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    now = datetime.now(UTC)
    assert await post_usage(client, slug, owner, event("one", now)) == {"accepted": 1, "duplicates": [], "rejected": []}
    assert await post_usage(client, slug, owner, event("one", now)) == {
        "accepted": 0,
        "duplicates": [0],
        "rejected": [],
    }
    single_bad = await post_usage(client, slug, owner, {"id": "x"})
    assert single_bad["rejected"][0]["index"] == 0
    assert await post_usage(client, slug, owner, {"events": []}) == {"accepted": 0, "duplicates": [], "rejected": []}

    url = f"/v1/tenants/{slug}/usage"
    headers = {**owner, "Content-Type": "application/json"}
    too_many = {"events": [event(f"m{i}", now) for i in range(settings.usage_max_batch + 1)]}
    for body in (b"{not json", b"[1, 2]", b'{"events": 3}', b'{"events": [], "more": 1}', ENCODE(too_many)):
        response = await client.post(url, content=body, headers=headers)
        assert response.status_code in (400, 413), (body[:40], response.text)
        assert response.headers["content-type"] == PROBLEM


async def test_a_closed_period_refuses_new_events_but_still_knows_old_ids(
    client: Client,
    app_db: Database,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    now = datetime.now(UTC)
    start = periods.open_period_start(now)
    end = start + timedelta(hours=1)  # a slice of last month no other test writes into
    inside = start + timedelta(minutes=30)
    first = await post_usage(client, slug, owner, {"events": [event("before-close", inside)]})
    assert first["accepted"] == 1
    async with app_db.platform() as conn:
        await repository.close_usage_period(conn, start=start, end=end)
    async with app_db.platform() as conn:
        await repository.close_usage_period(conn, start=start, end=end)  # closing twice is harmless
    late = await post_usage(
        client, slug, owner, {"events": [event("after-close", inside), event("before-close", inside), event("ok", end)]}
    )
    assert late["accepted"] == 1
    assert late["duplicates"] == [1]
    assert [(r["index"], r["code"]) for r in late["rejected"]] == [(0, "period_closed")]


async def test_closing_waits_for_batches_in_flight(app_db: Database, owner_conn: asyncpg.Connection) -> None:
    """A close that starts while a batch is uncommitted waits for it; later batches see the close."""
    tenant_id = await new_tenant(owner_conn)
    now = datetime.now(UTC)
    start = periods.open_period_start(now) + timedelta(hours=2)
    end = start + timedelta(hours=1)
    earliest, latest = periods.ingest_bounds(now, 300)

    def rows(event_id: str) -> Any:
        return UsageColumns([event_id], [start], ["t"], ["s"], ["{}"])

    batch_stored = asyncio.Event()
    release_batch = asyncio.Event()

    async def slow_batch() -> list[tuple[int, str]]:
        async with app_db.tenant(tenant_id) as conn:
            refused = await repository.ingest(
                conn, tenant_id, rows("in-flight"), earliest=earliest, latest=latest, reserve_platform_types=True
            )
            batch_stored.set()
            await release_batch.wait()
        return refused

    async def close() -> None:
        async with app_db.platform() as conn:
            await repository.close_usage_period(conn, start=start, end=end)

    batch = asyncio.create_task(slow_batch())
    await batch_stored.wait()
    closing = asyncio.create_task(close())
    await asyncio.sleep(0.3)
    assert not closing.done()  # waiting for the batch in flight
    release_batch.set()
    assert await batch == []
    await closing
    async with app_db.tenant(tenant_id) as conn:
        after = await repository.ingest(
            conn, tenant_id, rows("after"), earliest=earliest, latest=latest, reserve_platform_types=True
        )
    assert after == [(0, "period_closed")]


async def test_concurrent_retries_of_overlapping_batches_count_each_event_once(
    client: Client,
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    now = datetime.now(UTC)
    events = [event(f"c{i:04d}", now - timedelta(seconds=i)) for i in range(600)]
    rng = random.Random(7)
    batches = []
    for _ in range(12):
        picked = rng.sample(events, 150)
        batches.append({"events": picked})
    results = await asyncio.gather(*(post_usage(client, slug, owner, b) for b in batches))
    distinct = {e["id"] for b in batches for e in b["events"]}
    assert sum(r["accepted"] for r in results) == len(distinct)
    assert sum(len(r["duplicates"]) for r in results) == 12 * 150 - len(distinct)
    tenant_id = await tenant_id_of(owner_conn, slug)
    # Only the reported events: FluxForge's own metering of these requests may land meanwhile.
    counted = await owner_conn.fetchrow(
        "SELECT count(*), count(DISTINCT event_id) FROM usage_events WHERE tenant_id = $1 AND type = 'job.done'",
        tenant_id,
    )
    assert counted is not None
    count, unique = counted
    assert count == unique == len(distinct)


async def test_a_tenants_batches_take_turns_so_one_id_in_two_months_counts_once(
    app_db: Database, owner_conn: asyncpg.Connection
) -> None:
    """Two batches carry the same id, one dated last month and one now, so they would be stored in
    different partitions: the second waits for the first to commit, then sees its copy. Another
    tenant's batch does not wait."""
    tenant_id, bystander = await new_tenant(owner_conn), await new_tenant(owner_conn)
    now = datetime.now(UTC)
    earliest, latest = periods.ingest_bounds(now, 300)
    last_month = periods.open_period_start(now) + timedelta(hours=10)  # no test closes this hour

    def rows(at: datetime) -> UsageColumns:
        return UsageColumns(["twice"], [at], ["t"], ["s"], ["{}"])

    first_stored = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> list[tuple[int, str]]:
        async with app_db.tenant(tenant_id) as conn:
            refused = await repository.ingest(
                conn, tenant_id, rows(last_month), earliest=earliest, latest=latest, reserve_platform_types=True
            )
            first_stored.set()
            await release_first.wait()
        return refused

    async def second(tenant: uuid.UUID) -> list[tuple[int, str]]:
        async with app_db.tenant(tenant) as conn:
            return await repository.ingest(
                conn, tenant, rows(now), earliest=earliest, latest=latest, reserve_platform_types=True
            )

    first_batch = asyncio.create_task(first())
    await first_stored.wait()
    assert await asyncio.wait_for(second(bystander), 5) == []  # other tenants do not take turns with it
    second_batch = asyncio.create_task(second(tenant_id))
    await asyncio.sleep(0.3)
    assert not second_batch.done()  # waiting for the first batch's turn to end
    release_first.set()
    assert await first_batch == []
    assert await second_batch == [(0, "duplicate")]
    stored = await owner_conn.fetch("SELECT occurred_at FROM usage_events WHERE tenant_id = $1", tenant_id)
    assert [r["occurred_at"] for r in stored] == [last_month]


async def test_ids_below_the_watermark_are_archived_and_still_duplicates(server_url: str, redis_url: str) -> None:
    """An event stored when its month was open (long ago): the worker's maintenance moves the
    watermark and archives its id, after which ingest no longer reads that month's partition but
    still knows the id. On a database of its own: the shared one's watermark moves whenever a
    test closes a period."""
    url = await create_database(server_url)
    try:
        await migrate(url, Settings().migrations_dir)
        owner = await asyncpg.connect(url)
        pool = await create_pool(with_user(url, APP_DB_ROLE), min_size=1, max_size=2)
        redis = Redis.from_url(redis_url)
        try:
            await archive_and_dedup(owner, Worker(Settings(), Database(pool), redis))
        finally:
            await redis.aclose()
            await pool.close()
            await owner.close()
    finally:
        await drop_database(server_url, url)


async def archive_and_dedup(owner_conn: asyncpg.Connection, worker: Worker) -> None:
    db = worker.db
    tenant_id = await new_tenant(owner_conn)
    long_ago = datetime(2020, 3, 4, 5, 6, 7, tzinfo=UTC)
    await owner_conn.execute(
        "INSERT INTO usage_events (tenant_id, occurred_at, event_id, type, subject) VALUES ($1, $2, 'old', 't', 's')",
        tenant_id,
        long_ago,
    )
    now = datetime.now(UTC)
    earliest, latest = periods.ingest_bounds(now, 300)

    async def ingest(new_id: str) -> list[tuple[int, str]]:
        columns = UsageColumns(["old", new_id], [now, now], ["t", "t"], ["s", "s"], ["{}", "{}"])
        async with db.tenant(tenant_id) as conn:
            return await repository.ingest(
                conn, tenant_id, columns, earliest=earliest, latest=latest, reserve_platform_types=True
            )

    assert await ingest("new-1") == [(0, "duplicate")]  # found in its partition: the watermark is below it

    await worker.maintain()
    watermark = await owner_conn.fetchval("SELECT before FROM usage_id_watermark")
    assert watermark == periods.id_watermark(now, []) > long_ago
    archived = await owner_conn.fetch("SELECT event_id FROM usage_event_ids WHERE tenant_id = $1", tenant_id)
    assert [r["event_id"] for r in archived] == ["old"]
    async with db.platform() as conn:
        assert await repository.advance_id_watermark(conn) == watermark  # nothing more to do, nothing moved

    assert await ingest("new-2") == [(0, "duplicate")]  # now found in the archive
    assert await owner_conn.fetchval("SELECT count(*) FROM usage_events WHERE tenant_id = $1", tenant_id) == 3


# --- how a batch travels to PostgreSQL -------------------------------------------------------------


async def test_columns_arrive_exactly_as_sent(app_db: Database, owner_conn: asyncpg.Connection) -> None:
    """Each column travels as one separator-joined text: values, offsets and microseconds survive."""
    tenant_id = await new_tenant(owner_conn)
    now = datetime.now(UTC).replace(microsecond=123456)
    india = timezone(timedelta(hours=5, minutes=30))
    rows = UsageColumns(
        ["a", "b~!{}", "c"],
        [now, (now - timedelta(seconds=1)).astimezone(india), now - timedelta(microseconds=1)],
        ["t.one", "t-two", "t:three"],
        ["ünïcode subject", 's "quoted" ,', "x"],
        ['{"k": "v\\u001f"}', "{}", '{"n": 1.50}'],
    )
    earliest, latest = periods.ingest_bounds(now, 300)
    async with app_db.tenant(tenant_id) as conn:
        assert (
            await repository.ingest(
                conn, tenant_id, rows, earliest=earliest, latest=latest, reserve_platform_types=True
            )
            == []
        )
    stored = await owner_conn.fetch(
        "SELECT event_id, occurred_at, type, subject, properties::text"
        " FROM usage_events WHERE tenant_id = $1 ORDER BY event_id",
        tenant_id,
    )
    assert [tuple(r) for r in stored] == [
        ("a", rows.occurred_at[0], "t.one", "ünïcode subject", '{"k": "v\\u001f"}'),
        ("b~!{}", rows.occurred_at[1], "t-two", 's "quoted" ,', "{}"),
        ("c", rows.occurred_at[2], "t:three", "x", '{"n": 1.50}'),
    ]


async def test_a_value_holding_the_separator_is_refused_before_the_database(
    app_db: Database, owner_conn: asyncpg.Connection
) -> None:
    tenant_id = await new_tenant(owner_conn)
    now = datetime.now(UTC)
    earliest, latest = periods.ingest_bounds(now, 300)
    rows = UsageColumns(["a", "b"], [now, now], ["t", "t"], ["one\x1ftwo", "x"], ["{}", "{}"])
    async with app_db.tenant(tenant_id) as conn:
        with pytest.raises(ValueError, match="separator"):
            await repository.ingest(
                conn, tenant_id, rows, earliest=earliest, latest=latest, reserve_platform_types=True
            )
    assert await owner_conn.fetchval("SELECT count(*) FROM usage_events WHERE tenant_id = $1", tenant_id) == 0
