"""Runs of a namespace's workflows: submit, list, read, cancel, follow live, trace, replay, diff.

The API only stores a run (pending, with its pinned workflow version and bound inputs) and
wakes the scheduler; workers (`fluxforge worker`) execute it. Everything else here reads what
the workers recorded.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader, State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.response import ServerSentEvent

from fluxforge.audit import repository as audit
from fluxforge.conventions import DEFAULT_LIMIT, check_version, decode_cursor, etag, new_id, optional_version, page_of
from fluxforge.db import Connection
from fluxforge.errors import BadRequest, Conflict, FieldError, InvalidRequest, NotFound, ProblemError
from fluxforge.rbac.models import TenantAccess
from fluxforge.runs import events as run_events
from fluxforge.runs import logic, progress, repository
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
from fluxforge.runs.states import RunState, run_transition
from fluxforge.web.access import access_of, audit_context, require
from fluxforge.web.contract import TENANT_SECURITY
from fluxforge.web.idempotency import remember, replay_or_claim
from fluxforge.web.params import Cursor, IdempotencyKeyHeader, IfMatchOptional, Limit, NamespacePath, TenantPath
from fluxforge.web.problems import AS_PUBLISHED_409, problem_responses
from fluxforge.workflows import graph
from fluxforge.workflows import repository as workflows
from fluxforge.workflows.inputs import bind_inputs
from fluxforge.workflows.models import WorkflowSpec

RunRef = Annotated[uuid.UUID, PathParameter(description="The run's id.")]
ETAG_HEADER = [
    ResponseHeader(name="ETag", description="The run's version (it grows with every event).", documentation_only=True)
]
EVENTS_PAGE = 1000
# Event ids are PostgreSQL bigints: a larger one would fail in the driver after the stream started.
MAX_SEQ = 2**63 - 1
_SEQ = re.compile(r"[0-9]{1,19}")


class SchedulerDraining(ProblemError):
    kind = "scheduler-draining"


def run_response(run: Run, status_code: int = 200, location: str | None = None) -> Response[Run]:
    headers = {"ETag": etag(run.version)}
    if location is not None:
        headers["Location"] = location
    return Response(run, status_code=status_code, headers=headers)


def _namespace_id(access: TenantAccess) -> uuid.UUID:
    assert access.namespace_id is not None  # the guard resolved the path's namespace
    return access.namespace_id


async def _run_or_404(conn: Connection, access: TenantAccess, run_id: uuid.UUID) -> Run:
    found = await repository.get(conn, access.tenant_id, _namespace_id(access), run_id)
    if found is None:
        raise NotFound(f"no run {run_id} in this namespace")
    return found


async def _pinned_spec(conn: Connection, tenant_id: uuid.UUID, workflow_id: uuid.UUID, version: int) -> WorkflowSpec:
    pinned = await workflows.pinned_manifest(conn, tenant_id, workflow_id, version)
    assert pinned is not None  # a foreign key keeps a run's version
    return pinned.spec


async def _trace(conn: Connection, access: TenantAccess, run_id: uuid.UUID) -> tuple[RunTrace, Any, list[Any]]:
    header = await repository.run_header(conn, access.tenant_id, _namespace_id(access), run_id)
    if header is None:
        raise NotFound(f"no run {run_id} in this namespace")
    spec = await _pinned_spec(conn, access.tenant_id, header["workflow_id"], header["workflow_version"])
    states = await repository.step_states(conn, access.tenant_id, run_id)
    events: list[Any] = []
    while True:
        after = events[-1].seq if events else 0
        page = await repository.events_after(conn, access.tenant_id, run_id, header["created_at"], after, EVENTS_PAGE)
        events.extend(page)
        if len(page) < EVENTS_PAGE:
            break
    trace = logic.build_trace(
        run_id=run_id,
        workflow=header["workflow_name"],
        workflow_id=header["workflow_id"],
        workflow_version=header["workflow_version"],
        state=header["state"],
        inputs=header["inputs"],
        spec=spec,
        step_states=states,
        events=events,
        result_digest=header["result_digest"],
    )
    return trace, spec, events


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
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        data: JSONBody[RunCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Run]:
        access = access_of(request)
        namespace_id = _namespace_id(access)
        actor = access.principal.actor
        async with state.db.tenant(access.tenant_id) as conn:
            replay = await replay_or_claim(conn, request, idempotency_key, "createRun", [str(namespace_id), data], Run)
            if replay is not None:
                return replay
            admission = await repository.admission(conn)
            if admission["mode"] == "drain":
                raise SchedulerDraining(
                    "the platform operator is draining the scheduler; submit the run later"
                    + (f" ({admission['reason']})" if admission["reason"] else ""),
                    headers={"Retry-After": "60"},
                )
            workflow = await workflows.get(conn, access.tenant_id, namespace_id, data.workflow, version=data.version)
            if workflow is None:
                if data.version is not None and await workflows.get(
                    conn, access.tenant_id, namespace_id, data.workflow
                ):
                    raise NotFound(f"workflow {data.workflow!r} has no version {data.version}")
                raise NotFound(f"no workflow {data.workflow!r} in this namespace")
            inputs = bind_inputs(workflow.spec, data.inputs)
            if len(msgspec.json.encode(inputs)) > MAX_INPUTS_BYTES:
                message = f"at most {MAX_INPUTS_BYTES} bytes of JSON"
                raise InvalidRequest(f"inputs: {message}", errors=[FieldError(field="inputs", message=message)])
            run_id = new_id()
            now = datetime.now(UTC)
            plan = graph.plan(workflow.spec)
            await repository.insert_run(
                conn,
                tenant_id=access.tenant_id,
                run_id=run_id,
                namespace_id=namespace_id,
                workflow_id=workflow.id,
                workflow_version=workflow.version,
                workflow_name=workflow.name,
                inputs=inputs,
                priority=data.priority,
                queue_at=logic.queue_at(now, data.priority, state.settings.scheduler_priority_aging_seconds),
                created_by=actor,
                steps=progress.initial_views(workflow.spec),
                needs=plan.needs,
                created_event={
                    "workflow": workflow.name,
                    "version": workflow.version,
                    "inputs_digest": logic.digest(inputs),
                    "by": actor,
                },
            )
            run = await _run_or_404(conn, access, run_id)
            await audit.record_change(
                conn,
                audit_context(request),
                access.tenant_id,
                "run.create",
                str(run_id),
                None,
                {"workflow": run.workflow, "version": run.workflow_version, "priority": run.priority},
            )
            location = f"/v1/tenants/{access.tenant.slug}/namespaces/{run.namespace}/runs/{run_id}"
            response = run_response(run, 201, location)
            await remember(conn, request, idempotency_key, response)
        return response

    @get(
        operation_id="ListRuns",
        summary="List the namespace's runs, newest first, optionally by state or workflow",
        guards=[require("run:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_all(
        self,
        request: Request[Any, Any, Any],
        state: State,
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
        before = decode_cursor(cursor)
        async with state.db.tenant(access.tenant_id) as conn:
            rows = await repository.list_page(
                conn,
                access.tenant_id,
                _namespace_id(access),
                state=run_state,
                workflow=workflow,
                before=before,
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
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
    ) -> Response[Run]:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            run = await _run_or_404(conn, access, run_id)
        return run_response(run)

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
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
        if_match: IfMatchOptional = None,
    ) -> Response[Run]:
        """202 while the run's worker stops it (state `cancelling`), 200 once it is `cancelled`."""
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            row = await repository.lock(conn, access.tenant_id, _namespace_id(access), run_id)
            if row is None:
                raise NotFound(f"no run {run_id} in this namespace")
            check_version(optional_version(if_match), row["event_seq"])
            before = await _run_or_404(conn, access, run_id)
            current: RunState = row["state"]
            if current == "cancelling":
                return run_response(before, 202)
            following = run_transition(current, "cancel")
            if following == "cancelled":
                await repository.cancel_pending(conn, access.tenant_id, run_id, access.principal.actor)
            else:
                await repository.request_cancel(conn, access.tenant_id, run_id, access.principal.actor)
            after = await _run_or_404(conn, access, run_id)
            await audit.record_change(
                conn,
                audit_context(request),
                access.tenant_id,
                "run.cancel",
                str(run_id),
                {"state": before.state},
                {"state": after.state},
            )
        return run_response(after, 200 if after.state == "cancelled" else 202)

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
        state: State,
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
        start = after or 0
        if last_event_id is not None:
            if not _SEQ.fullmatch(last_event_id) or int(last_event_id) > MAX_SEQ:
                raise BadRequest("Last-Event-ID must be the id (seq) of an event of this run")
            start = int(last_event_id)
        async with state.db.tenant(access.tenant_id) as conn:
            if await repository.run_header(conn, access.tenant_id, _namespace_id(access), run_id) is None:
                raise NotFound(f"no run {run_id} in this namespace")
        settings = state.settings
        stream = run_events.follow(
            state.db,
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
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
    ) -> RunTrace:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            found, _, _ = await _trace(conn, access, run_id)
        return found

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
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
    ) -> ReplayReport:
        """Changes nothing. `verified` is false with the first `divergence` (step, field,
        expected, got) when the record is not what the plan, the inputs and the recorded
        outputs imply; `complete` is false for a run still under way (verified so far)."""
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            found, spec, events = await _trace(conn, access, run_id)
        return logic.replay(
            run_id,
            spec,
            found.inputs,
            events,
            recorded_state=found.state,
            recorded_steps=found.steps,
            recorded_result=found.result_digest,
        )

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
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        run_id: RunRef,
        other: Annotated[uuid.UUID, QueryParameter(description="The run to compare with.")],
    ) -> TraceDiff:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            left, _, _ = await _trace(conn, access, run_id)
            right, _, _ = await _trace(conn, access, other)
        if left.workflow_id != right.workflow_id:
            raise Conflict(f"run {other} is of workflow {right.workflow!r}, not {left.workflow!r}")
        return logic.diff_traces(left, right)
