"""The scheduler engine against real PostgreSQL and Redis, in this process: runs execute to the
end, retries and timeouts follow their policies, fencing refuses stale writers, fairness holds
against a backlog, cancellation and freezing work, breakers are shared, and every run's trace
replays. Real worker processes under faults are in tests/e2e/test_scheduler_faults.py."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from fluxforge.config import Settings
from fluxforge.db import Database, create_pool
from fluxforge.runs.events import follow
from fluxforge.scheduler.breaker_store import breaker_key
from fluxforge.scheduler.engine import Engine
from fluxforge.scheduler.lease import lease_key
from tests.conftest import SignedInUser, make_tenant
from tests.integration.test_runs_api import runs_url

# --- a loopback HTTP peer that counts calls and fails on request -------------------------------


class CountingPeer:
    """A tiny HTTP/1.1 server on 127.0.0.1. `/ok/<key>` answers 200 with the call count;
    `/fail/<n>/<key>` answers 500 to the first n calls of that key, then 200; `/status/<code>/<key>`
    always answers that code; `/slow/<seconds>/<key>` answers after a while. Every call is counted
    per key."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length) if length else b""
                path = request_line.split()[1].decode()
                status, payload = await self._answer(path, body)
                data = json.dumps(payload).encode()
                head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
                writer.write(head.encode() + data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _answer(self, path: str, body: bytes) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        key = parts[-1]
        self.calls[key] = self.calls.get(key, 0) + 1
        count = self.calls[key]
        received = json.loads(body) if body else None
        if parts[0] == "fail" and count <= int(parts[1]):
            return 500, {"count": count}
        if parts[0] == "status":
            return int(parts[1]), {"count": count}
        if parts[0] == "slow":
            await asyncio.sleep(float(parts[1]))
        return 200, {"count": count, "key": key, "received": received}


@pytest.fixture
async def peer() -> AsyncIterator[CountingPeer]:
    server = CountingPeer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


# --- engines in this process --------------------------------------------------------------------

EngineFactory = Callable[..., Awaitable[Engine]]
_engine_numbers = itertools.count(1)


@pytest.fixture
async def engines(settings: Settings) -> AsyncIterator[EngineFactory]:
    started: list[tuple[Engine, Redis, Database]] = []

    async def make(**overrides: Any) -> Engine:
        tuned = msgspec.structs.replace(
            settings,
            scheduler_lease_ms=overrides.pop("scheduler_lease_ms", 2000),
            scheduler_sweep_interval=overrides.pop("scheduler_sweep_interval", 0.2),
            scheduler_breaker_reset_ms=overrides.pop("scheduler_breaker_reset_ms", 60_000),
            **overrides,
        )
        pool = await create_pool(settings.resolved_app_database_url(), min_size=1, max_size=6)
        redis: Redis = Redis.from_url(tuned.redis_url or "", socket_timeout=5)
        engine = Engine(tuned, Database(pool), redis, f"test-engine-{next(_engine_numbers)}")
        engine.start()
        started.append((engine, redis, engine.db))
        return engine

    yield make
    for engine, redis, db in started:
        if not engine.stopping:
            await engine.stop(2)
        await redis.aclose()
        await db.close()


async def wait_for_state(
    client: AsyncTestClient,  # type: ignore[type-arg]
    url: str,
    headers: dict[str, str],
    states: set[str],
    timeout: float = 20,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = (await client.get(url, headers=headers)).json()
        if run["state"] in states:
            return run
        assert time.monotonic() < deadline, run
        await asyncio.sleep(0.05)


async def workflow(
    client: AsyncTestClient,  # type: ignore[type-arg]
    slug: str,
    headers: dict[str, str],
    manifest: dict[str, Any],
) -> None:
    response = await client.post(
        f"/v1/tenants/{slug}/namespaces/default/workflows",
        content=msgspec.json.encode({"apiVersion": "fluxforge.dev/v1", "kind": "Workflow", **manifest}),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 201), response.text


async def start_run(
    client: AsyncTestClient,  # type: ignore[type-arg]
    slug: str,
    headers: dict[str, str],
    name: str,
    inputs: dict[str, Any] | None = None,
) -> str:
    response = await client.post(runs_url(slug), json={"workflow": name, "inputs": inputs or {}}, headers=headers)
    assert response.status_code == 201, response.text
    return f"{runs_url(slug)}/{response.json()['id']}"


DIAMOND = {
    "metadata": {"name": "diamond"},
    "spec": {
        "inputs": [{"name": "who", "required": True}],
        "steps": [
            {"id": "start", "uses": "echo", "with": {"name": "${{ inputs.who }}", "n": 2}},
            {"id": "left", "uses": "echo", "needs": ["start"], "with": {"x": "${{ steps.start.outputs.n }}"}},
            {"id": "right", "uses": "sleep", "needs": ["start"], "with": {"seconds": 0.05}},
            {
                "id": "join",
                "uses": "echo",
                "needs": ["left", "right"],
                "with": {"text": "${{ steps.start.outputs.name }}:${{ steps.left.outputs.x }}"},
            },
        ],
    },
}


async def test_a_dag_runs_to_the_end_and_its_trace_replays(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: SignedInUser,
    engines: EngineFactory,
) -> None:
    slug = await make_tenant(client, user)
    await workflow(client, slug, user.headers, DIAMOND)
    await engines()
    url = await start_run(client, slug, user.headers, "diamond", {"who": "ada"})
    run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"})
    assert run["state"] == "succeeded", run
    steps = {s["id"]: s for s in run["steps"]}
    assert steps["join"]["outputs"] == {"text": "ada:2"}
    assert steps["left"]["input"] == {"x": 2}  # a whole-value reference keeps its type
    assert steps["right"]["outputs"] == {"slept_seconds": 0.05}
    assert all(s["attempts"] == 1 and s["state"] == "succeeded" for s in run["steps"])
    trace = (await client.get(f"{url}/trace", headers=user.headers)).json()
    assert trace["attempts"][0]["step"] == "start"
    assert {a["step"] for a in trace["attempts"]} == {"start", "left", "right", "join"}
    assert trace["plan"] == ["start", "left", "right", "join"]
    assert all(len(a["input_digest"]) == 64 and len(a["output_digest"]) == 64 for a in trace["attempts"])
    replay = (await client.post(f"{url}/replay", headers=user.headers)).json()
    assert replay["verified"] is True, replay
    assert replay["complete"] is True
    assert replay["order"] == ["start", "left", "right", "join"]
    assert replay["result_digest"] == run["result_digest"] == trace["result_digest"]
    types = [line[7:] for line in (await client.get(f"{url}/events", headers=user.headers)).text.splitlines()
             if line.startswith("event: ")]  # fmt: skip
    assert types[:3] == ["run.created", "run.started", "step.started"]
    assert types[-1] == "run.succeeded"
    assert types.count("step.succeeded") == 4


async def test_retries_follow_the_policy_and_the_trace_records_every_attempt(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: SignedInUser,
    engines: EngineFactory,
    peer: CountingPeer,
) -> None:
    slug = await make_tenant(client, user)
    key = uuid.uuid4().hex
    manifest = {
        "metadata": {"name": "flaky"},
        "spec": {
            "steps": [
                {
                    "id": "call",
                    "uses": "http",
                    "with": {"url": f"{peer.base}/fail/2/{key}", "method": "POST", "body": {"a": 1}},
                    "retry": {"max_attempts": 3, "initial_delay_seconds": 0.05, "backoff": "exponential"},
                },
                {
                    "id": "after",
                    "uses": "echo",
                    "needs": ["call"],
                    "with": {"n": "${{ steps.call.outputs.body.count }}"},
                },
            ]
        },
    }
    await workflow(client, slug, user.headers, manifest)
    await engines()
    url = await start_run(client, slug, user.headers, "flaky")
    run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"})
    assert run["state"] == "succeeded", run
    assert peer.calls[key] == 3
    call = run["steps"][0]
    assert call["attempts"] == 3
    assert call["outputs"]["body"]["received"] == {"a": 1}
    assert run["steps"][1]["outputs"] == {"n": 3}
    trace = (await client.get(f"{url}/trace", headers=user.headers)).json()
    attempts = [(a["step"], a["attempt"], a["outcome"]) for a in trace["attempts"]]
    assert attempts == [
        ("call", 1, "failed"),
        ("call", 2, "failed"),
        ("call", 3, "succeeded"),
        ("after", 1, "succeeded"),
    ]
    assert trace["attempts"][0]["error"]["kind"] == "http_5xx"
    assert 25 <= trace["attempts"][0]["retry_delay_ms"] <= 50  # 50 ms, shortened by up to 20 % jitter
    assert 50 <= trace["attempts"][1]["retry_delay_ms"] <= 100
    replay = (await client.post(f"{url}/replay", headers=user.headers)).json()
    assert replay["verified"] is True, replay


async def test_failures_fail_their_step_with_a_reason_skip_downstream_and_keep_the_worker(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: SignedInUser,
    engines: EngineFactory,
    peer: CountingPeer,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "broken"},
        "spec": {
            "inputs": [{"name": "seconds", "type": "any"}],
            "steps": [
                {"id": "bad-input", "uses": "sleep", "with": {"seconds": "${{ inputs.seconds }}"}},
                {"id": "slow", "uses": "sleep", "with": {"seconds": 5}, "timeout_seconds": 0.2},
                {"id": "refused", "uses": "http", "with": {"url": f"{peer.base}/status/404/x", "method": "GET"}},
                {"id": "fine", "uses": "echo", "with": {"ok": True}},
                {"id": "downstream", "uses": "echo", "needs": ["slow", "fine"], "with": {}},
            ],
        },
    }
    await workflow(client, slug, user.headers, manifest)
    engine = await engines()
    url = await start_run(client, slug, user.headers, "broken", {"seconds": "soon"})
    run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"})
    assert run["state"] == "failed"
    steps = {s["id"]: s for s in run["steps"]}
    assert steps["bad-input"]["error"]["kind"] == "invalid_input"
    assert "seconds" in steps["bad-input"]["error"]["message"]
    assert steps["slow"]["error"]["kind"] == "timeout"
    assert steps["refused"]["error"]["kind"] == "http_4xx"
    assert steps["fine"]["state"] == "succeeded"
    assert steps["downstream"]["state"] == "skipped"
    assert run["error"].startswith("step 'bad-input' failed")
    replay = (await client.post(f"{url}/replay", headers=user.headers)).json()
    assert replay["verified"] is True, replay
    # The worker is still working.
    await workflow(client, slug, user.headers, DIAMOND)
    again = await start_run(client, slug, user.headers, "diamond", {"who": "x"})
    assert (await wait_for_state(client, again, user.headers, {"succeeded"}))["state"] == "succeeded"
    assert not engine.stopping


async def test_a_newer_fencing_token_refuses_the_old_owner_and_stops_it(
    client: AsyncTestClient,  # type: ignore[type-arg]
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


async def test_one_tenants_backlog_does_not_delay_anothers_run_by_more_than_a_round(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: SignedInUser,
    owner_conn: asyncpg.Connection,
    engines: EngineFactory,
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
    client: AsyncTestClient,  # type: ignore[type-arg]
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
        peak = max(peak, counts["active"])
        if counts["done"] == len(urls):
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    assert peak == 2


async def test_cancel_stops_a_running_run_at_once(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: SignedInUser,
    engines: EngineFactory,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "long"},
        "spec": {
            "steps": [
                {"id": "wait", "uses": "sleep", "with": {"seconds": 30}},
                {"id": "never", "uses": "echo", "needs": ["wait"], "with": {}},
            ]
        },
    }
    await workflow(client, slug, user.headers, manifest)
    await engines()
    url = await start_run(client, slug, user.headers, "long")
    await wait_for_state(client, url, user.headers, {"running"})
    started = time.monotonic()
    response = await client.post(f"{url}/cancel", headers=user.headers)
    assert response.status_code in (200, 202), response.text
    run = await wait_for_state(client, url, user.headers, {"cancelled", "succeeded", "failed"}, timeout=5)
    assert run["state"] == "cancelled"
    assert time.monotonic() - started < 2
    assert [s["state"] for s in run["steps"]] == ["cancelled", "cancelled"]
    replay = (await client.post(f"{url}/replay", headers=user.headers)).json()
    assert replay["verified"] is True, replay


async def test_freeze_starts_nothing_until_unfrozen(
    client: AsyncTestClient,  # type: ignore[type-arg]
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


async def test_the_breaker_opens_for_a_failing_target_across_runs(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: SignedInUser,
    engines: EngineFactory,
    peer: CountingPeer,
    settings: Settings,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "down"},
        "spec": {
            "steps": [{"id": "call", "uses": "http", "with": {"url": f"{peer.base}/status/503/b", "method": "GET"}}]
        },
    }
    await workflow(client, slug, user.headers, manifest)
    await engines(scheduler_breaker_failures=2)
    kinds = []
    for _ in range(4):
        url = await start_run(client, slug, user.headers, "down")
        run = await wait_for_state(client, url, user.headers, {"failed", "succeeded"})
        kinds.append(run["steps"][0]["error"]["kind"])
    assert kinds == ["http_5xx", "http_5xx", "circuit_open", "circuit_open"]
    assert peer.calls["b"] == 2
    redis: Redis = Redis.from_url(settings.redis_url or "")
    try:
        stored = json.loads(await redis.get(breaker_key(settings.redis_key_prefix, peer.base)))
        assert stored["status"] == "open"
    finally:
        await redis.aclose()


async def test_emit_publishes_to_the_events_stream(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: SignedInUser,
    engines: EngineFactory,
    settings: Settings,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "announce"},
        "spec": {"steps": [{"id": "tell", "uses": "emit", "with": {"type": "deploy.done", "data": {"v": 3}}}]},
    }
    await workflow(client, slug, user.headers, manifest)
    await engines()
    url = await start_run(client, slug, user.headers, "announce")
    run = await wait_for_state(client, url, user.headers, {"succeeded", "failed"})
    assert run["state"] == "succeeded", run
    event_id = run["steps"][0]["outputs"]["event_id"]
    redis: Redis = Redis.from_url(settings.redis_url or "")
    try:
        entries = await redis.xrange(f"{settings.redis_key_prefix}events", event_id, event_id)
    finally:
        await redis.aclose()
    fields = {k.decode(): v.decode() for k, v in entries[0][1].items()}
    assert fields["type"] == "deploy.done"
    assert json.loads(fields["data"]) == {"v": 3}
    assert fields["run"] == url.rsplit("/", 1)[1]


async def test_replay_names_the_first_divergence_and_traces_diff(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: SignedInUser,
    engines: EngineFactory,
    owner_conn: asyncpg.Connection,
) -> None:
    slug = await make_tenant(client, user)
    await workflow(client, slug, user.headers, DIAMOND)
    await engines()
    first = await start_run(client, slug, user.headers, "diamond", {"who": "ada"})
    second = await start_run(client, slug, user.headers, "diamond", {"who": "bob"})
    for url in (first, second):
        await wait_for_state(client, url, user.headers, {"succeeded"})
    diff = (
        await client.get(f"{first}/trace/diff", params={"other": second.rsplit("/", 1)[1]}, headers=user.headers)
    ).json()
    assert diff["identical"] is False
    fields = {(d["step"], d["field"]) for d in diff["differences"]}
    assert (None, "inputs_digest") in fields
    assert ("start", "output_digest") in fields
    assert ("right", "output_digest") not in fields  # sleep's output does not depend on the input
    same = (
        await client.get(f"{first}/trace/diff", params={"other": first.rsplit("/", 1)[1]}, headers=user.headers)
    ).json()
    assert same["identical"] is True
    # Tamper with the record: the output of `start` as recorded no longer matches its digest.
    run_id = uuid.UUID(first.rsplit("/", 1)[1])
    await owner_conn.execute(
        """UPDATE run_events SET data = jsonb_set(data, '{output,n}', '3')
           WHERE run_id = $1 AND type = 'step.succeeded' AND step_id = 'start'""",
        run_id,
    )
    replay = (await client.post(f"{first}/replay", headers=user.headers)).json()
    assert replay["verified"] is False
    assert replay["divergence"]["step"] == "start"
    assert replay["divergence"]["field"] == "output_digest"
    # A consistent but different history: `left` recorded another output, so `join`'s input diverges.
    await owner_conn.execute(
        """UPDATE run_events SET data = jsonb_set(data, '{output,n}', '2')
           WHERE run_id = $1 AND type = 'step.succeeded' AND step_id = 'start'""",
        run_id,
    )
    await owner_conn.execute(
        """UPDATE run_events SET data = jsonb_set(jsonb_set(data, '{output,x}', '7'), '{output_digest}',
                                                  to_jsonb($2::text))
           WHERE run_id = $1 AND type = 'step.succeeded' AND step_id = 'left'""",
        run_id,
        __import__("fluxforge.runs.logic", fromlist=["digest"]).digest({"x": 7}),
    )
    replay = (await client.post(f"{first}/replay", headers=user.headers)).json()
    assert replay["verified"] is False
    divergence = replay["divergence"]
    assert (divergence["step"], divergence["field"]) == ("join", "input")
    assert divergence["expected"] == {"text": "ada:7"}
    assert divergence["got"] == {"text": "ada:2"}
    other = await client.get(f"{first}/trace/diff", params={"other": str(uuid.uuid4())}, headers=user.headers)
    assert other.status_code == 404


async def test_following_a_run_live_sees_every_event_in_order(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: SignedInUser,
    engines: EngineFactory,
    owner_conn: asyncpg.Connection,
    app_db: Database,
    settings: Settings,
) -> None:
    slug = await make_tenant(client, user)
    manifest = {
        "metadata": {"name": "steps"},
        "spec": {
            "steps": [
                {"id": "one", "uses": "sleep", "with": {"seconds": 0.2}},
                {"id": "two", "uses": "sleep", "needs": ["one"], "with": {"seconds": 0.2}},
            ]
        },
    }
    await workflow(client, slug, user.headers, manifest)
    url = await start_run(client, slug, user.headers, "steps")
    run_id = uuid.UUID(url.rsplit("/", 1)[1])
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    namespace_id = await owner_conn.fetchval("SELECT namespace_id FROM runs WHERE id = $1", run_id)
    # The follower runs in this event loop beside the engine (the HTTP route streams the same
    # generator; the test client would block this loop until the stream ends).
    follower = follow(app_db, settings.redis_url or "", settings.redis_key_prefix, tenant_id, namespace_id, run_id, 0)
    first = await anext(follower)
    assert (first.id, first.event) == (1, "run.created")
    await engines()
    seen: list[tuple[int, str]] = [(1, "run.created")]
    arrived: list[float] = []
    async for message in follower:
        if message.id is not None:
            seen.append((int(message.id), str(message.event)))
            arrived.append(time.monotonic())
    assert [seq for seq, _ in seen] == list(range(1, len(seen) + 1))
    assert [t for _, t in seen] == [
        "run.created",
        "run.started",
        "step.started",
        "step.succeeded",
        "step.started",
        "step.succeeded",
        "run.succeeded",
    ]
    # Live: the second step's start reached the follower while the run was still going (the
    # first step sleeps 0.2 s, so events arrive spread out rather than all at the end).
    assert arrived[-1] - arrived[1] >= 0.3


async def test_lease_keys_carry_the_run_hash_tag(settings: Settings) -> None:
    run_id = uuid.uuid4()
    key = lease_key(settings.redis_key_prefix, run_id)
    assert key == f"{settings.redis_key_prefix}{{run:{run_id}}}:lease"
