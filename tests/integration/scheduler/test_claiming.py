"""Who may work on a run: a newer fencing token refuses the old owner's writes and stops it;
lease keys sit in the run's Redis hash slot."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

from fluxforge.config import Settings
from fluxforge.scheduler.lease import lease_key
from tests.integration.scheduler.support import CountingPeer, EngineFactory, start_run, workflow
from tests.support import Client, SignedInUser, make_tenant


async def test_a_newer_fencing_token_refuses_the_old_owner_and_stops_it(
    client: Client,
    user: SignedInUser,
    engines: EngineFactory,
    owner_conn: asyncpg.Connection,
    peer: CountingPeer,
) -> None:
    slug = await make_tenant(client, user)
    key = uuid.uuid4().hex
    manifest = {
        "metadata": {"name": "fenced"},
        "spec": {
            "steps": [
                {"id": "slow", "uses": "http", "with": {"url": f"{peer.base}/slow/0.5/{key}", "method": "GET"}},
                {"id": "next", "uses": "echo", "needs": ["slow"], "with": {}},
            ]
        },
    }
    await workflow(client, slug, user.headers, manifest)
    engine = await engines()
    url = await start_run(client, slug, user.headers, "fenced")
    run_id = uuid.UUID(url.rsplit("/", 1)[1])
    deadline = time.monotonic() + 10
    while peer.calls.get(key) is None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert run_id in engine.runs
    # Someone else took the run (as a new owner would after the lease expired).
    fence = await owner_conn.fetchval("UPDATE runs SET fence = fence + 1 WHERE id = $1 RETURNING fence", run_id)
    deadline = time.monotonic() + 10
    while run_id in engine.runs:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    events = await owner_conn.fetch("SELECT type, fence FROM run_events WHERE run_id = $1 ORDER BY seq", run_id)
    assert [e["type"] for e in events] == ["run.created", "run.started", "step.started"]
    assert all(e["fence"] < fence for e in events)
    steps = await owner_conn.fetch("SELECT step_id, state FROM run_steps WHERE run_id = $1 ORDER BY position", run_id)
    assert [(s["step_id"], s["state"]) for s in steps] == [("slow", "running"), ("next", "pending")]


async def test_lease_keys_carry_the_run_hash_tag(settings: Settings) -> None:
    run_id = uuid.uuid4()
    key = lease_key(settings.redis_key_prefix, run_id)
    assert key == f"{settings.redis_key_prefix}{{run:{run_id}}}:lease"
