"""Metering against real PostgreSQL (row-level security on): meters, idempotent partial-success
ingest, closed periods, self-metering, and usage aggregates that always equal a pure-Python
computation over the raw events, however the events were shuffled, repeated and batched."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from fluxforge.config import APP_DB_ROLE, Settings, with_user
from fluxforge.db import Database, create_pool
from fluxforge.metering import logic, repository, selfmeter
from fluxforge.metering.models import UsageColumns
from fluxforge.migrations import migrate
from fluxforge.scheduler.worker import Worker
from tests.conftest import ADMIN_TOKEN, create_database, drop_database, make_tenant, make_user, unique_slug

PROBLEM = "application/problem+json"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TenantOwner = tuple[str, dict[str, str]]
ENCODE = msgspec.json.Encoder(decimal_format="number").encode


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def event(event_id: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {"id": event_id, "type": fields.pop("type", "job.done"), "timestamp": iso(at), "subject": "c-1", **fields}


async def post_usage(
    client: AsyncTestClient,  # type: ignore[type-arg]
    slug: str,
    headers: dict[str, str],
    body: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/tenants/{slug}/usage", content=ENCODE(body), headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def tenant_id_of(owner_conn: asyncpg.Connection, slug: str) -> uuid.UUID:
    tenant_id: uuid.UUID = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    return tenant_id


async def new_tenant(owner_conn: asyncpg.Connection) -> uuid.UUID:
    tenant_id: uuid.UUID = await owner_conn.fetchval(
        "INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, 'x') RETURNING id", uuid.uuid4(), unique_slug()
    )
    return tenant_id


# --- meters --------------------------------------------------------------------------------------


async def test_tenant_meters_are_versioned_audited_and_beside_the_platforms(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    base = f"/v1/tenants/{slug}/meters"
    body = {"key": "tokens.used", "event_type": "llm.call", "aggregation": "sum", "value_property": "tokens"}
    created = await client.post(base, json={**body, "group_by": ["model"], "unit": "tokens"}, headers=owner)
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"{base}/tokens.used"
    meter = created.json()
    assert (meter["scope"], meter["group_by"], meter["version"]) == ("tenant", ["model"], 1)

    listed = (await client.get(f"{base}?limit=200", headers=owner)).json()["items"]
    scopes = {m["key"]: m["scope"] for m in listed}
    assert listed[0]["key"] == "api.requests"  # seeded first
    assert (scopes["api.requests"], scopes["tokens.used"]) == ("platform", "tenant")
    assert [m["key"] for m in listed if m["scope"] == "tenant"] == ["tokens.used"]
    assert (await client.get(f"{base}/api.requests", headers=owner)).json()["aggregation"] == "count"

    again = await client.post(base, json=body, headers=owner)
    assert again.status_code == 409
    taken = await client.post(base, json={**body, "key": "api.requests"}, headers=owner)
    assert taken.status_code == 409
    assert "platform meter" in taken.json()["detail"]

    unversioned = await client.patch(f"{base}/tokens.used", json={"unit": "k"}, headers=owner)
    assert unversioned.status_code == 428
    stale = await client.patch(f"{base}/tokens.used", json={"unit": "k"}, headers={**owner, "If-Match": '"7"'})
    assert stale.status_code == 412
    changed = await client.patch(
        f"{base}/tokens.used", json={"aggregation": "max", "unit": "k"}, headers={**owner, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["aggregation"], changed.json()["version"], changed.headers["etag"]) == ("max", 2, '"2"')
    same = await client.patch(f"{base}/tokens.used", json={"unit": "k"}, headers={**owner, "If-Match": '"2"'})
    assert same.json()["version"] == 2  # nothing changed, nothing written
    to_count = await client.patch(
        f"{base}/tokens.used", json={"aggregation": "count"}, headers={**owner, "If-Match": '"2"'}
    )
    assert (to_count.json()["aggregation"], to_count.json()["value_property"]) == ("count", None)

    platform = await client.patch(f"{base}/api.requests", json={"unit": "x"}, headers={**owner, "If-Match": '"1"'})
    assert platform.status_code == 403
    assert (await client.delete(f"{base}/tokens.used", headers={**owner, "If-Match": '"1"'})).status_code == 412
    assert (await client.delete(f"{base}/tokens.used", headers=owner)).status_code == 204
    assert (await client.get(f"{base}/tokens.used", headers=owner)).status_code == 404

    tenant_id = await tenant_id_of(owner_conn, slug)
    actions = await owner_conn.fetch(
        "SELECT action FROM audit_events WHERE tenant_id = $1 AND target_type = 'meter' ORDER BY occurred_at, id",
        tenant_id,
    )
    assert [a["action"] for a in actions] == ["meter.create", "meter.update", "meter.update", "meter.delete"]


async def test_meter_definitions_must_compute(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    base = f"/v1/tenants/{slug}/meters"
    cases = [
        ({"key": "m1", "event_type": "e", "aggregation": "sum"}, "value_property"),
        ({"key": "m2", "event_type": "e", "aggregation": "count", "value_property": "v"}, "value_property"),
        (
            {"key": "m3", "event_type": "e", "aggregation": "max", "value_property": "v", "group_by": ["a", "a"]},
            "group_by",
        ),
        ({"key": "Bad Key", "event_type": "e", "aggregation": "count"}, "key"),
        ({"key": "m4", "event_type": "e", "aggregation": "median", "value_property": "v"}, "aggregation"),
    ]
    for body, field in cases:
        response = await client.post(base, json=body, headers=owner)
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert field in response.text


async def test_meter_creation_is_idempotent_and_needs_usage_write(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    base = f"/v1/tenants/{slug}/meters"
    body = {"key": "seats", "event_type": "seat.count", "aggregation": "latest", "value_property": "n"}
    first = await client.post(base, json=body, headers={**owner, "Idempotency-Key": "seats-1"})
    replay = await client.post(base, json=body, headers={**owner, "Idempotency-Key": "seats-1"})
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotency-replayed"] == "true"
    assert first.json() == replay.json()

    key = await client.post(f"/v1/tenants/{slug}/api-keys", json={"name": "finance", "role": "billing"}, headers=owner)
    billing = {"Authorization": f"Bearer {key.json()['secret']}"}
    assert (await client.get(base, headers=billing)).status_code == 200
    assert (await client.post(base, json={**body, "key": "seats2"}, headers=billing)).status_code == 403
    assert (await client.post(f"/v1/tenants/{slug}/usage", json={"events": []}, headers=billing)).status_code == 403


async def test_platform_meters_apply_to_every_tenant(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    key = f"plat.{uuid.uuid4().hex[:8]}"
    body = {"key": key, "event_type": f"{key}.evt", "aggregation": "unique_count", "value_property": "user"}
    assert (await client.post("/v1/admin/meters", json=body)).status_code == 401
    created = await client.post("/v1/admin/meters", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["scope"] == "platform"
    assert (await client.get(f"/v1/admin/meters/{key}", headers=ADMIN)).json()["key"] == key
    assert (await client.get(f"/v1/tenants/{slug}/meters/{key}", headers=owner)).json()["scope"] == "platform"

    # A tenant cannot take the key, nor report the platform's event type.
    mine = await client.post(f"/v1/tenants/{slug}/meters", json=body, headers=owner)
    assert mine.status_code == 409
    reserved = await post_usage(client, slug, owner, {"events": [event("r1", datetime.now(UTC), type=f"{key}.evt")]})
    assert reserved["rejected"][0]["code"] == "reserved_type"

    # The platform cannot take a key a tenant uses.
    tenant_key = f"own.{uuid.uuid4().hex[:8]}"
    await client.post(f"/v1/tenants/{slug}/meters", json={**body, "key": tenant_key, "event_type": "x"}, headers=owner)
    clash = await client.post("/v1/admin/meters", json={**body, "key": tenant_key}, headers=ADMIN)
    assert clash.status_code == 409

    patched = await client.patch(
        f"/v1/admin/meters/{key}", json={"description": "who"}, headers={**ADMIN, "If-Match": '"1"'}
    )
    assert patched.json()["version"] == 2
    keys = [m["key"] for m in (await client.get("/v1/admin/meters?limit=200", headers=ADMIN)).json()["items"]]
    assert "api.requests" in keys
    assert key in keys
    assert (await client.delete(f"/v1/admin/meters/{key}", headers=ADMIN)).status_code == 204
    assert (await client.get(f"/v1/admin/meters/{key}", headers=ADMIN)).status_code == 404
    audited = await owner_conn.fetchval(
        "SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND target_type = 'meter' AND actor = 'admin:bootstrap'"
        " AND target_id = $2",
        uuid.UUID(int=0),
        created.json()["id"],
    )
    assert audited == 3


# --- ingest --------------------------------------------------------------------------------------


async def test_ingest_is_idempotent_whatever_the_timestamp_of_a_retry(
    client: AsyncTestClient,  # type: ignore[type-arg]
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
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    settings: Settings,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    now = datetime.now(UTC)
    earliest = logic.open_period_start(now)
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
    client: AsyncTestClient,  # type: ignore[type-arg]
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
    client: AsyncTestClient,  # type: ignore[type-arg]
    app_db: Database,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    now = datetime.now(UTC)
    start = logic.open_period_start(now)
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
    start = logic.open_period_start(now) + timedelta(hours=2)
    end = start + timedelta(hours=1)
    earliest, latest = logic.ingest_bounds(now, 300)

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
    client: AsyncTestClient,  # type: ignore[type-arg]
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
    count, unique = await owner_conn.fetchrow(
        "SELECT count(*), count(DISTINCT event_id) FROM usage_events WHERE tenant_id = $1 AND type = 'job.done'",
        tenant_id,
    )
    assert count == unique == len(distinct)


async def test_a_tenants_batches_take_turns_so_one_id_in_two_months_counts_once(
    app_db: Database, owner_conn: asyncpg.Connection
) -> None:
    """Two batches carry the same id, one dated last month and one now, so they would be stored in
    different partitions: the second waits for the first to commit, then sees its copy. Another
    tenant's batch does not wait."""
    tenant_id, bystander = await new_tenant(owner_conn), await new_tenant(owner_conn)
    now = datetime.now(UTC)
    earliest, latest = logic.ingest_bounds(now, 300)
    last_month = logic.open_period_start(now) + timedelta(hours=10)  # no test closes this hour

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
    earliest, latest = logic.ingest_bounds(now, 300)

    async def ingest(new_id: str) -> list[tuple[int, str]]:
        columns = UsageColumns(["old", new_id], [now, now], ["t", "t"], ["s", "s"], ["{}", "{}"])
        async with db.tenant(tenant_id) as conn:
            return await repository.ingest(
                conn, tenant_id, columns, earliest=earliest, latest=latest, reserve_platform_types=True
            )

    assert await ingest("new-1") == [(0, "duplicate")]  # found in its partition: the watermark is below it

    await worker.maintain()
    watermark = await owner_conn.fetchval("SELECT before FROM usage_id_watermark")
    assert watermark == logic.id_watermark(now, []) > long_ago
    archived = await owner_conn.fetch("SELECT event_id FROM usage_event_ids WHERE tenant_id = $1", tenant_id)
    assert [r["event_id"] for r in archived] == ["old"]
    async with db.platform() as conn:
        assert await repository.advance_id_watermark(conn) == watermark  # nothing more to do, nothing moved

    assert await ingest("new-2") == [(0, "duplicate")]  # now found in the archive
    assert await owner_conn.fetchval("SELECT count(*) FROM usage_events WHERE tenant_id = $1", tenant_id) == 3


async def test_tenants_see_only_their_own_usage(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
) -> None:
    alice, bob = await make_user(client, owner_conn), await make_user(client, owner_conn)
    a_slug, b_slug = await make_tenant(client, alice), await make_tenant(client, bob)
    now = datetime.now(UTC)
    for slug, user in ((a_slug, alice), (b_slug, bob)):
        await client.post(
            f"/v1/tenants/{slug}/meters",
            json={"key": "jobs", "event_type": "job.done", "aggregation": "count"},
            headers=user.headers,
        )
    # The same event ids in two tenants are two events.
    await post_usage(client, a_slug, alice.headers, {"events": [event("same", now), event("a-only", now)]})
    assert (await post_usage(client, b_slug, bob.headers, {"events": [event("same", now)]}))["accepted"] == 1
    a_usage = (await client.get(f"/v1/tenants/{a_slug}/usage?meter=jobs", headers=alice.headers)).json()
    b_usage = (await client.get(f"/v1/tenants/{b_slug}/usage?meter=jobs", headers=bob.headers)).json()
    assert [i["quantity"] for i in a_usage["items"]] == ["2"]
    assert [i["quantity"] for i in b_usage["items"]] == ["1"]
    foreign = await client.get(f"/v1/tenants/{a_slug}/usage?meter=jobs", headers=bob.headers)
    assert foreign.status_code == 404


# --- self-metering -------------------------------------------------------------------------------


async def test_every_tenant_scoped_request_is_metered_through_the_same_path(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    for _ in range(3):
        assert (await client.get(f"/v1/tenants/{slug}/namespaces", headers=owner)).status_code == 200
    assert (await client.get(f"/v1/tenants/{slug}/usage?meter=nope", headers=owner)).status_code == 404
    assert (await client.get(f"/v1/tenants/{slug}/namespaces/nope", headers=owner)).status_code == 404  # guard
    outsider = await make_user(client, owner_conn)
    assert (await client.get(f"/v1/tenants/{slug}/namespaces", headers=outsider.headers)).status_code == 404
    assert selfmeter.current_meter() is not None
    tenant_id = await tenant_id_of(owner_conn, slug)
    # Flushed in the background within a second, never during the request.
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        rows = await owner_conn.fetch(
            "SELECT event_id, subject, properties FROM usage_events WHERE tenant_id = $1 AND type = 'api.request'",
            tenant_id,
        )
        if len(rows) >= 4 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    properties = [msgspec.json.decode(r["properties"]) for r in rows]
    routes = sorted((p["route"], p["status"]) for p in properties)
    assert routes == [
        ("/v1/tenants/{tenant}/namespaces", 200),
        ("/v1/tenants/{tenant}/namespaces", 200),
        ("/v1/tenants/{tenant}/namespaces", 200),
        ("/v1/tenants/{tenant}/usage", 404),
    ]
    (subject,) = {r["subject"] for r in rows}  # who called: the owner, by principal
    assert subject.startswith("user:")
    usage = await client.get(f"/v1/tenants/{slug}/usage?meter=api.requests&group_by=status", headers=owner)
    counts = {i["group"]["status"]: int(i["quantity"]) for i in usage.json()["items"]}
    assert counts == {"200": 3, "404": 1}


async def test_a_retried_flush_counts_each_event_once(app_db: Database, owner_conn: asyncpg.Connection) -> None:
    tenant_id = await new_tenant(owner_conn)
    meter = selfmeter.SelfMeter(app_db, flush_at=10**9)
    for i in range(2500):
        meter.record(tenant_id, "run.step", subject="worker", properties={"i": i})
    pending = list(meter._pending)
    assert await meter.flush() == 2500
    meter._pending = pending  # as if the commit had happened but its acknowledgement was lost
    assert await meter.flush() == 0
    assert await owner_conn.fetchval("SELECT count(*) FROM usage_events WHERE tenant_id = $1", tenant_id) == 2500


class UnreachablePool:
    """Stands in for the pool while the database is away: every unit of work fails to start."""

    def acquire(self) -> Any:
        raise ConnectionError("database unreachable")


async def test_a_failed_flush_keeps_its_events_for_the_next(app_db: Database, owner_conn: asyncpg.Connection) -> None:
    tenant_id = await new_tenant(owner_conn)
    meter = selfmeter.SelfMeter(app_db, max_buffered=5)
    for i in range(7):
        meter.record(tenant_id, "run.step", subject="w", properties={"i": i})
    assert (meter.pending, meter.dropped) == (5, 2)  # bounded: the oldest go first
    meter.db = Database(UnreachablePool())  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        await meter.flush()
    assert meter.pending == 5
    meter.db = app_db
    assert await meter.flush() == 5
    stored = await owner_conn.fetch("SELECT properties FROM usage_events WHERE tenant_id = $1", tenant_id)
    assert sorted(msgspec.json.decode(r["properties"])["i"] for r in stored) == [2, 3, 4, 5, 6]


# --- aggregates equal the raw events --------------------------------------------------------------

METERS = {
    "p.count": ("count", None),
    "p.sum": ("sum", "v"),
    "p.max": ("max", "v"),
    "p.latest": ("latest", "v"),
    "p.unique": ("unique_count", "v"),
}
VALUES = st.one_of(
    st.integers(-1000, 1000),
    st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False),
    st.sampled_from(["x", "y", "", True, False, None]),
)
GROUPS = st.sampled_from(["a", "b", 1, True, None, "missing"])


def windowed(at: datetime, window: str | None, start: datetime) -> datetime:
    return start if window is None else max(logic.window_start(at, window), start)  # type: ignore[arg-type]


def is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | Decimal)


def scalar_key(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | Decimal):
        return ("n", Decimal(value))
    if isinstance(value, str):
        return ("s", value)
    return None


def group_text(value: Any) -> str | None:
    if value is None or value == "missing":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def reference(
    events: Iterable[dict[str, Any]],
    aggregation: str,
    window: str | None,
    dims: list[str],
    start: datetime,
    end: datetime,
) -> set[tuple[Any, ...]]:
    """The report computed in Python from the raw events, by the documented rules."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        at = e["at"]
        if not start <= at < end:
            continue
        value = e["properties"].get("v")
        if aggregation in ("sum", "max", "latest") and not is_number(value):
            continue
        if aggregation == "unique_count" and scalar_key(value) is None:
            continue
        values = tuple(e["subject"] if d == "subject" else group_text(e["properties"].get("g")) for d in dims)
        groups[(windowed(at, window, start), values)].append(e)
    result = set()
    for (bucket, values), members in groups.items():
        numbers = [Decimal(m["properties"]["v"]) for m in members] if aggregation in ("sum", "max") else []
        if aggregation == "count":
            quantity = Decimal(len(members))
        elif aggregation == "sum":
            quantity = sum(numbers, Decimal(0))
        elif aggregation == "max":
            quantity = max(numbers)
        elif aggregation == "latest":
            newest = max(members, key=lambda m: (m["at"], m["id"]))
            quantity = Decimal(newest["properties"]["v"])
        else:
            quantity = Decimal(len({scalar_key(m["properties"]["v"]) for m in members}))
        bucket_end = end if window is None else min(logic.window_end(logic.window_start(bucket, window), window), end)  # type: ignore[arg-type]
        result.add((bucket, bucket_end, tuple(zip(dims, values, strict=True)), quantity, len(members)))
    return result


def reported(items: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {
        (
            datetime.fromisoformat(i["window_start"]),
            datetime.fromisoformat(i["window_end"]),
            tuple(i["group"].items()),
            Decimal(i["quantity"]),
            i["event_count"],
        )
        for i in items
    }


event_specs = st.lists(
    st.tuples(
        st.integers(0, 20 * 24 * 3600 - 1),  # seconds before `now`
        st.sampled_from(["s1", "s2", "s3"]),
        VALUES,
        GROUPS,
        st.booleans(),  # has v
    ),
    min_size=1,
    max_size=60,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=event_specs,
    repeats=st.lists(st.integers(0, 59), max_size=40),
    batch_size=st.integers(1, 25),
    seed=st.integers(0, 2**16),
    concurrent=st.booleans(),
)
async def test_property_aggregates_equal_the_raw_events(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    app_db: Database,
    specs: list[tuple[int, str, Any, Any, bool]],
    repeats: list[int],
    batch_size: int,
    seed: int,
    concurrent: bool,
) -> None:
    user = await make_user(client, owner_conn)
    slug = await make_tenant(client, user)
    for key, (aggregation, prop) in METERS.items():
        body = {"key": key, "event_type": "p.e", "aggregation": aggregation, "value_property": prop, "group_by": ["g"]}
        assert (await client.post(f"/v1/tenants/{slug}/meters", json=body, headers=user.headers)).status_code == 201
    now = datetime.now(UTC).replace(microsecond=0)
    events = []
    for n, (ago, subject, value, group, has_value) in enumerate(specs):
        properties: dict[str, Any] = {}
        if has_value:
            properties["v"] = value
        if group != "missing":
            properties["g"] = group
        events.append(
            {"id": f"ev-{n:03d}", "at": now - timedelta(seconds=ago), "subject": subject, "properties": properties}
        )
    stream = events + [events[r % len(events)] for r in repeats]
    rng = random.Random(seed)
    rng.shuffle(stream)
    batches = [stream[i : i + batch_size] for i in range(0, len(stream), batch_size)]

    async def send(batch: list[dict[str, Any]]) -> dict[str, Any]:
        body = {
            "events": [
                event(e["id"], e["at"], type="p.e", subject=e["subject"], properties=e["properties"]) for e in batch
            ]
        }
        return await post_usage(client, slug, user.headers, body)

    if concurrent:
        results = await asyncio.gather(*(send(b) for b in batches))
    else:
        results = [await send(b) for b in batches]
    assert sum(r["accepted"] for r in results) == len(events)
    assert sum(len(r["duplicates"]) for r in results) == len(stream) - len(events)
    assert not any(r["rejected"] for r in results)

    start, end = now - timedelta(days=21), now + timedelta(seconds=1)
    for key, (aggregation, _) in METERS.items():
        window = rng.choice([None, "hour", "day", "month"])
        dims = rng.choice([[], ["g"], ["subject"], ["g", "subject"]])
        params: dict[str, Any] = {"meter": key, "start": iso(start), "end": iso(end), "group_by": dims}
        if window:
            params["window"] = window
        response = await client.get(f"/v1/tenants/{slug}/usage", params=params, headers=user.headers)
        assert response.status_code == 200, response.text
        assert reported(response.json()["items"]) == reference(events, aggregation, window, dims, start, end), (
            key,
            window,
            dims,
        )

    tenant_id = await tenant_id_of(owner_conn, slug)
    async with app_db.platform() as conn:
        totals = await repository.usage_totals(conn, start=start, end=end, tenant_ids=[tenant_id])
    mine = {t.meter_key: (t.quantity, t.event_count) for t in totals if t.meter_key in METERS}
    expected = {}
    for key, (aggregation, _) in METERS.items():
        (total,) = reference(events, aggregation, None, [], start, end) or {None}
        if total is not None:
            expected[key] = (total[3], total[4])
    assert mine == expected
    assert all(t.tenant_id == tenant_id for t in totals)


async def test_usage_queries_are_checked(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    url = f"/v1/tenants/{slug}/usage"
    assert (await client.get(url, params={"meter": "nope"}, headers=owner)).status_code == 404
    bad_dim = await client.get(url, params={"meter": "api.requests", "group_by": "colour"}, headers=owner)
    assert bad_dim.status_code == 400
    assert "colour" in bad_dim.json()["detail"]
    backwards = await client.get(
        url,
        params={"meter": "api.requests", "start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        headers=owner,
    )
    assert backwards.status_code == 400
    default = await client.get(url, params={"meter": "api.requests", "window": "day"}, headers=owner)
    assert default.status_code == 200
    report = default.json()
    assert report["start"] == iso(logic.month_start(datetime.now(UTC)))
    assert report["window"] == "day"
    assert report["unit"] == "requests"


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
    earliest, latest = logic.ingest_bounds(now, 300)
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
    earliest, latest = logic.ingest_bounds(now, 300)
    rows = UsageColumns(["a", "b"], [now, now], ["t", "t"], ["one\x1ftwo", "x"], ["{}", "{}"])
    async with app_db.tenant(tenant_id) as conn:
        with pytest.raises(ValueError, match="separator"):
            await repository.ingest(
                conn, tenant_id, rows, earliest=earliest, latest=latest, reserve_platform_types=True
            )
    assert await owner_conn.fetchval("SELECT count(*) FROM usage_events WHERE tenant_id = $1", tenant_id) == 0
