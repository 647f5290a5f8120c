"""Per-request time of the real app's hot reads, called in process: for A/B runs of a change.

Run from the repository root of each checkout to compare (the same command in both):

    uv run python loadtests/inprocess.py [--rounds 12] [--calls 1000]

The app from `create_app` is driven by direct ASGI calls in this process (its lifespan too):
no HTTP server, no client, no load generator sharing the two cores. Each figure is the best
average of `--rounds` rounds of `--calls` sequential requests, against real PostgreSQL and
Redis on a throw-away database, so it includes the round trips a request makes. On a noisy
machine wrk's throughput moved by ±20% between runs of the same code; the best round of
sequential calls moved by about ±10%, which is what makes a small difference visible.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from typing import Any, cast

from litestar import Litestar

from authz import make_user
from baseline import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    fluxforge_env,
    migrate,
    scratch_database,
    scratch_redis_prefix,
)
from fluxforge.app import create_app
from fluxforge.config import APP_DB_ROLE, load_settings, with_user


async def call(app: Litestar, method: str, path: str, token: str, body: object = None) -> tuple[int, Any]:
    """One request through the app's ASGI interface: its status and JSON body."""
    answer: dict[str, Any] = {"status": 0, "body": b""}
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {token}".encode()),
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
        ],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
    }
    payload = json.dumps(body).encode() if body is not None else b""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(cast(Any, scope), cast(Any, receive), cast(Any, send))
    return answer["status"], json.loads(answer["body"] or b"null")


async def best_microseconds(app: Litestar, path: str, token: str, rounds: int, calls: int) -> float:
    for _ in range(max(calls // 4, 50)):  # warm caches (grants, tokens, prepared statements)
        status, body = await call(app, "GET", path, token)
        assert status == 200, (path, status, body)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            await call(app, "GET", path, token)
        best = min(best, (time.perf_counter() - started) / calls * 1e6)
    return best


async def measure(app: Litestar, owner_url: str, base_url: str, admin_token: str, args: argparse.Namespace) -> None:
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    lifespan_scope: Any = {"type": "lifespan", "asgi": {"version": "3.0"}}
    lifespan = asyncio.create_task(app(lifespan_scope, cast(Any, inbox.get), cast(Any, outbox.put)))
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    try:
        _, user_token = await make_user(owner_url, with_user(owner_url, APP_DB_ROLE), base_url)
        status, body = await call(app, "POST", "/v1/tenants", user_token, {"slug": "bench-rbac", "display_name": "B"})
        assert status == 201, body
        status, body = await call(
            app, "POST", "/v1/admin/tenants", admin_token, {"slug": "bench-admin", "display_name": "A"}
        )
        assert status == 201, body
        admin_read = f"/v1/admin/tenants/{body['id']}"
        checked_read = "/v1/tenants/bench-rbac/namespaces/default"
        for _ in range(args.repeat):
            admin = await best_microseconds(app, admin_read, admin_token, args.rounds, args.calls)
            checked = await best_microseconds(app, checked_read, user_token, args.rounds, args.calls)
            print(f"admin by-id read {admin:,.0f} us/request   RBAC-checked read (JWT) {checked:,.0f} us/request")
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await lifespan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    admin_token = "ffbench_" + os.urandom(16).hex()
    server_url = os.environ.get("FLUXFORGE_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("FLUXFORGE_REDIS_URL") or DEFAULT_REDIS_URL
    with (
        tempfile.TemporaryDirectory(prefix="ffbench-") as data_dir,
        scratch_database(server_url) as owner_url,
        scratch_redis_prefix(redis_url) as prefix,
    ):
        env = fluxforge_env(
            owner_url,
            redis_url,
            prefix,
            data_dir,
            FLUXFORGE_ADMIN_TOKEN=admin_token,
            FLUXFORGE_RATE_LIMIT_TENANT_PER_SECOND="1000000",
            FLUXFORGE_RATE_LIMIT_TENANT_BURST="1000000",
        )
        migrate(env)
        settings = load_settings(env)
        app: Litestar = create_app(settings)
        asyncio.run(measure(app, owner_url, settings.base_url, admin_token, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
