"""The operators' view of the scheduler: its admission mode, queue depth and live workers."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, put
from litestar.datastructures import ResponseHeader, State
from litestar.params import JSONBody
from redis.exceptions import RedisError

from fluxforge.audit import repository as audit
from fluxforge.conventions import check_version, etag, required_version
from fluxforge.runs import repository
from fluxforge.runs.models import SchedulerStatus, SchedulerUpdate
from fluxforge.web.access import audit_context, require_admin
from fluxforge.web.contract import ADMIN_SECURITY
from fluxforge.web.params import IfMatchRequired
from fluxforge.web.problems import problem_responses

PLATFORM_AUDIT_TENANT = uuid.UUID(int=0)
"""Audit rows of platform-wide changes carry the nil tenant id."""
ETAG_HEADER = [ResponseHeader(name="ETag", description="The admission setting's version.", documentation_only=True)]


async def _workers(state: State) -> list[str]:
    """Workers whose heartbeat is fresh (each keeps `<prefix>worker:<host>:<pid>` alive)."""
    prefix = state.settings.redis_key_prefix + "worker:"
    found: list[str] = []
    try:
        async for key in state.redis.scan_iter(match=prefix + "*", count=500):
            found.append(key.decode()[len(prefix) :])
    except RedisError:
        return []
    return found


class SchedulerAdminController(Controller):
    path = "/v1/admin/scheduler"
    tags = ["AdminScheduler"]
    guards = [require_admin]
    security = ADMIN_SECURITY

    @get(
        operation_id="GetScheduler",
        summary="The scheduler's admission mode, queued and active runs, and live workers",
        responses=problem_responses(401),
        response_headers=ETAG_HEADER,
    )
    async def get_status(self, state: State) -> Response[SchedulerStatus]:
        workers = await _workers(state)
        async with state.db.platform() as conn:
            status = await repository.scheduler_status(conn, workers)
        return Response(status, headers={"ETag": etag(status.version)})

    @put(
        operation_id="SetSchedulerAdmission",
        summary="Set the admission mode: normal, drain (refuse new runs) or freeze (start nothing); needs If-Match",
        responses=problem_responses(400, 401, 412, 413, 428),
        response_headers=ETAG_HEADER,
    )
    async def set_mode(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[SchedulerUpdate],
        if_match: IfMatchRequired = None,
    ) -> Response[SchedulerStatus]:
        """normal: runs are accepted and started. drain: new runs are refused (503); queued and
        running ones finish. freeze: runs are accepted and queued, but no run and no step starts
        until the mode changes; steps already under way finish."""
        expected = required_version(if_match)
        workers = await _workers(state)
        async with state.db.platform() as conn:
            current = await repository.admission(conn, for_update=True)
            check_version(expected, current["version"])
            if (current["mode"], current["reason"]) != (data.mode, data.reason):
                saved = await repository.set_admission(conn, data.mode, data.reason, request.state.principal)
                await audit.record_change(
                    conn,
                    audit_context(request),
                    PLATFORM_AUDIT_TENANT,
                    "scheduler.update",
                    "admission",
                    {"mode": current["mode"], "reason": current["reason"]},
                    {"mode": saved["mode"], "reason": saved["reason"]},
                )
            status = await repository.scheduler_status(conn, workers)
        return Response(status, headers={"ETag": etag(status.version)})
