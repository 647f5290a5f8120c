"""The operators' view of the scheduler: its admission mode, queue depth and live workers."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, put
from litestar.datastructures import ResponseHeader
from litestar.params import JSONBody

from fluxforge.conventions import etag, required_version
from fluxforge.runs.models import SchedulerStatus, SchedulerUpdate
from fluxforge.scheduler import service
from fluxforge.web.access import audit_context, require_admin
from fluxforge.web.contract import ADMIN_SECURITY
from fluxforge.web.params import IfMatchRequired
from fluxforge.web.problems import problem_responses
from fluxforge.web.services import Services

ETAG_HEADER = [ResponseHeader(name="ETag", description="The admission setting's version.", documentation_only=True)]


def status_response(status: SchedulerStatus) -> Response[SchedulerStatus]:
    return Response(status, headers={"ETag": etag(status.version)})


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
    async def get_status(self, services: Services) -> Response[SchedulerStatus]:
        status = await service.scheduler_status(services.db, services.redis, services.settings.redis_key_prefix)
        return status_response(status)

    @put(
        operation_id="SetSchedulerAdmission",
        summary="Set the admission mode: normal, drain (refuse new runs) or freeze (start nothing); needs If-Match",
        responses=problem_responses(400, 401, 412, 413, 428),
        response_headers=ETAG_HEADER,
    )
    async def set_mode(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        data: JSONBody[SchedulerUpdate],
        if_match: IfMatchRequired = None,
    ) -> Response[SchedulerStatus]:
        """normal: runs are accepted and started. drain: new runs are refused (503); queued and
        running ones finish. freeze: runs are accepted and queued, but no run and no step starts
        until the mode changes; steps already under way finish."""
        expected = required_version(if_match)
        status = await service.set_admission(
            services.db, services.redis, services.settings.redis_key_prefix, audit_context(request), data, expected
        )
        return status_response(status)
