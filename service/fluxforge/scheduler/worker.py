"""The scheduler worker process: executes runs, and keeps the platform tidy.

Runs are executed by the scheduler engine (scheduler.engine): claims, leases, steps, fenced
writes. Beside it the worker's loop announces the worker in Redis with a heartbeat, keeps
time partitions created ahead, purges expired idempotency keys and rotates the keys that sign
access tokens when they are due. On SIGTERM it starts nothing new, lets the attempts under
way finish and be recorded (within FLUXFORGE_GRACEFUL_TIMEOUT), and releases its runs' leases
so that other workers continue them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from datetime import timedelta

from redis.asyncio import Redis

from fluxforge.config import Settings
from fluxforge.db import Database, create_pool
from fluxforge.idempotency import purge_expired
from fluxforge.identity.tokens import rotate_if_due
from fluxforge.metering import repository as metering
from fluxforge.metering.selfmeter import SelfMeter
from fluxforge.scheduler.engine import Engine

log = logging.getLogger("fluxforge.worker")
HEARTBEAT_TTL_SECONDS = 15
MAINTENANCE_EVERY_SECONDS = 3600.0
PARTITIONED_TABLES = ("audit_events", "usage_events", "run_events")
PARTITION_MONTHS_AHEAD = 3


class Worker:
    def __init__(self, settings: Settings, db: Database, redis: Redis) -> None:
        self.settings = settings
        self.db = db
        self.redis = redis
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = asyncio.Event()
        self._last_maintenance = float("-inf")
        self.engine = Engine(settings, db, redis, self.worker_id)

    @property
    def heartbeat_key(self) -> str:
        return f"{self.settings.redis_key_prefix}worker:{self.worker_id}"

    async def heartbeat(self) -> None:
        await self.redis.set(self.heartbeat_key, str(time.time()), ex=HEARTBEAT_TTL_SECONDS)

    async def maintain(self) -> None:
        async with self.db.platform() as conn:
            for table in PARTITIONED_TABLES:
                await conn.fetchval("SELECT ensure_monthly_partitions($1::regclass, $2)", table, PARTITION_MONTHS_AHEAD)
            purged = await purge_expired(conn, timedelta(hours=self.settings.idempotency_ttl_hours))
            rotated = await rotate_if_due(conn, timedelta(days=self.settings.signing_key_rotation_days))
        async with self.db.platform() as conn:
            watermark = await metering.advance_id_watermark(conn)
        log.info(
            "maintenance done",
            extra={
                "idempotency_keys_purged": purged,
                "signing_key_rotated": rotated,
                "usage_id_watermark": watermark.isoformat(),
            },
        )

    async def tick(self) -> None:
        await self.heartbeat()
        if time.monotonic() - self._last_maintenance >= MAINTENANCE_EVERY_SECONDS:
            await self.maintain()
            self._last_maintenance = time.monotonic()

    async def run(self) -> None:
        self.engine.start()
        log.info("worker started", extra={"worker_id": self.worker_id})
        try:
            while not self.stopping.is_set():
                try:
                    await self.tick()
                except Exception:
                    log.exception("worker tick failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), self.settings.worker_poll_interval)
        finally:
            await self.engine.stop(self.settings.graceful_timeout)
        with contextlib.suppress(Exception):
            await self.redis.delete(self.heartbeat_key)
        log.info("worker stopped", extra={"worker_id": self.worker_id})


async def run_worker(settings: Settings) -> None:
    assert settings.redis_url is not None
    pool = await create_pool(settings.resolved_app_database_url(), min_size=2, max_size=8)
    redis: Redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    db = Database(pool)
    worker = Worker(settings, db, redis)
    meter = SelfMeter(db) if settings.self_metering else None  # runs' and steps' usage
    if meter is not None:
        meter.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stopping.set)
    try:
        await worker.run()
    finally:
        if meter is not None:
            await meter.stop()
        await redis.aclose()
        await pool.close()
