"""Liveness, readiness and metrics, including a dependency that is down."""

from __future__ import annotations

import asyncio
import socket
import time

import asyncpg
import msgspec
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from fluxforge.app import create_app
from fluxforge.config import Settings
from fluxforge.db import Database
from fluxforge.migrations import migrate, pending_migrations
from fluxforge.ops.readiness import Readiness
from tests.conftest import create_database, drop_database
from tests.support import Client


async def test_health_and_readiness(client: Client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"postgres": "ok", "redis": "ok"}}


async def test_metrics_count_requests_by_route_and_status(client: Client, admin: dict[str, str]) -> None:
    await client.get("/v1/admin/tenants/metrics-probe", headers=admin)
    body = (await client.get("/metrics")).text
    assert (
        'fluxforge_requests_total{app_name="fluxforge",method="GET",path="/v1/admin/tenants/{tenant}",status_code="404"}'
        in body
    )
    assert "fluxforge_request_duration_seconds_bucket" in body


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_dead_redis_makes_readyz_503_without_blocking(settings: Settings) -> None:
    dead = msgspec.structs.replace(settings, redis_url=f"redis://127.0.0.1:{unused_port()}/0")
    async with AsyncTestClient(create_app(dead), timeout=10) as client:
        started = time.monotonic()
        response = await client.get("/readyz")
        assert time.monotonic() - started < 0.5
        assert response.status_code == 503
        assert response.json()["checks"]["postgres"] == "ok"
        assert response.json()["checks"]["redis"].startswith("unreachable")
        assert (await client.get("/healthz")).status_code == 200


async def test_hanging_dependency_times_out_and_report_stays_served(settings: Settings) -> None:
    """A server that accepts and never answers: checks time out, /readyz still answers at once."""
    hanging = await asyncio.start_server(lambda r, w: asyncio.sleep(3600), "127.0.0.1", 0)
    port = hanging.sockets[0].getsockname()[1]
    try:
        stuck = msgspec.structs.replace(settings, redis_url=f"redis://127.0.0.1:{port}/0")
        async with AsyncTestClient(create_app(stuck), timeout=10) as client:
            started = time.monotonic()
            response = await client.get("/readyz")
            assert time.monotonic() - started < 0.5
            assert response.status_code == 503
            assert response.json()["checks"]["redis"].startswith("timed out")
    finally:
        hanging.close()


async def test_pending_migrations_make_the_service_unready(server_url: str, settings: Settings) -> None:
    url = await create_database(server_url, "fluxforge_unmigrated")
    try:
        conn = await asyncpg.connect(url)
        try:
            assert await pending_migrations(conn, settings.migrations_dir) != []
        finally:
            await conn.close()
        await migrate(url, settings.migrations_dir)
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        assert pool is not None
        redis = Redis.from_url(settings.redis_url or "")
        try:
            await pool.execute("DELETE FROM schema_migrations")
            readiness = Readiness(Database(pool), redis, settings.migrations_dir, 1.0)
            report = await readiness.check_once()
            assert not report.ready
            assert report.checks["postgres"].startswith("migrations pending: ")
        finally:
            await redis.aclose()
            await pool.close()
    finally:
        await drop_database(server_url, url)


async def test_concurrent_migrations_are_safe(server_url: str, settings: Settings) -> None:
    url = await create_database(server_url, "fluxforge_concurrent")
    try:
        await asyncio.gather(*(migrate(url, settings.migrations_dir) for _ in range(4)))
        conn = await asyncpg.connect(url)
        try:
            assert await pending_migrations(conn, settings.migrations_dir) == []
            assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == len(
                list(__import__("pathlib").Path(settings.migrations_dir).glob("*.sql"))
            )
        finally:
            await conn.close()
    finally:
        await drop_database(server_url, url)
