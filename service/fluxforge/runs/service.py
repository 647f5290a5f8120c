"""Units of work on a namespace's runs: submit, read, list, cancel, trace, replay and diff.

Each opens its tenant transaction and, when it changes something, writes the audit row in that
same transaction. They take the database, the tenant and namespace the route's guard resolved
and an audit context, never a request. Submitting only stores the run (pending, with its pinned
workflow version and bound inputs) and wakes the scheduler; workers (`fluxforge worker`)
execute it, and everything else here reads what they recorded.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext
from fluxforge.conventions import check_version, new_id
from fluxforge.db import Connection, Database
from fluxforge.errors import Conflict, FieldError, InvalidRequest, NotFound, ProblemError
from fluxforge.idempotency import Once, StoredResponse, remember, replay
from fluxforge.runs import logic, progress, repository
from fluxforge.runs.models import (
    MAX_INPUTS_BYTES,
    ReplayReport,
    Run,
    RunCreate,
    RunEvent,
    RunSummary,
    RunTrace,
    TraceDiff,
)
from fluxforge.runs.states import RunState, run_transition
from fluxforge.workflows import graph
from fluxforge.workflows import repository as workflows
from fluxforge.workflows.inputs import bind_inputs
from fluxforge.workflows.models import Workflow, WorkflowSpec
from fluxforge.workflows.service import workflow_or_404

EVENTS_PAGE = 1000


class SchedulerDraining(ProblemError):
    kind = "scheduler-draining"


async def _run_or_404(conn: Connection, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID) -> Run:
    found = await repository.get(conn, tenant_id, namespace_id, run_id)
    if found is None:
        raise NotFound(f"no run {run_id} in this namespace")
    return found


# --- submitting a run ----------------------------------------------------------------------------


async def _admit(conn: Connection) -> None:
    """While the platform operator drains the scheduler, no new run is accepted."""
    admission = await repository.admission(conn)
    if admission["mode"] == "drain":
        raise SchedulerDraining(
            "the platform operator is draining the scheduler; submit the run later"
            + (f" ({admission['reason']})" if admission["reason"] else ""),
            headers={"Retry-After": "60"},
        )


def _bound_inputs(spec: WorkflowSpec, given: dict[str, Any]) -> dict[str, Any]:
    """The run's inputs bound to the workflow's declarations, within the size a run may carry."""
    inputs = bind_inputs(spec, given)
    if len(msgspec.json.encode(inputs)) > MAX_INPUTS_BYTES:
        message = f"at most {MAX_INPUTS_BYTES} bytes of JSON"
        raise InvalidRequest(f"inputs: {message}", errors=[FieldError(field="inputs", message=message)])
    return inputs


async def _insert_pending(
    conn: Connection,
    actor: str,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    workflow: Workflow,
    inputs: dict[str, Any],
    priority: int,
    queue_at: datetime,
) -> uuid.UUID:
    """The run, pending, with every step of its plan and its `run.created` event."""
    run_id = new_id()
    plan = graph.plan(workflow.spec)
    await repository.insert_run(
        conn,
        tenant_id=tenant_id,
        run_id=run_id,
        namespace_id=namespace_id,
        workflow_id=workflow.id,
        workflow_version=workflow.version,
        workflow_name=workflow.name,
        inputs=inputs,
        priority=priority,
        queue_at=queue_at,
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
    return run_id


async def submit_run(
    db: Database,
    context: AuditContext,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    data: RunCreate,
    *,
    priority_aging_seconds: float,
    once: Once[Run] | None,
) -> Run | StoredResponse:
    """A pending run of the workflow's latest version (or `data.version`), or the first response to this key."""
    async with db.tenant(tenant_id) as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        await _admit(conn)
        workflow = await workflow_or_404(conn, tenant_id, namespace_id, data.workflow, data.version)
        inputs = _bound_inputs(workflow.spec, data.inputs)
        queue_at = logic.queue_at(datetime.now(UTC), data.priority, priority_aging_seconds)
        run_id = await _insert_pending(
            conn, context.actor, tenant_id, namespace_id, workflow, inputs, data.priority, queue_at
        )
        run = await _run_or_404(conn, tenant_id, namespace_id, run_id)
        summary = {"workflow": run.workflow, "version": run.workflow_version, "priority": run.priority}
        await audit.record_change(conn, context, tenant_id, "run.create", str(run_id), None, summary)
        await remember(conn, once, run)
    return run


# --- reading runs ----------------------------------------------------------------------------------


async def get_run(db: Database, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID) -> Run:
    async with db.tenant(tenant_id) as conn:
        return await _run_or_404(conn, tenant_id, namespace_id, run_id)


async def list_runs(
    db: Database,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    *,
    state: RunState | None,
    workflow: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> list[RunSummary]:
    async with db.tenant(tenant_id) as conn:
        return await repository.list_page(
            conn, tenant_id, namespace_id, state=state, workflow=workflow, before=before, limit=limit
        )


async def require_run(db: Database, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """NotFound unless the namespace has the run: checked before a follower's stream starts."""
    async with db.tenant(tenant_id) as conn:
        if await repository.run_header(conn, tenant_id, namespace_id, run_id) is None:
            raise NotFound(f"no run {run_id} in this namespace")


# --- cancelling -----------------------------------------------------------------------------------


async def cancel_run(
    db: Database,
    context: AuditContext,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    run_id: uuid.UUID,
    expected_version: int | None,
) -> Run:
    """A pending run is cancelled at once; a running one is `cancelling` until its worker stops its
    steps. Asking again while it is cancelling changes nothing."""
    async with db.tenant(tenant_id) as conn:
        row = await repository.lock(conn, tenant_id, namespace_id, run_id)
        if row is None:
            raise NotFound(f"no run {run_id} in this namespace")
        check_version(expected_version, row["event_seq"])
        before = await _run_or_404(conn, tenant_id, namespace_id, run_id)
        current: RunState = row["state"]
        if current == "cancelling":
            return before
        if run_transition(current, "cancel") == "cancelled":
            await repository.cancel_pending(conn, tenant_id, run_id, context.actor)
        else:
            await repository.request_cancel(conn, tenant_id, run_id, context.actor)
        after = await _run_or_404(conn, tenant_id, namespace_id, run_id)
        await audit.record_change(
            conn, context, tenant_id, "run.cancel", str(run_id), {"state": before.state}, {"state": after.state}
        )
    return after


# --- traces, replay and diffs ---------------------------------------------------------------------


async def _pinned_spec(conn: Connection, tenant_id: uuid.UUID, workflow_id: uuid.UUID, version: int) -> WorkflowSpec:
    pinned = await workflows.pinned_manifest(conn, tenant_id, workflow_id, version)
    assert pinned is not None  # a foreign key keeps a run's version
    return pinned.spec


async def _all_events(
    conn: Connection, tenant_id: uuid.UUID, run_id: uuid.UUID, created_at: datetime
) -> list[RunEvent]:
    events: list[RunEvent] = []
    while True:
        after = events[-1].seq if events else 0
        page = await repository.events_after(conn, tenant_id, run_id, created_at, after, EVENTS_PAGE)
        events.extend(page)
        if len(page) < EVENTS_PAGE:
            return events


async def _trace(
    conn: Connection, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID
) -> tuple[RunTrace, WorkflowSpec, list[RunEvent]]:
    """The run's trace, with the pinned spec and the recorded events it was built from."""
    header = await repository.run_header(conn, tenant_id, namespace_id, run_id)
    if header is None:
        raise NotFound(f"no run {run_id} in this namespace")
    spec = await _pinned_spec(conn, tenant_id, header["workflow_id"], header["workflow_version"])
    states = await repository.step_states(conn, tenant_id, run_id)
    events = await _all_events(conn, tenant_id, run_id, header["created_at"])
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


async def trace_run(db: Database, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID) -> RunTrace:
    async with db.tenant(tenant_id) as conn:
        found, _, _ = await _trace(conn, tenant_id, namespace_id, run_id)
    return found


async def replay_run(db: Database, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID) -> ReplayReport:
    """The run's record re-walked against its plan (see `logic.replay`); changes nothing."""
    async with db.tenant(tenant_id) as conn:
        found, spec, events = await _trace(conn, tenant_id, namespace_id, run_id)
    return logic.replay(
        run_id,
        spec,
        found.inputs,
        events,
        recorded_state=found.state,
        recorded_steps=found.steps,
        recorded_result=found.result_digest,
    )


async def diff_runs(
    db: Database, tenant_id: uuid.UUID, namespace_id: uuid.UUID, run_id: uuid.UUID, other: uuid.UUID
) -> TraceDiff:
    """What differs between two runs' traces; only runs of one workflow compare."""
    async with db.tenant(tenant_id) as conn:
        left, _, _ = await _trace(conn, tenant_id, namespace_id, run_id)
        right, _, _ = await _trace(conn, tenant_id, namespace_id, other)
    if left.workflow_id != right.workflow_id:
        raise Conflict(f"run {other} is of workflow {right.workflow!r}, not {left.workflow!r}")
    return logic.diff_traces(left, right)
