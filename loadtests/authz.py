"""Authorization figures: the cost of one decision in process, and what RBAC costs over HTTP.

Run from the repository root (wrk if installed, like baseline.py):

    uv run python loadtests/authz.py [--duration 15] [--connections 64] [--workers 2]

1. Decision cost, in process, against real PostgreSQL and Redis: `AccessControl.grants` +
   `Grants.allows` for a subject with bindings, cached (the request path: a dict lookup) and
   uncached (bindings read from PostgreSQL and grants computed), as p50/p99 over many calls.
2. Throughput of an authenticated, RBAC-checked tenant-scoped GET (a user's JWT, and an API
   key) beside the foundation's baseline read (`GET /v1/admin/tenants/{id}`, bootstrap token,
   no RBAC), in the same run on the same server, so the ratio is fair.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

from baseline import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    REPO_ROOT,
    Scenario,
    benchmark,
    create_tenant,
    fluxforge_env,
    generator_name,
    http,
    migrate,
    print_table,
    require_free_port,
    require_wrk,
    running_server,
    scratch_database,
    scratch_redis_prefix,
    tail,
    wait_until_ready,
    write_json,
)
from fluxforge.config import APP_DB_ROLE, load_settings, with_user
from fluxforge.db import Database, create_pool
from fluxforge.identity.tokens import TokenService
from fluxforge.ratelimit import RateLimiter
from fluxforge.rbac.cache import AuthzCache
from fluxforge.rbac.models import Principal
from fluxforge.web.access_control import AccessControl

CACHED_CALLS = 200_000
UNCACHED_CALLS = 2_000


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    """p50 and p99 in microseconds."""
    ordered = sorted(samples_ns)
    return ordered[len(ordered) // 2] / 1000, ordered[int(len(ordered) * 0.99)] / 1000


async def make_user(owner_url: str, app_url: str, issuer: str) -> tuple[uuid.UUID, str]:
    """A user as sign-in makes one, with an access token minted from the server's own keys."""
    user_id = uuid.uuid4()
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("INSERT INTO users (id, email) VALUES ($1, $2)", user_id, f"bench-{user_id.hex[:8]}@x.test")
    finally:
        await conn.close()
    pool = await create_pool(app_url, min_size=1, max_size=2)
    try:
        tokens = TokenService(Database(pool), issuer, 3600, timedelta(days=30))
        await tokens.start()
        token, _ = await tokens.issue(user_id)
    finally:
        await pool.close()
    return user_id, token


async def decision_costs(
    app_url: str, redis_url: str, prefix: str, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> dict[str, float]:
    pool = await create_pool(app_url, min_size=1, max_size=4)
    redis = Redis.from_url(redis_url)
    cache = AuthzCache(redis, prefix)
    db = Database(pool)
    tokens = TokenService(db, "unused", 60, timedelta(days=1))
    control = AccessControl(db, tokens, cache, RateLimiter(redis, prefix), load_settings({}))
    principal = Principal(kind="user", id=user_id)
    namespace_id = uuid.uuid4()
    try:
        uncached = []
        for _ in range(UNCACHED_CALLS):  # cache not subscribed: every decision reads PostgreSQL
            started = time.perf_counter_ns()
            grants = await control.grants(tenant_id, principal)
            grants.allows("namespace:read", namespace_id)
            uncached.append(time.perf_counter_ns() - started)
        listener = asyncio.create_task(cache.run())
        await asyncio.wait_for(cache.subscribed.wait(), 5)
        await control.grants(tenant_id, principal)  # warm
        cached = []
        for _ in range(CACHED_CALLS):
            started = time.perf_counter_ns()
            grants = await control.grants(tenant_id, principal)
            grants.allows("namespace:read", namespace_id)
            cached.append(time.perf_counter_ns() - started)
        listener.cancel()
    finally:
        await redis.aclose()
        await pool.close()
    c50, c99 = percentiles(cached)
    u50, u99 = percentiles(uncached)
    return {"cached_p50_us": c50, "cached_p99_us": c99, "uncached_p50_us": u50, "uncached_p99_us": u99}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--json", type=Path, help="also write the figures to this file (for loadtests/bench.py)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    wrk = require_wrk()
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
        env = fluxforge_env(
            owner_url,
            redis_url,
            prefix,
            data_dir,
            FLUXFORGE_HOST="127.0.0.1",
            FLUXFORGE_PORT=str(args.port),
            FLUXFORGE_WEB_WORKERS=str(args.workers),
            FLUXFORGE_ADMIN_TOKEN=admin_token,
            FLUXFORGE_RATE_LIMIT_TENANT_PER_SECOND="1000000",
            FLUXFORGE_RATE_LIMIT_TENANT_BURST="1000000",
            FLUXFORGE_RATE_LIMIT_API_KEY_PER_SECOND="1000000",
            FLUXFORGE_RATE_LIMIT_API_KEY_BURST="1000000",
        )
        migrate(env)
        log_path = Path(data_dir) / "server.log"
        with running_server(env, log_path) as proc:
            wait_until_ready(base_url, proc, log_path)
            admin_tenant = create_tenant(base_url, admin_token)
            user_id, user_token = asyncio.run(make_user(owner_url, app_url, base_url))
            status, body = http(
                "POST", base_url + "/v1/tenants", {"slug": "bench-rbac", "display_name": "B"}, user_token
            )
            if status != 201:
                raise RuntimeError(f"creating the tenant returned {status}: {body!r}")
            tenant_id = uuid.UUID(json.loads(body)["id"])
            status, body = http(
                "POST", base_url + "/v1/tenants/bench-rbac/api-keys", {"name": "bench", "role": "viewer"}, user_token
            )
            if status != 201:
                raise RuntimeError(f"creating the API key returned {status}: {body!r}")
            api_key = json.loads(body)["secret"]
            costs = asyncio.run(decision_costs(app_url, redis_url, prefix, tenant_id, user_id))
            checked = "/v1/tenants/bench-rbac/namespaces/default"
            scenarios = [
                Scenario(
                    "baseline admin GET", f"/v1/admin/tenants/{admin_tenant}", (f"Authorization: Bearer {admin_token}",)
                ),
                Scenario("RBAC GET (user JWT)", checked, (f"Authorization: Bearer {user_token}",)),
                Scenario("RBAC GET (API key)", checked, (f"Authorization: Bearer {api_key}",)),
            ]
            results = benchmark(wrk, base_url, scenarios, args)
            if proc.poll() is not None:
                raise RuntimeError(f"server died during the run:\n{tail(log_path)}")
    print("\nauthorization decision, in process (microseconds):")
    print(f"  cached:   p50 {costs['cached_p50_us']:.2f}  p99 {costs['cached_p99_us']:.2f}")
    print(f"  uncached: p50 {costs['uncached_p50_us']:.2f}  p99 {costs['uncached_p99_us']:.2f}")
    print_table(results)
    baseline = results[0].requests_per_second
    for result in results[1:]:
        print(f"{result.scenario}: {result.requests_per_second / baseline:.0%} of the baseline")
    path = write_json(results, args, generator=generator_name(wrk), name="authz", extra={"decision": costs})
    print(f"\nwrote {path.relative_to(REPO_ROOT)}")
    print(json.dumps(costs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
