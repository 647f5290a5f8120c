"""FluxForge meters itself through the same ingest path as tenants' usage.

Every authorized tenant-scoped API request becomes an `api.request` event for its tenant, and
other code (the scheduler's runs and steps, later) calls `record_usage`. No request waits for
a database write: events go into a per-process buffer that a background task flushes through
`repository.ingest` every second, or sooner once 1,000 are waiting, and once more on shutdown.

Each event's id is fixed when it is recorded (`ff:<process>:<sequence>`), so a flush that
fails after its commit and is retried reports duplicates instead of counting twice. What a
hard kill of the process takes with it is at most the last second of its own events.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from fluxforge.db import Database
from fluxforge.metering import repository
from fluxforge.metering.models import UsageColumns
from fluxforge.metering.periods import ingest_bounds
from fluxforge.rbac.models import TenantAccess

log = logging.getLogger("fluxforge.metering")

API_REQUEST = "api.request"
FLUSH_EVERY_SECONDS = 1.0
FLUSH_AT_EVENTS = 1_000
FLUSH_BATCH = 10_000
MAX_BUFFERED = 200_000
"""Beyond this (the database unreachable for minutes), the oldest events are dropped and logged:
the API keeps serving rather than growing without bound."""
FUTURE_TOLERANCE_SECONDS = 300

Pending = tuple[uuid.UUID, str, datetime, str, str, str]

_started: list[SelfMeter] = []
"""Started buffers, newest last: the newest is the one record_usage writes to (tests run several apps)."""


def self_event_id(process: uuid.UUID, sequence: int) -> str:
    """Ids of FluxForge's own events: fixed when recorded, so a retried flush is a duplicate."""
    return f"ff:{process.hex}:{sequence}"


class SelfMeter:
    """The process's buffer of FluxForge's own usage events and the task that flushes it."""

    def __init__(
        self,
        db: Database,
        *,
        flush_every: float = FLUSH_EVERY_SECONDS,
        flush_at: int = FLUSH_AT_EVENTS,
        max_buffered: int = MAX_BUFFERED,
    ) -> None:
        self.db = db
        self.flush_every = flush_every
        self.flush_at = flush_at
        self.max_buffered = max_buffered
        self.process = uuid.uuid4()
        self._sequence = itertools.count()
        self._pending: list[Pending] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._flushing = asyncio.Lock()
        self.dropped = 0

    def record(
        self,
        tenant_id: uuid.UUID,
        event_type: str,
        *,
        subject: str,
        properties: dict[str, Any] | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Buffer one event; it is stored by the next flush."""
        self._pending.append(
            (
                tenant_id,
                self_event_id(self.process, next(self._sequence)),
                timestamp or datetime.now(UTC),
                event_type,
                subject,
                msgspec.json.encode(properties or {}).decode(),
            )
        )
        if len(self._pending) >= self.flush_at:
            self._wakeup.set()
        if len(self._pending) > self.max_buffered:
            excess = len(self._pending) - self.max_buffered
            del self._pending[:excess]
            self.dropped += excess
            log.error("self-metering buffer full; oldest events dropped", extra={"dropped": excess})

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> int:
        """Store everything buffered so far; returns how many events were newly stored.

        On failure the events go back to the front of the buffer, ids unchanged, for the next
        flush to retry.
        """
        async with self._flushing:
            taken, self._pending = self._pending, []
            stored = 0
            try:
                while taken:
                    chunk = taken[:FLUSH_BATCH]
                    stored += await self._store(chunk)
                    del taken[:FLUSH_BATCH]
            except BaseException:
                self._pending[:0] = taken
                raise
            return stored

    async def _store(self, chunk: list[Pending]) -> int:
        """One transaction for the chunk: one ingest statement per tenant in it."""
        by_tenant: dict[uuid.UUID, list[Pending]] = {}
        for pending in chunk:
            by_tenant.setdefault(pending[0], []).append(pending)
        earliest, latest = ingest_bounds(datetime.now(UTC), FUTURE_TOLERANCE_SECONDS)
        refused: list[str] = []
        async with self.db.platform() as conn:
            for tenant_id in sorted(by_tenant):  # the same order everywhere: no deadlocks between flushes
                events = by_tenant[tenant_id]
                rows = UsageColumns(
                    event_ids=[e[1] for e in events],
                    occurred_at=[e[2] for e in events],
                    types=[e[3] for e in events],
                    subjects=[e[4] for e in events],
                    properties=[e[5] for e in events],
                )
                found = await repository.ingest(
                    conn, tenant_id, rows, earliest=earliest, latest=latest, reserve_platform_types=False
                )
                refused.extend(code for _, code in found)
        rejected = [code for code in refused if code != "duplicate"]
        if rejected:  # e.g. buffered across the close of a period: nothing a retry could fix
            log.warning("self-metering events refused", extra={"count": len(rejected), "codes": sorted(set(rejected))})
        return len(chunk) - len(refused)

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.flush_every)
            self._wakeup.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("self-metering flush failed; retrying", extra={"pending": len(self._pending)})

    def start(self) -> None:
        """Flush in the background, and make this the buffer `record_usage` writes to."""
        self._task = asyncio.create_task(self.run(), name="self-metering")
        _started.append(self)

    async def stop(self) -> None:
        """Stop the background task and flush what is left (shutdown)."""
        if self in _started:
            _started.remove(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.flush()
        except Exception:
            log.exception("self-metering: final flush failed", extra={"lost": len(self._pending)})


def current_meter() -> SelfMeter | None:
    """This process's started buffer, if any (tests flush it instead of waiting a second)."""
    return _started[-1] if _started else None


def record_usage(
    tenant_id: uuid.UUID,
    event_type: str,
    *,
    subject: str,
    properties: dict[str, Any] | None = None,
    timestamp: datetime | None = None,
) -> bool:
    """Record one of FluxForge's own billable events for a tenant, without waiting for a write.

    Returns False when this process does not meter itself (FLUXFORGE_SELF_METERING=false, or
    no buffer started). A process other than the API (a scheduler worker) starts its own
    `SelfMeter(db).start()` and stops it on shutdown.
    """
    meter = current_meter()
    if meter is None:
        return False
    meter.record(tenant_id, event_type, subject=subject, properties=properties, timestamp=timestamp)
    return True


def self_metering_middleware(app: ASGIApp) -> ASGIApp:
    """Count every authorized tenant-scoped request as an `api.request` of its tenant.

    A request is tenant-scoped and authorized exactly when the access guard let it through
    (it then leaves its TenantAccess in the scope's state): refused callers, who may not be
    the tenant at all, cost the tenant nothing, as with rate limits.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_with_status)
        finally:
            access: TenantAccess | None = scope.get("state", {}).get("access")
            if access is not None:
                record_usage(
                    access.tenant_id,
                    API_REQUEST,
                    subject=access.principal.actor,
                    properties={
                        "method": scope["method"],
                        "route": scope.get("path_template", scope["path"]),
                        "status": status,
                    },
                )

    return middleware
