"""Runs of a namespace's workflows: submit, list, read, cancel, follow live, trace, replay, diff.

The API only stores a run and wakes the scheduler; workers (`fluxforge worker`) execute it
(`runs/service.py` says how).
"""

from __future__ import annotations

import re
import uuid
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.response import ServerSentEvent

from fluxforge.conventions import DEFAULT_LIMIT, decode_cursor, etag, optional_version, page_of
from fluxforge.errors import BadRequest
from fluxforge.rbac.models import TenantAccess
from fluxforge.runs import events as run_events
from fluxforge.runs import service
from fluxforge.runs.models import (
    MAX_INPUTS_BYTES,
    ReplayReport,
    Run,
    RunCreate,
    RunEventMessage,
    RunPage,
    RunTrace,
    TraceDiff,
)
from fluxforge.runs.states import RunState
from fluxforge.web.access import access_of, audit_context, require
from fluxforge.web.contract import TENANT_SECURITY
from fluxforge.web.idempotency import answer, once
from fluxforge.web.params import Cursor, IdempotencyKeyHeader, IfMatchOptional, Limit, NamespacePath, TenantPath
from fluxforge.web.problems import AS_PUBLISHED_409, problem_responses
from fluxforge.web.services import Services

RunRef = Annotated[uuid.UUID, PathParameter(description="The run's id.")]
ETAG_HEADER = [
    ResponseHeader(name="ETag", description="The run's version (it grows with every event).", documentation_only=True)
]
# Event ids are PostgreSQL bigints: a larger one would fail in the driver after the stream started.
MAX_SEQ = 2**63 - 1
_SEQ = re.compile(r"[0-9]{1,19}")


def run_response(run: Run, status_code: int = 200, location: str | None = None) -> Response[Run]:
    headers = {"ETag": etag(run.version)}
    if location is not None:
        headers["Location"] = location
    return Response(run, status_code=status_code, headers=headers)


def created_response(tenant: str, run: Run) -> Response[Run]:
    return run_response(run, 201, f"/v1/tenants/{tenant}/namespaces/{run.namespace}/runs/{run.id}")


def _namespace_id(access: TenantAccess) -> uuid.UUID:
    assert access.namespace_id is not None  # the guard resolved the path's namespace
    return access.namespace_id


def _start_after(after: int | None, last_event_id: str | None) -> int:
    """Where a follower starts: after Last-Event-ID when EventSource reconnects, else `after`."""
    if last_event_id is None:
        return after or 0
    if not _SEQ.fullmatch(last_event_id) or int(last_event_id) > MAX_SEQ:
        raise BadRequest("Last-Event-ID must be the id (seq) of an event of this run")
    return int(last_event_id)


class RunController(Controller):
    path = "/v1/tenants/{tenant:str}/namespaces/{namespace:str}/runs"
    tags = ["Runs"]
    security = TENANT_SECURITY

    @post(
        operation_id="CreateRun",
        summary="Submit a run of a workflow (its latest version, or `version`); a worker starts it",
        status_code=201,
        guards=[require("run:create")],
        request_max_body_size=MAX_INPUTS_BYTES + 4096,
        responses=problem_responses(400, 401, 403, 404, 409, 413, 429, 503, kinds=AS_PUBLISHED_409),
        response_headers=[
            *ETAG_HEADER,
            ResponseHeader(name="Location", description="URL of the new run.", documentation_only=True),
        ],
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        data: JSONBody[RunCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Run]:
        access = access_of(request)
        namespace_id = _namespace_id(access)
        respond = partial(created_response, access.tenant.slug)
        key = once(request, idempotency_key, "createRun", [str(namespace_id), data], respond)
        created = await service.submit_run(
            services.db,
            audit_context(request),
            access.tenant_id,
            namespace_id,
            data,
            priority_aging_seconds=services.settings.scheduler_priority_aging_seconds,
            once=key,
        )
        return answer(created, Run, respond)

    @get(
        operation_id="ListRuns",
        summary="List the namespace's runs, newest first, optionally by state or workflow",
        guards=[require("run:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_all(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        run_state: Annotated[
            RunState | None, QueryParameter(name="state", description="Only runs in this state.")
        ] = None,
        workflow: Annotated[
            str | None, QueryParameter(max_length=63, description="Only runs of this workflow.")
        ] = None,
    ) -> RunPage:
        access = access_of(request)
        rows = await service.list_runs(
            services.db,
            access.tenant_id,
            _namespace_id(access),
            state=run_state,
            workflow=workflow,
            before=decode_cursor(cursor),
            limit=limit,
        )
        items, next_cursor = page_of(rows, limit)
        return RunPage(items=items, next_cursor=next_cursor)

    @get(
        "/{run_id:uuid}",
        operation_id="GetRun",
        summary="Get a run with each step's state, attempts, input, outputs and error",
        guards=[require("run:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
        response_headers=ETAG_HEADER,
    )
    async def get_one(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
    ) -> Response[Run]:
        access = access_of(request)
        return run_response(await service.get_run(services.db, access.tenant_id, _namespace_id(access), run_id))

    @post(
        "/{run_id:uuid}/cancel",
        operation_id="CancelRun",
        summary="Cancel a run: a pending one at once, a running one as soon as its worker stops its steps",
        status_code=202,
        guards=[require("run:cancel")],
        responses={
            200: ResponseSpec(data_container=Run, description="The run was pending and is now cancelled."),
            **problem_responses(400, 401, 403, 404, 409, 412, 429, kinds=AS_PUBLISHED_409),
        },
        response_headers=ETAG_HEADER,
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
        if_match: IfMatchOptional = None,
    ) -> Response[Run]:
        """202 while the run's worker stops it (state `cancelling`), 200 once it is `cancelled`."""
        access = access_of(request)
        expected = optional_version(if_match)
        run = await service.cancel_run(
            services.db, audit_context(request), access.tenant_id, _namespace_id(access), run_id, expected
        )
        return run_response(run, 200 if run.state == "cancelled" else 202)

    @get(
        "/{run_id:uuid}/events",
        operation_id="FollowRunEvents",
        summary="Follow a run's lifecycle as server-sent events, from the start or after an event id",
        guards=[require("run:read")],
        responses={
            200: ResponseSpec(
                data_container=RunEventMessage,
                media_type="text/event-stream",
                description="A text/event-stream: per event `id: <seq>`, `event: <type>` and `data: <the event as "
                "JSON, as in the run's events>`; the stream ends after the run's final event.",
                generate_examples=False,
            ),
            **problem_responses(400, 401, 403, 404, 429),
        },
        media_type="text/event-stream",
    )
    async def follow(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
        after: Annotated[
            int | None,
            QueryParameter(ge=0, le=MAX_SEQ, description="Start after this event id (seq); default: the beginning."),
        ] = None,
        last_event_id: Annotated[
            str | None,
            HeaderParameter(
                name="Last-Event-ID", description="Sent by EventSource when it reconnects; wins over `after`."
            ),
        ] = None,
    ) -> ServerSentEvent:
        """Each event's `id` is its seq, `event` its type (`run.started`, `step.succeeded`, ...)
        and `data` the event as JSON. The stream ends after the run's final event."""
        access = access_of(request)
        start = _start_after(after, last_event_id)
        await service.require_run(services.db, access.tenant_id, _namespace_id(access), run_id)
        settings = services.settings
        assert settings.redis_url is not None  # the app does not start without one
        stream = run_events.follow(
            services.db,
            settings.redis_url,
            settings.redis_key_prefix,
            access.tenant_id,
            _namespace_id(access),
            run_id,
            start,
        )
        return ServerSentEvent(stream, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @get(
        "/{run_id:uuid}/trace",
        operation_id="GetRunTrace",
        summary="A run's trace: every step attempt in order with input, output or error, digests and duration",
        guards=[require("run:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def trace(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
    ) -> RunTrace:
        access = access_of(request)
        return await service.trace_run(services.db, access.tenant_id, _namespace_id(access), run_id)

    @post(
        "/{run_id:uuid}/replay",
        operation_id="ReplayRun",
        summary="Re-walk a run's plan against its recorded outputs; verify its order and result",
        status_code=200,
        guards=[require("run:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def replay(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
    ) -> ReplayReport:
        """Changes nothing. `verified` is false with the first `divergence` (step, field,
        expected, got) when the record is not what the plan, the inputs and the recorded
        outputs imply; `complete` is false for a run still under way (verified so far)."""
        access = access_of(request)
        return await service.replay_run(services.db, access.tenant_id, _namespace_id(access), run_id)

    @get(
        "/{run_id:uuid}/trace/diff",
        operation_id="DiffRunTraces",
        summary="What differs between this run's trace and another run's of the same workflow",
        guards=[require("run:read")],
        responses=problem_responses(400, 401, 403, 404, 409, 429, kinds=AS_PUBLISHED_409),
    )
    async def diff(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
        other: Annotated[uuid.UUID, QueryParameter(description="The run to compare with.")],
    ) -> TraceDiff:
        access = access_of(request)
        return await service.diff_runs(services.db, access.tenant_id, _namespace_id(access), run_id, other)
