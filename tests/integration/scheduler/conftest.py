"""Fixtures of the scheduler's integration tests: the loopback peer, and engines in this process."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import pytest
from redis.asyncio import Redis

from fluxforge.config import Settings
from fluxforge.db import Database, create_pool
from fluxforge.scheduler.engine import Engine
from tests.integration.scheduler.support import CountingPeer, EngineFactory

_engine_numbers = itertools.count(1)


@pytest.fixture
async def peer() -> AsyncIterator[CountingPeer]:
    server = CountingPeer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


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


@pytest.fixture
async def quiet_queue(engines: EngineFactory, owner_conn: asyncpg.Connection) -> None:
    """No runs but the test's own compete for a round: runs that earlier tests submitted with no
    engine running are still pending, and would take places in the first round a test measures."""
    unfinished = "SELECT count(*) FROM runs WHERE state IN ('pending', 'running', 'cancelling')"
    if await owner_conn.fetchval(unfinished) == 0:
        return
    engine = await engines()
    deadline = time.monotonic() + 20
    while await owner_conn.fetchval(unfinished) > 0:
        assert time.monotonic() < deadline, "runs left by earlier tests did not finish"
        await asyncio.sleep(0.05)
    await engine.stop(2)
