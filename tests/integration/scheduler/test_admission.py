"""Which runs start and when: fairness between tenants against a backlog, a tenant's cap on
active runs, and the operators' freeze."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

from tests.integration.scheduler.support import DIAMOND, EngineFactory, start_run, wait_for_state, workflow
from tests.support import Client, SignedInUser, make_tenant


async def test_one_tenants_backlog_does_not_delay_anothers_run_by_more_than_a_round(
    client: Client,
    user: SignedInUser,
    owner_conn: asyncpg.Connection,
    engines: EngineFactory,
    quiet_queue: None,
) -> None:
    busy = await make_tenant(client, user)
    quiet = await make_tenant(client, user)
    manifest = {"metadata": {"name": "noop"}, "spec": {"steps": [{"id": "a", "uses": "echo", "with": {}}]}}
    await workflow(client, busy, user.headers, manifest)
    await workflow(client, quiet, user.headers, manifest)
    busy_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", busy)
    busy_ns = await owner_conn.fetchval("SELECT id FROM namespaces WHERE tenant_id = $1", busy_id)
    busy_wf = await owner_conn.fetchval("SELECT id FROM workflows WHERE tenant_id = $1", busy_id)
    # 10,000 runs queued by the busy tenant, all submitted before the quiet tenant's one.
    await owner_conn.execute(
        """
        WITH queued AS (
            INSERT INTO runs (tenant_id, id, namespace_id, workflow_id, workflow_version, workflow_name, queue_at,
                              event_seq)
            SELECT $1, gen_random_uuid(), $2, $3, 1, 'noop', now() - make_interval(secs => g), 0
            FROM generate_series(1, 10000) g
            RETURNING tenant_id, id
        )
        INSERT INTO run_steps (tenant_id, run_id, step_id, position, uses) SELECT tenant_id, id, 'a', 0, 'echo'
        FROM queued
        """,
        busy_id,
        busy_ns,
        busy_wf,
    )
    lone = await start_run(client, quiet, user.headers, "noop")
    lone_id = uuid.UUID(lone.rsplit("/", 1)[1])
    try:
        engine = await engines(scheduler_concurrency=4)
        run = await wait_for_state(client, lone, user.headers, {"succeeded"}, timeout=10)
        await engine.stop(2)
        started_at = await owner_conn.fetchval("SELECT started_at FROM runs WHERE id = $1", lone_id)
        assert run["started_at"] is not None
        ahead = await owner_conn.fetchval(
            "SELECT count(*) FROM runs WHERE tenant_id = $1 AND started_at < $2", busy_id, started_at
        )
        assert ahead == 0  # claimed in the very first round, beside the busy tenant's oldest runs
        behind = await owner_conn.fetchval(
            "SELECT count(*) FROM runs WHERE tenant_id = $1 AND state = 'pending'", busy_id
        )
        assert behind > 9000
    finally:
        await owner_conn.execute(
            """
            WITH gone AS (DELETE FROM run_steps s USING runs r
                          WHERE r.tenant_id = $1 AND r.state = 'pending' AND s.tenant_id = r.tenant_id
                            AND s.run_id = r.id)
            SELECT 1
            """,
            busy_id,
        )
        await owner_conn.execute("DELETE FROM runs WHERE tenant_id = $1 AND state = 'pending'", busy_id)


async def test_limits_cap_a_tenants_active_runs(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "nap"},
        "spec": {"steps": [{"id": "a", "uses": "sleep", "with": {"seconds": 0.3}}]},
    }
    await workflow(client, slug, user.headers, manifest)
    urls = [await start_run(client, slug, user.headers, "nap") for _ in range(6)]
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    await engines(scheduler_tenant_concurrency=2)
    await engines(scheduler_tenant_concurrency=2)
    peak = 0
    deadline = time.monotonic() + 20
    while True:
        counts = await owner_conn.fetchrow(
            """SELECT count(*) FILTER (WHERE state IN ('running', 'cancelling')) AS active,
                      count(*) FILTER (WHERE state = 'succeeded') AS done
               FROM runs WHERE tenant_id = $1""",
            tenant_id,
        )
        assert counts is not None
        peak = max(peak, counts["active"])
        if counts["done"] == len(urls):
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    assert peak == 2


async def test_freeze_starts_nothing_until_unfrozen(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
    admin: dict[str, str],
) -> None:
    slug = await make_tenant(client, user)
    await workflow(client, slug, user.headers, DIAMOND)
    status = await client.get("/v1/admin/scheduler", headers=admin)
    frozen = await client.put(
        "/v1/admin/scheduler", json={"mode": "freeze"}, headers={**admin, "If-Match": status.headers["etag"]}
    )
    assert frozen.status_code == 200
    try:
        await engines()
        url = await start_run(client, slug, user.headers, "diamond", {"who": "f"})
        await asyncio.sleep(0.8)
        assert (await client.get(url, headers=user.headers)).json()["state"] == "pending"
    finally:
        thawed = await client.put(
            "/v1/admin/scheduler", json={"mode": "normal"}, headers={**admin, "If-Match": frozen.headers["etag"]}
        )
        assert thawed.status_code == 200
    run = await wait_for_state(client, url, user.headers, {"succeeded"}, timeout=5)
    assert run["state"] == "succeeded"
