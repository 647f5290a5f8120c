"""Units of work on the scheduler's admission switch, for platform operators.

The switch and the queue counts are stored with the runs (`runs.repository`): runs read it to
refuse new runs while draining, workers to start nothing while frozen. Changing it writes the
audit row in the same platform transaction.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from fluxforge.audit import repository as audit
from fluxforge.audit.models import PLATFORM_AUDIT_TENANT, AuditContext
from fluxforge.conventions import check_version
from fluxforge.db import Database
from fluxforge.runs import repository as runs
from fluxforge.runs.models import SchedulerStatus, SchedulerUpdate


async def _live_workers(redis: Redis, key_prefix: str) -> list[str]:
    """Workers whose heartbeat is fresh (each keeps `<prefix>worker:<host>:<pid>` alive); none
    when Redis does not answer."""
    prefix = key_prefix + "worker:"
    found: list[str] = []
    try:
        async for key in redis.scan_iter(match=prefix + "*", count=500):
            found.append(key.decode()[len(prefix) :])
    except RedisError:
        return []
    return found


async def scheduler_status(db: Database, redis: Redis, key_prefix: str) -> SchedulerStatus:
    """The admission mode, the queued and active runs, and the live workers."""
    workers = await _live_workers(redis, key_prefix)
    async with db.platform() as conn:
        return await runs.scheduler_status(conn, workers)


async def set_admission(
    db: Database,
    redis: Redis,
    key_prefix: str,
    context: AuditContext,
    data: SchedulerUpdate,
    expected_version: int,
) -> SchedulerStatus:
    """The new mode and reason under If-Match; the same ones again change (and audit) nothing."""
    workers = await _live_workers(redis, key_prefix)
    async with db.platform() as conn:
        current = await runs.admission(conn, for_update=True)
        check_version(expected_version, current["version"])
        if (current["mode"], current["reason"]) != (data.mode, data.reason):
            saved = await runs.set_admission(conn, data.mode, data.reason, context.actor)
            await audit.record_change(
                conn,
                context,
                PLATFORM_AUDIT_TENANT,
                "scheduler.update",
                "admission",
                {"mode": current["mode"], "reason": current["reason"]},
                {"mode": saved["mode"], "reason": saved["reason"]},
            )
        return await runs.scheduler_status(conn, workers)
