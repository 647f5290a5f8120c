"""Readiness: PostgreSQL and Redis reachable and migrations current.

Checked in the background and served from the last result, so /readyz answers at once even
while a dependency hangs, and a stale result counts as not ready.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import msgspec
from redis.asyncio import Redis

from fluxforge.db import Database
from fluxforge.migrations import migration_versions

log = logging.getLogger("fluxforge.readiness")
CHECK_TIMEOUT_SECONDS = 1.0


class ReadinessReport(msgspec.Struct):
    ready: bool
    checks: dict[str, str]


class Readiness:
    def __init__(self, db: Database, redis: Redis, migrations_dir: str, interval: float) -> None:
        self._db = db
        self._redis = redis
        self._expected = migration_versions(migrations_dir)
        self._interval = interval
        self.report = ReadinessReport(ready=False, checks={"startup": "not checked yet"})
        self._checked_at = 0.0

    def current(self) -> ReadinessReport:
        """The last result; a result older than three intervals means the checker is stuck."""
        age = time.monotonic() - self._checked_at
        if self.report.ready and age > 3 * self._interval + CHECK_TIMEOUT_SECONDS:
            return ReadinessReport(False, {**self.report.checks, "freshness": f"last check {age:.1f}s ago"})
        return self.report

    async def check_once(self) -> ReadinessReport:
        results = await asyncio.gather(self._probe(self._check_postgres), self._probe(self._check_redis))
        checks = {"postgres": results[0], "redis": results[1]}
        self.report = ReadinessReport(all(v == "ok" for v in checks.values()), checks)
        self._checked_at = time.monotonic()
        return self.report

    async def run(self) -> None:
        while True:
            try:
                await self.check_once()
            except Exception:  # keep probing; the report already says what failed
                log.exception("readiness check failed")
            await asyncio.sleep(self._interval)

    async def _probe(self, check: Callable[[], Awaitable[str]]) -> str:
        try:
            return await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
        except TimeoutError:
            return f"timed out after {CHECK_TIMEOUT_SECONDS}s"
        except Exception as exc:
            return f"unreachable: {type(exc).__name__}"

    async def _check_postgres(self) -> str:
        rows = await self._db.fetchval("SELECT array_agg(version) FROM schema_migrations")
        pending = sorted(set(self._expected) - set(rows or []))
        return "ok" if not pending else f"migrations pending: {', '.join(pending)}"

    async def _check_redis(self) -> str:
        await self._redis.ping()
        return "ok"
