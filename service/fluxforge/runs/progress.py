"""How a run moves forward: the scheduler engine's decisions as pure functions.

The engine owns a run's steps in memory (as `StepView`s loaded from PostgreSQL when it took
the run) and, each time something happens (attempts finished, a retry fell due, cancellation
was asked for), calls `advance` for the next write: the step rows to store, the events to
append and the run's final state once there is one. Only after that write was accepted under
the engine's fencing token does it start the steps `advance` started. No I/O and no clock
here (time is passed in as epoch milliseconds), so property tests walk whole runs through it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec

from fluxforge.runs import logic
from fluxforge.runs.states import RunState, StepState, run_outcome, step_transition
from fluxforge.workflows import graph, references
from fluxforge.workflows.models import ErrorKind, WorkflowSpec, WorkflowStep


class StepView(msgspec.Struct, kw_only=True):
    """One step as the run's owner holds it; mirrors its run_steps row."""

    id: str
    uses: str
    position: int
    state: StepState = "pending"
    attempts: int = 0
    lost_attempts: int = 0
    input: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    next_attempt_ms: int | None = None
    started_ms: int | None = None
    finished_ms: int | None = None
    started_seq: int | None = None
    started_n: int | None = None  # this write's index of the step's start event; becomes started_seq
    restart_due: bool = False  # running, but its attempt's owner was lost: start it again
    unresolved: str | None = None  # the started attempt's inputs could not be resolved: it fails as invalid_input


class AttemptResult(msgspec.Struct, kw_only=True, frozen=True):
    """What an executor reported for one attempt (or that its owner was lost)."""

    step: str
    attempt: int
    outcome: Literal["succeeded", "failed", "lost"]
    output: dict[str, Any] | None = None
    error_kind: ErrorKind | None = None
    error_message: str | None = None
    duration_ms: int = 0


class EventOut(msgspec.Struct, kw_only=True, frozen=True):
    type: str
    step: str | None = None
    attempt: int | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class Advance(msgspec.Struct, kw_only=True):
    """One write of a run: changed step rows, events in order, and maybe the run's end."""

    steps: dict[str, StepView] = msgspec.field(default_factory=dict)
    events: list[EventOut] = msgspec.field(default_factory=list)
    started: list[str] = msgspec.field(default_factory=list)
    results: list[AttemptResult] = msgspec.field(default_factory=list)
    run_state: RunState | None = None
    run_error: str | None = None
    result_digest: str | None = None

    @property
    def empty(self) -> bool:
        return not self.events and self.run_state is None


class RunModel(msgspec.Struct, kw_only=True):
    """Everything `advance` needs to know about a run besides its steps."""

    run_id: uuid.UUID
    spec: WorkflowSpec
    plan: graph.Plan
    inputs: dict[str, Any]
    steps_by_id: dict[str, WorkflowStep]


def model(run_id: uuid.UUID, spec: WorkflowSpec, inputs: dict[str, Any]) -> RunModel:
    return RunModel(
        run_id=run_id,
        spec=spec,
        plan=graph.plan(spec),
        inputs=inputs,
        steps_by_id={step.id: step for step in spec.steps},
    )


def initial_views(spec: WorkflowSpec) -> list[StepView]:
    """The steps of a new run, in plan order, all pending."""
    order = graph.plan(spec).order
    by_id = {step.id: step for step in spec.steps}
    return [StepView(id=step_id, uses=by_id[step_id].uses, position=i) for i, step_id in enumerate(order)]


def attempt_record(view: StepView, result: AttemptResult, retry_delay_ms: int | None) -> dict[str, Any]:
    """The trace record of an attempt (the data of its result event)."""
    record: dict[str, Any] = {
        "started_seq": view.started_seq or 0,
        "step": view.id,
        "attempt": result.attempt,
        "outcome": result.outcome,
        "input": view.input or {},
        "input_digest": logic.digest(view.input or {}),
        "duration_ms": result.duration_ms,
    }
    if result.outcome == "succeeded":
        record["output"] = result.output or {}
        record["output_digest"] = logic.digest(result.output or {})
    else:
        record["error"] = {"kind": result.error_kind or "executor_error", "message": result.error_message or ""}
    if retry_delay_ms is not None:
        record["retry_delay_ms"] = retry_delay_ms
    return record


def _apply_result(run: RunModel, view: StepView, result: AttemptResult, now_ms: int, out: Advance) -> None:
    if view.state != "running" or view.attempts != result.attempt:
        return  # a report for an attempt this owner no longer tracks: ignored
    step = run.steps_by_id[view.id]
    view.finished_ms = now_ms
    if result.outcome == "lost":
        view.lost_attempts += 1
        out.events.append(
            EventOut(
                type=logic.STEP_LOST, step=view.id, attempt=result.attempt, data=attempt_record(view, result, None)
            )
        )
        view.restart_due = True
        out.steps[view.id] = view
        return
    if result.outcome == "succeeded":
        view.state = step_transition(view.state, "succeed")
        view.outputs = result.output or {}
        view.error = None
        out.events.append(
            EventOut(
                type=logic.STEP_SUCCEEDED, step=view.id, attempt=result.attempt, data=attempt_record(view, result, None)
            )
        )
    else:
        kind = result.error_kind or "executor_error"
        decision = logic.retry_decision(step, run.run_id, result.attempt - view.lost_attempts, kind)
        view.error = {"kind": kind, "message": result.error_message or ""}
        if decision.retry:
            view.state = step_transition(view.state, "retry")
            view.next_attempt_ms = now_ms + decision.delay_ms
            data = attempt_record(view, result, decision.delay_ms)
            out.events.append(EventOut(type=logic.STEP_RETRYING, step=view.id, attempt=result.attempt, data=data))
        else:
            view.state = step_transition(view.state, "fail")
            data = attempt_record(view, result, None)
            data["reason"] = decision.reason
            out.events.append(EventOut(type=logic.STEP_FAILED, step=view.id, attempt=result.attempt, data=data))
    out.results.append(result)
    out.steps[view.id] = view


def _start(run: RunModel, view: StepView, outputs: Mapping[str, dict[str, Any]], now_ms: int, out: Advance) -> None:
    restart = view.restart_due
    view.state = step_transition(view.state, "restart" if restart else "start")
    view.restart_due = False
    view.attempts += 1
    view.next_attempt_ms = None
    view.started_ms = now_ms
    view.finished_ms = None
    try:
        view.input = references.resolve_with(run.steps_by_id[view.id], run.inputs, outputs)
        unresolved: str | None = None
    except (references.UnresolvedReference, references.ReferenceSyntaxError) as exc:
        view.input = {}
        unresolved = str(exc)
    view.unresolved = unresolved
    view.started_n = len(out.events)
    data: dict[str, Any] = {"input_digest": logic.digest(view.input)}
    if restart:
        data["restart"] = True
    if unresolved is not None:
        data["unresolved"] = unresolved
    out.events.append(EventOut(type=logic.STEP_STARTED, step=view.id, attempt=view.attempts, data=data))
    out.steps[view.id] = view
    out.started.append(view.id)


def startable(run: RunModel, views: Mapping[str, StepView], now_ms: int) -> list[str]:
    """Steps to start now, in plan order: pending ones whose needs all succeeded, retries
    whose backoff elapsed, and attempts whose owner was lost."""
    found: list[str] = []
    for step_id in run.plan.order:
        view = views[step_id]
        if view.state == "pending":
            if all(views[n].state == "succeeded" for n in run.plan.needs[step_id]):
                found.append(step_id)
        elif view.state == "waiting_retry":
            if view.next_attempt_ms is None or view.next_attempt_ms <= now_ms:
                found.append(step_id)
        elif view.state == "running" and view.restart_due:
            found.append(step_id)
    return found


def advance(
    run: RunModel,
    views: dict[str, StepView],
    results: Sequence[AttemptResult],
    now_ms: int,
    *,
    cancelling: bool = False,
    frozen: bool = False,
) -> Advance:
    """The next write of a run: results applied, blocked steps skipped, ready steps started
    (unless frozen or cancelling), cancellation carried out, and the run finished when every
    step is done."""
    out = Advance()
    for result in results:
        _apply_result(run, views[result.step], result, now_ms, out)
    if cancelling:
        for step_id in run.plan.order:
            view = views[step_id]
            if view.state in ("pending", "running", "waiting_retry"):
                view.state = step_transition(view.state, "cancel")
                view.restart_due = False
                view.finished_ms = now_ms
                view.next_attempt_ms = None
                out.events.append(EventOut(type=logic.STEP_CANCELLED, step=step_id, attempt=view.attempts or None))
                out.steps[step_id] = view
    _skip_blocked(run, views, now_ms, out)
    if not cancelling and not frozen:
        outputs = {s: v.outputs or {} for s, v in views.items() if v.state == "succeeded"}
        for step_id in startable(run, views, now_ms):
            _start(run, views[step_id], outputs, now_ms, out)
    outcome = run_outcome(v.state for v in views.values())
    if outcome is not None:
        out.run_state = {"succeed": "succeeded", "fail": "failed", "cancelled": "cancelled"}[outcome]  # type: ignore[assignment]
        failed = [v for v in views.values() if v.state == "failed"]
        if failed:
            first = min(failed, key=lambda v: v.position)
            message = (first.error or {}).get("message", "")
            out.run_error = f"step {first.id!r} failed: {message}"
        succeeded = {v.id: v.outputs or {} for v in views.values() if v.state == "succeeded"}
        out.result_digest = logic.result_of(succeeded)
        data: dict[str, Any] = {"result_digest": out.result_digest}
        if out.run_error is not None:
            data["error"] = out.run_error
        out.events.append(EventOut(type=logic.RUN_FINISHED[outcome], data=data))
    return out


def _skip_blocked(run: RunModel, views: Mapping[str, StepView], now_ms: int, out: Advance) -> None:
    """Pending steps that can never start, because a need failed, was skipped or cancelled."""
    for step_id in run.plan.order:
        view = views[step_id]
        if view.state != "pending":
            continue
        if any(views[n].state in ("failed", "skipped", "cancelled") for n in run.plan.needs[step_id]):
            view.state = step_transition(view.state, "skip")
            view.finished_ms = now_ms
            out.events.append(EventOut(type=logic.STEP_SKIPPED, step=step_id))
            out.steps[step_id] = view


def lost_attempts(views: Mapping[str, StepView]) -> list[AttemptResult]:
    """On taking a run over: the attempts the previous owner started and never reported."""
    return [
        AttemptResult(
            step=v.id, attempt=v.attempts, outcome="lost", error_kind="executor_error", error_message="owner lost"
        )
        for v in views.values()
        if v.state == "running"
    ]


def next_due_ms(views: Mapping[str, StepView]) -> int | None:
    """When the earliest waiting retry falls due, if any."""
    due = [v.next_attempt_ms for v in views.values() if v.state == "waiting_retry" and v.next_attempt_ms is not None]
    return min(due) if due else None
