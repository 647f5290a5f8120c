"""FluxForge meters itself through the same ingest path as tenants' usage: every tenant-scoped
request becomes an event, and a flush that fails or is retried neither loses nor doubles one."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import asyncpg
import msgspec
import pytest

from fluxforge.db import Database
from fluxforge.metering import selfmeter
from tests.conftest import make_user
from tests.integration.metering_support import TenantOwner, new_tenant, tenant_id_of
from tests.support import Client


async def test_every_tenant_scoped_request_is_metered_through_the_same_path(
    client: Client,
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
    meter.db = Database(cast(asyncpg.Pool, UnreachablePool()))  # a pool whose connections never open
    with pytest.raises(ConnectionError):
        await meter.flush()
    assert meter.pending == 5
    meter.db = app_db
    assert await meter.flush() == 5
    stored = await owner_conn.fetch("SELECT properties FROM usage_events WHERE tenant_id = $1", tenant_id)
    assert sorted(msgspec.json.decode(r["properties"])["i"] for r in stored) == [2, 3, 4, 5, 6]
