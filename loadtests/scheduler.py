"""The scheduler's figures: step throughput with 1 and 2 workers, submit-to-first-step latency,
and the lease takeover time after kill -9.

Run from the repository root (PostgreSQL and Redis as for baseline.py):

    uv run python loadtests/scheduler.py [--runs 3000] [--steps 5] [--tenants 20] [--workers 1 2]
                                         [--latency-runs 300] [--lease-ms 10000]

Against a throw-away database (`fluxforge_bench_<hex>`, migrated with `fluxforge migrate`, dropped
afterwards) and a Redis key prefix of its own, with real `fluxforge worker` processes:

1. Throughput. With the scheduler frozen, `--runs` runs of a chain of `--steps` no-op (`echo`)
   steps are queued for `--tenants` tenants (inserted with the API's own SQL shape, all at once),
   the workers are started, and the scheduler is unfrozen. Steps/s = steps executed / (last run
   finished - first run started), from PostgreSQL's own timestamps. Once per `--workers` count.
2. Latency on an idle system (one worker): `--latency-runs` single-step runs submitted one after
   another through `runs.repository.insert_run` (the API's transaction, NOTIFY included); the
   figure is the first step's `step.started` time minus the run's creation time (both
   PostgreSQL's clock), p50 and p99.
3. Takeover: two workers, a long run; its owner is killed with SIGKILL and the time until the
   other worker records `run.resumed` is compared with the lease TTL.

Every run is written to `results/scheduler-<UTC timestamp>.json` (git-ignored). Compare with the
job queues measured on this kind of machine: SAQ ~1,100 no-op jobs/s with one worker, ~1,500 with two, enqueue-to-start
p50 2.3 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from redis.asyncio import Redis

from baseline import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    REPO_ROOT,
    fluxforge_env,
    migrate,
    scratch_database,
    scratch_redis_prefix,
)
from fluxforge.config import APP_DB_ROLE, with_user
from fluxforge.db import Database, create_pool
from fluxforge.runs import logic, progress
from fluxforge.runs import repository as runs
from fluxforge.workflows import graph, manifest
from fluxforge.workflows.models import WorkflowManifest

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--latency-runs", type=int, default=300)
    parser.add_argument("--lease-ms", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=128, help="runs per worker")
    parser.add_argument("--json", type=Path, help="also write the figures to this file (for loadtests/bench.py)")
    return parser.parse_args()


def chain(steps: int, name: str = "bench") -> WorkflowManifest:
    return msgspec.convert(
        {
            "apiVersion": "fluxforge.dev/v1",
            "kind": "Workflow",
            "metadata": {"name": name},
            "spec": {
                "steps": [
                    {
                        "id": f"s{i}",
                        "uses": "echo",
                        "needs": [f"s{i - 1}"] if i else [],
                        "with": {"i": i, **({"prev": f"${{{{ steps.s{i - 1}.outputs.i }}}}"} if i else {})},
                    }
                    for i in range(steps)
                ]
            },
        },
        WorkflowManifest,
    )


async def seed_tenants(owner: asyncpg.Connection, count: int, steps: int) -> list[dict[str, Any]]:
    tenants = []
    found = chain(steps)
    latency = chain(1, "ping")
    for n in range(count):
        tenant_id, namespace_id = uuid.uuid4(), uuid.uuid4()
        await owner.execute(
            "INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, 'Bench')", tenant_id, f"bench-{n:04d}"
        )
        await owner.execute(
            "INSERT INTO namespaces (tenant_id, id, name) VALUES ($1, $2, 'default')", tenant_id, namespace_id
        )
        workflows = {}
        for wf in (found, latency):
            workflow_id = uuid.uuid4()
            async with owner.transaction():
                await owner.execute(
                    "INSERT INTO workflows (tenant_id, id, namespace_id, name) VALUES ($1, $2, $3, $4)",
                    tenant_id,
                    workflow_id,
                    namespace_id,
                    wf.metadata.name,
                )
                await owner.execute(
                    """INSERT INTO workflow_versions (tenant_id, workflow_id, version, digest, manifest, steps)
                       VALUES ($1, $2, 1, $3, $4::jsonb, $5)""",
                    tenant_id,
                    workflow_id,
                    manifest.digest(wf),
                    msgspec.json.encode(wf).decode(),
                    len(wf.spec.steps),
                )
            workflows[wf.metadata.name] = workflow_id
        tenants.append({"id": tenant_id, "namespace": namespace_id, "workflows": workflows})
    return tenants


async def queue_runs(owner: asyncpg.Connection, tenants: list[dict[str, Any]], runs_count: int, steps: int) -> None:
    """Runs with their steps and first event, as the API stores them, in one statement."""
    picks = [tenants[i % len(tenants)] for i in range(runs_count)]
    await owner.execute(
        """
        WITH r AS (
            INSERT INTO runs (tenant_id, id, namespace_id, workflow_id, workflow_version, workflow_name, queue_at,
                              event_seq)
            SELECT t, gen_random_uuid(), n, w, 1, 'bench', now(), 1
            FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x(t, n, w)
            RETURNING tenant_id, id
        ), s AS (
            INSERT INTO run_steps (tenant_id, run_id, step_id, position, uses, needs)
            SELECT r.tenant_id, r.id, 's' || g, g, 'echo', CASE WHEN g = 0 THEN '{}' ELSE ARRAY['s' || (g - 1)] END
            FROM r, generate_series(0, $4 - 1) g
        )
        INSERT INTO run_events (tenant_id, run_id, seq, type) SELECT tenant_id, id, 1, 'run.created' FROM r
        """,
        [t["id"] for t in picks],
        [t["namespace"] for t in picks],
        [t["workflows"]["bench"] for t in picks],
        steps,
    )


async def set_mode(owner: asyncpg.Connection, mode: str) -> None:
    await owner.execute("UPDATE scheduler_admission SET mode = $1, version = version + 1", mode)
    await owner.execute("SELECT pg_notify('fluxforge_scheduler', 'admission')")


def start_workers(env: dict[str, str], count: int, log_dir: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for n in range(count):
        log = (log_dir / f"worker-{n}.log").open("ab")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "fluxforge.runtime.cli", "worker"],
                env=env,
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def wait_for_workers(redis_url: str, prefix: str, count: int) -> None:
    redis = Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + 60
        while len([k async for k in redis.scan_iter(match=f"{prefix}worker:*")]) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not start; see their logs")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # their listeners connect right after the first heartbeat
    finally:
        await redis.aclose()


async def throughput(
    owner: asyncpg.Connection, env: dict[str, str], args: argparse.Namespace, tenants: list[dict[str, Any]],
    workers: int, prefix: str, log_dir: Path,
) -> dict[str, Any]:  # fmt: skip
    await set_mode(owner, "freeze")
    await owner.execute("DELETE FROM run_steps; DELETE FROM runs; DELETE FROM run_events")
    await queue_runs(owner, tenants, args.runs, args.steps)
    procs = start_workers(env, workers, log_dir)
    try:
        await wait_for_workers(env["FLUXFORGE_REDIS_URL"], prefix, workers)
        await set_mode(owner, "normal")
        started = time.monotonic()
        while True:
            left = await owner.fetchval("SELECT count(*) FROM runs WHERE state NOT IN ('succeeded', 'failed')")
            if left == 0:
                break
            if time.monotonic() - started > 600:
                raise RuntimeError(f"{left} runs not finished after 600 s")
            await asyncio.sleep(0.2)
    finally:
        stop_workers(procs)
    row = await owner.fetchrow(
        """SELECT count(*) FILTER (WHERE state = 'failed') AS failed,
                  extract(epoch FROM max(finished_at) - min(started_at)) AS seconds FROM runs"""
    )
    assert row is not None  # an aggregate without GROUP BY always answers one row
    attempts = await owner.fetchval("SELECT sum(attempts) FROM run_steps")
    seconds = float(row["seconds"])
    result = {
        "workers": workers,
        "runs": args.runs,
        "steps": int(attempts),
        "failed_runs": row["failed"],
        "seconds": round(seconds, 3),
        "steps_per_second": round(attempts / seconds),
        "runs_per_second": round(args.runs / seconds),
    }
    print(f"{workers} worker(s): {result['steps_per_second']:>6} steps/s  {result['runs_per_second']:>5} runs/s  "
          f"({attempts} steps in {seconds:.2f} s, failed runs {row['failed']})")  # fmt: skip
    return result


async def latency(
    owner: asyncpg.Connection, app_url: str, env: dict[str, str], args: argparse.Namespace,
    tenants: list[dict[str, Any]], prefix: str, log_dir: Path,
) -> dict[str, Any]:  # fmt: skip
    await set_mode(owner, "normal")
    procs = start_workers(env, 1, log_dir)
    pool = await create_pool(app_url, min_size=1, max_size=2)
    db = Database(pool)
    spec = chain(1, "ping").spec
    plan = graph.plan(spec)
    delays: list[float] = []
    try:
        await wait_for_workers(env["FLUXFORGE_REDIS_URL"], prefix, 1)
        for n in range(args.latency_runs):
            tenant = tenants[n % len(tenants)]
            run_id = uuid.uuid4()
            async with db.tenant(tenant["id"]) as conn:
                await runs.insert_run(
                    conn,
                    tenant_id=tenant["id"],
                    run_id=run_id,
                    namespace_id=tenant["namespace"],
                    workflow_id=tenant["workflows"]["ping"],
                    workflow_version=1,
                    workflow_name="ping",
                    inputs={},
                    priority=0,
                    queue_at=logic.queue_at(datetime.now(UTC), 0, 60),
                    created_by="bench",
                    steps=progress.initial_views(spec),
                    needs=plan.needs,
                    created_event={},
                )
            while True:
                delay = await owner.fetchval(
                    """SELECT extract(epoch FROM e.occurred_at - r.created_at) FROM runs r
                       JOIN run_events e ON e.tenant_id = r.tenant_id AND e.run_id = r.id AND e.type = 'step.started'
                       WHERE r.id = $1""",
                    run_id,
                )
                if delay is not None:
                    delays.append(float(delay) * 1000)
                    break
                await asyncio.sleep(0.002)
    finally:
        await pool.close()
        stop_workers(procs)
    delays.sort()
    p50 = statistics.median(delays)
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"submit to first step, idle, 1 worker: p50 {p50:.2f} ms  p99 {p99:.2f} ms  ({len(delays)} runs)")
    return {"runs": len(delays), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "max_ms": round(delays[-1], 2)}


async def takeover(
    owner: asyncpg.Connection, env: dict[str, str], args: argparse.Namespace, tenants: list[dict[str, Any]],
    prefix: str, log_dir: Path,
) -> dict[str, Any]:  # fmt: skip
    await owner.execute("DELETE FROM run_steps; DELETE FROM runs; DELETE FROM run_events")
    long = chain(1, "long")
    tenant = tenants[0]
    workflow_id = uuid.uuid4()
    body = msgspec.convert(
        {
            "apiVersion": "fluxforge.dev/v1",
            "kind": "Workflow",
            "metadata": {"name": "long"},
            "spec": {
                "steps": [
                    {"id": f"s{i}", "uses": "sleep", "needs": [f"s{i - 1}"] if i else [], "with": {"seconds": 0.5}}
                    for i in range(200)
                ]
            },
        },
        WorkflowManifest,
    )
    del long
    async with owner.transaction():
        await owner.execute(
            "INSERT INTO workflows (tenant_id, id, namespace_id, name) VALUES ($1, $2, $3, 'long')",
            tenant["id"],
            workflow_id,
            tenant["namespace"],
        )
        await owner.execute(
            """INSERT INTO workflow_versions (tenant_id, workflow_id, version, digest, manifest, steps)
               VALUES ($1, $2, 1, $3, $4::jsonb, 200)""",
            tenant["id"],
            workflow_id,
            manifest.digest(body),
            msgspec.json.encode(body).decode(),
        )
    procs = start_workers(env, 2, log_dir)
    try:
        await wait_for_workers(env["FLUXFORGE_REDIS_URL"], prefix, 2)
        run_id = await owner.fetchval(
            """
            WITH r AS (INSERT INTO runs (tenant_id, id, namespace_id, workflow_id, workflow_version, workflow_name,
                                         queue_at, event_seq)
                       VALUES ($1, gen_random_uuid(), $2, $3, 1, 'long', now(), 1) RETURNING tenant_id, id),
            s AS (INSERT INTO run_steps (tenant_id, run_id, step_id, position, uses, needs)
                  SELECT r.tenant_id, r.id, 's' || g, g, 'sleep',
                         CASE WHEN g = 0 THEN '{}' ELSE ARRAY['s' || (g - 1)] END
                  FROM r, generate_series(0, 199) g),
            e AS (INSERT INTO run_events (tenant_id, run_id, seq, type) SELECT tenant_id, id, 1, 'run.created' FROM r)
            SELECT id FROM r
            """,
            tenant["id"],
            tenant["namespace"],
            workflow_id,
        )
        await owner.execute("SELECT pg_notify('fluxforge_scheduler', 'run')")
        while (
            await owner.fetchval("SELECT count(*) FROM run_steps WHERE run_id = $1 AND state = 'succeeded'", run_id) < 2
        ):
            await asyncio.sleep(0.05)
        owner_id = await owner.fetchval("SELECT owner FROM runs WHERE id = $1", run_id)
        pid = int(owner_id.rsplit(":", 1)[1])
        victim = next(p for p in procs if p.pid == pid)
        os.killpg(victim.pid, signal.SIGKILL)
        killed = time.monotonic()
        while not await owner.fetchval("SELECT 1 FROM run_events WHERE run_id = $1 AND type = 'run.resumed'", run_id):
            await asyncio.sleep(0.01)
        seconds = time.monotonic() - killed
    finally:
        stop_workers(procs)
    ttl = args.lease_ms / 1000
    print(f"takeover after kill -9: {seconds:.2f} s with a {ttl:.1f} s lease (aim: within TTL + 1 s)")
    return {"lease_seconds": ttl, "takeover_seconds": round(seconds, 3), "within_ttl_plus_1s": seconds <= ttl + 1}


async def main_async(args: argparse.Namespace, database_url: str, redis_url: str, prefix: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ffbench-") as data_dir:
        env = fluxforge_env(
            database_url,
            redis_url,
            prefix,
            data_dir,
            FLUXFORGE_SCHEDULER_LEASE_MS=str(args.lease_ms),
            FLUXFORGE_SCHEDULER_CONCURRENCY=str(args.concurrency),
            FLUXFORGE_SCHEDULER_TENANT_CONCURRENCY="10000",
            FLUXFORGE_SCHEDULER_NAMESPACE_CONCURRENCY="10000",
        )
        migrate(env)
        owner = await asyncpg.connect(database_url)
        try:
            tenants = await seed_tenants(owner, args.tenants, args.steps)
            log_dir = Path(data_dir)
            results: dict[str, Any] = {"throughput": []}
            for workers in args.workers:
                results["throughput"].append(await throughput(owner, env, args, tenants, workers, prefix, log_dir))
            app_url = env.get("FLUXFORGE_APP_DATABASE_URL") or with_user(database_url, APP_DB_ROLE)
            results["latency"] = await latency(owner, app_url, env, args, tenants, prefix, log_dir)
            results["takeover"] = await takeover(owner, env, args, tenants, prefix, log_dir)
            return results
        finally:
            await owner.close()


def main() -> int:
    args = parse_args()
    database = os.environ.get("FLUXFORGE_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("FLUXFORGE_REDIS_URL", DEFAULT_REDIS_URL)
    with scratch_database(database) as database_url, scratch_redis_prefix(redis_url) as prefix:
        results = asyncio.run(main_async(args, database_url, redis_url, prefix))
    results["parameters"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    results["measured_at"] = datetime.now(UTC).isoformat()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"scheduler-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"written to {path.relative_to(REPO_ROOT)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
