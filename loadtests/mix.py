"""The tenant mix under load: locust (headless, time-bounded) against the whole service.

Run from the repository root:

    uv run python loadtests/mix.py [--duration 60] [--users 24] [--tenants 4] [--web-workers 2]
                                   [--scheduler-workers 2] [--port 8768] [--json PATH]

Against a throw-away database and Redis key prefix (see baseline.py), it starts the service as
production runs it: `fluxforge serve` (gunicorn, `--web-workers` uvicorn workers) and
`--scheduler-workers` `fluxforge worker` processes. It seeds `--tenants` tenants, each owned by a
user signed in through the real session code (one refresh-token session per simulated client), a
workflow per tenant, a plan and last month's usage, and closes last month through the admin API
so every tenant has an invoice to download. Then locust runs loadtests/locustfile.py for
`--duration` seconds and the per-request figures are written as JSON.

Rate limits are raised (as in authz.py) so that the figures show capacity, not the limiter.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from baseline import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    REPO_ROOT,
    RESULTS_DIR,
    fluxforge_env,
    http,
    migrate,
    require_free_port,
    running_server,
    scratch_database,
    scratch_redis_prefix,
    stop_process_group,
    tail,
    wait_until_ready,
)
from fluxforge.config import APP_DB_ROLE, with_user
from fluxforge.db import Database, create_pool
from fluxforge.identity.sessions import Sessions
from fluxforge.identity.tokens import TokenService

WORKFLOW = """
apiVersion: fluxforge.dev/v1
kind: Workflow
metadata: {name: mix}
spec:
  inputs:
    - {name: who, required: true}
  steps:
    - {id: hello, uses: echo, with: {greeting: "hello ${{ inputs.who }}"}}
    - {id: bye, uses: echo, needs: [hello], with: {said: "${{ steps.hello.outputs.greeting }}"}}
"""
PRICES = [{"meter_key": "mix.calls", "model": "per_unit", "unit_price": "0.05", "included_quantity": "10"}]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--users", type=int, default=24, help="simulated clients")
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--scheduler-workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--json", type=Path, help="also write the figures to this file (for loadtests/bench.py)")
    return parser.parse_args()


# --- set-up ------------------------------------------------------------------------------------


async def insert_users(owner_url: str, count: int) -> list[uuid.UUID]:
    conn = await asyncpg.connect(owner_url)
    try:
        users = [uuid.uuid4() for _ in range(count)]
        await conn.executemany(
            "INSERT INTO users (id, email) VALUES ($1, $2)", [(u, f"mix-{u.hex[:8]}@x.test") for u in users]
        )
        return users
    finally:
        await conn.close()


async def start_sessions(app_url: str, issuer: str, owners: list[uuid.UUID], per_owner: int) -> list[list[Any]]:
    """`per_owner` sessions (token pairs of their own family) per user, as sign-in makes them."""
    pool = await create_pool(app_url, min_size=1, max_size=2)
    try:
        db = Database(pool)
        tokens = TokenService(db, issuer, 3600, timedelta(days=30))
        await tokens.start()
        sessions = Sessions(db, tokens, timedelta(days=1))
        return [[await sessions.start(user) for _ in range(per_owner)] for user in owners]
    finally:
        await pool.close()


async def seed_billing(owner_url: str, tenant_ids: list[uuid.UUID], start: datetime, end: datetime) -> None:
    """A plan, a subscription per tenant and last month's usage, straight into the tables (as close_period.py)."""
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute(
            "INSERT INTO platform_meters (id, key, event_type, aggregation, unit) VALUES ($1, 'mix.calls', 'mix.call',"
            " 'count', 'calls')",
            uuid.uuid4(),
        )
        plan = uuid.uuid4()
        await conn.execute(
            "INSERT INTO billing_plans (id, key, name, currency, last_version) VALUES ($1, 'mix', 'Mix', 'USD', 1)",
            plan,
        )
        await conn.execute(
            "INSERT INTO billing_plan_versions (plan_id, version, fixed_fee, minimum_commitment, prices,"
            " effective_from, created_by) VALUES ($1, 1, 4900, 0, $2::jsonb, $3, 'bench')",
            plan,
            msgspec.json.encode(PRICES).decode(),
            start - timedelta(days=365),
        )
        await conn.executemany(
            "INSERT INTO billing_subscriptions (tenant_id, currency) VALUES ($1, 'USD')", [(t,) for t in tenant_ids]
        )
        await conn.executemany(
            "INSERT INTO billing_subscription_changes (tenant_id, id, effective_at, plan_id, created_by)"
            " VALUES ($1, $2, $3, $4, 'bench')",
            [(t, uuid.uuid4(), start - timedelta(days=365), plan) for t in tenant_ids],
        )
        span = (end - start).total_seconds()
        await conn.copy_records_to_table(
            "usage_events",
            records=[
                (t, start + timedelta(seconds=span * n / 500), f"seed-{n}", "mix.call", "seed", "{}")
                for t in tenant_ids
                for n in range(500)
            ],
            columns=["tenant_id", "occurred_at", "event_id", "type", "subject", "properties"],
        )
    finally:
        await conn.close()


def last_month(now: datetime) -> tuple[datetime, datetime]:
    end = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (end - timedelta(days=1)).replace(day=1), end


def must(status: int, body: bytes, what: str, expected: tuple[int, ...] = (200, 201)) -> Any:
    if status not in expected:
        raise RuntimeError(f"{what} returned {status}: {body.decode(errors='replace')[:500]}")
    return json.loads(body) if body else None


def seed(base_url: str, owner_url: str, app_url: str, admin_token: str, args: argparse.Namespace) -> dict[str, Any]:
    owners = asyncio.run(insert_users(owner_url, args.tenants))
    per_owner = -(-args.users // args.tenants)
    pairs = asyncio.run(start_sessions(app_url, base_url, owners, per_owner))
    tenants: list[tuple[str, uuid.UUID, list[Any]]] = []
    for n, owner_pairs in enumerate(pairs):
        slug = f"mix-{n:03d}"
        token = owner_pairs[0].access_token
        created = must(*http("POST", base_url + "/v1/tenants", {"slug": slug, "display_name": slug}, token), slug)
        status, body = _post_yaml(base_url + f"/v1/tenants/{slug}/namespaces/default/workflows", WORKFLOW, token)
        must(status, body, "creating the workflow")
        meter = {"key": "app.tokens", "event_type": "app.call", "aggregation": "sum", "value_property": "tokens"}
        must(*http("POST", base_url + f"/v1/tenants/{slug}/meters", meter, token), "creating the meter")
        tenants.append((slug, uuid.UUID(created["id"]), owner_pairs))
    start, end = last_month(datetime.now(UTC))
    asyncio.run(seed_billing(owner_url, [t for _, t, _ in tenants], start, end))
    closed = must(
        *http(
            "POST",
            base_url + "/v1/admin/billing/periods/close",
            {"start": start.isoformat(), "end": end.isoformat()},
            admin_token,
        ),
        "closing last month",
    )
    invoice_of = {i["tenant_id"]: i["id"] for i in closed["invoices"]}
    sessions = [  # tenants interleaved: the clients locust starts first belong to different tenants
        {
            "tenant": slug,
            "workflow": "mix",
            "invoice_id": invoice_of[str(tenant_id)],
            "access_token": owner_pairs[i].access_token,
            "refresh_token": owner_pairs[i].refresh_token,
        }
        for i in range(per_owner)
        for slug, tenant_id, owner_pairs in tenants
    ]
    return {"sessions": sessions}


def _post_yaml(url: str, text: str, token: str) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=text.encode(), method="POST")  # noqa: S310 - loopback http only
    request.add_header("Content-Type", "application/yaml")
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback http only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- the load ----------------------------------------------------------------------------------


def run_locust(base_url: str, config_path: Path, csv_prefix: Path, args: argparse.Namespace) -> None:
    argv = [
        sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")),
        "--headless", "-u", str(args.users), "-r", str(args.users), "-t", f"{args.duration}s",
        "--host", base_url, "--csv", str(csv_prefix), "--only-summary", "--stop-timeout", "5",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**os.environ, "MIX_CONFIG": str(config_path)}
    done = subprocess.run(argv, env=env, cwd=REPO_ROOT, check=False, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # locust exits 1 when some requests failed: counted, not fatal
        raise RuntimeError(f"locust exited with {done.returncode}:\n{done.stderr[-3000:]}")


def read_stats(csv_prefix: Path, args: argparse.Namespace) -> dict[str, Any]:
    """locust's `<prefix>_stats.csv`: one row per request name, and the Aggregated row."""

    def entry(row: dict[str, str]) -> dict[str, Any]:
        return {
            "name": row["Name"],
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]),
            "p50_ms": float(row["50%"]) if row["50%"] not in ("", "N/A") else None,
            "p99_ms": float(row["99%"]) if row["99%"] not in ("", "N/A") else None,
        }

    with (csv_prefix.parent / f"{csv_prefix.name}_stats.csv").open() as stats:
        rows = list(csv.DictReader(stats))
    requests = [entry(r) for r in rows if r["Name"] != "Aggregated"]
    (total,) = [entry(r) for r in rows if r["Name"] == "Aggregated"]
    failures_file = csv_prefix.parent / f"{csv_prefix.name}_failures.csv"
    failures = list(csv.DictReader(failures_file.open())) if failures_file.exists() else []
    return {
        "generator": "locust",
        "users": args.users,
        "duration_s": args.duration,
        "tenants": args.tenants,
        "web_workers": args.web_workers,
        "scheduler_workers": args.scheduler_workers,
        "total": total,
        "requests": sorted(requests, key=lambda r: r["name"]),
        "failure_kinds": [{k: f[k] for k in ("Method", "Name", "Error", "Occurrences")} for f in failures][:20],
    }


def start_workers(env: dict[str, str], count: int, log_dir: Path) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "fluxforge.runtime.cli", "worker"],
            env=env,
            cwd=REPO_ROOT,
            stdout=(log_dir / f"worker-{n}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for n in range(count)
    ]


def main() -> int:
    args = parse_args()
    require_free_port(args.port)
    server_url = os.environ.get("FLUXFORGE_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("FLUXFORGE_REDIS_URL") or DEFAULT_REDIS_URL
    admin_token = "ffbench_" + secrets.token_urlsafe(24)
    base_url = f"http://127.0.0.1:{args.port}"
    with (
        tempfile.TemporaryDirectory(prefix="ffbench-") as data_dir,
        scratch_database(server_url) as owner_url,
        scratch_redis_prefix(redis_url) as prefix,
    ):
        app_url = with_user(owner_url, APP_DB_ROLE)
        limits = {
            f"FLUXFORGE_RATE_LIMIT_{scope}_{kind}": "1000000"
            for scope in ("TENANT", "API_KEY")
            for kind in ("PER_SECOND", "BURST")
        }
        env = fluxforge_env(
            owner_url,
            redis_url,
            prefix,
            data_dir,
            FLUXFORGE_HOST="127.0.0.1",
            FLUXFORGE_PORT=str(args.port),
            FLUXFORGE_PUBLIC_URL=base_url,
            FLUXFORGE_WEB_WORKERS=str(args.web_workers),
            FLUXFORGE_ADMIN_TOKEN=admin_token,
            **limits,
        )
        migrate(env)
        log_dir = Path(data_dir)
        log_path = log_dir / "server.log"
        with running_server(env, log_path) as proc:
            workers = start_workers(env, args.scheduler_workers, log_dir)
            try:
                wait_until_ready(base_url, proc, log_path)
                config = seed(base_url, owner_url, app_url, admin_token, args)
                config_path = log_dir / "mix.json"
                config_path.write_text(json.dumps(config))
                print(f"mix: {args.users} clients over {args.tenants} tenants for {args.duration}s ...", flush=True)
                started = time.monotonic()
                run_locust(base_url, config_path, log_dir / "locust", args)
                figures = read_stats(log_dir / "locust", args)
                figures["wall_seconds"] = round(time.monotonic() - started, 1)
                figures["runs_finished"] = asyncio.run(_count_finished(owner_url))
                if proc.poll() is not None:
                    raise RuntimeError(f"server died during the run:\n{tail(log_path)}")
                dead = [w.pid for w in workers if w.poll() is not None]
                if dead:
                    raise RuntimeError(f"scheduler workers {dead} died:\n{tail(log_dir / 'worker-0.log')}")
            finally:
                for worker in workers:
                    stop_process_group(worker)
    total = figures["total"]
    print(f"\n{'request':<28} {'count':>7} {'fail':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for r in [*figures["requests"], total]:
        print(
            f"{r['name']:<28} {r['requests']:>7} {r['failures']:>5} {r['rps']:>8.1f} {r['p50_ms']!s:>7} "
            f"{r['p99_ms']!s:>7}"
        )
    for kind in figures["failure_kinds"]:
        print(f"failed: {kind['Occurrences']} x {kind['Method']} {kind['Name']}: {kind['Error'][:160]}")
    print(f"runs finished by the scheduler workers meanwhile: {figures['runs_finished']}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    document = json.dumps({"timestamp": stamp, **figures}, indent=2) + "\n"
    path = RESULTS_DIR / f"mix-{stamp}.json"
    path.write_text(document)
    if args.json:
        args.json.write_text(document)
    print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


async def _count_finished(owner_url: str) -> int:
    conn = await asyncpg.connect(owner_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM runs WHERE state = 'succeeded'"))
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
