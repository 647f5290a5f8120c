"""Pure rules of runs: digests, the queue position, traces, replay and trace diffs.

No I/O, so unit and property tests reach every rule. Replay is written independently of the
scheduler's engine on purpose: it re-walks the plan against a run's recorded events, using
only the workflow spec, the run's inputs and the recorded outputs, and so checks the engine
instead of repeating it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec

from fluxforge.runs import retry
from fluxforge.runs.models import (
    Divergence,
    ReplayReport,
    RunEvent,
    RunTrace,
    StepError,
    TraceAttempt,
    TraceDiff,
    TraceDifference,
)
from fluxforge.runs.states import RunState, StepState, run_outcome
from fluxforge.workflows import graph, references
from fluxforge.workflows.models import WorkflowSpec

# Event types. A step attempt's result is one event whose type says what followed it, and
# whose data is the attempt's trace record.
RUN_CREATED = "run.created"
RUN_STARTED = "run.started"
RUN_RESUMED = "run.resumed"
RUN_CANCEL_REQUESTED = "run.cancel_requested"
RUN_FINISHED = {"succeed": "run.succeeded", "fail": "run.failed", "cancelled": "run.cancelled"}
STEP_STARTED = "step.started"
STEP_SUCCEEDED = "step.succeeded"
STEP_RETRYING = "step.retrying"
STEP_FAILED = "step.failed"
STEP_LOST = "step.lost"
STEP_SKIPPED = "step.skipped"
STEP_CANCELLED = "step.cancelled"
ATTEMPT_EVENTS = frozenset({STEP_SUCCEEDED, STEP_RETRYING, STEP_FAILED, STEP_LOST})
FINAL_RUN_EVENTS = frozenset(RUN_FINISHED.values())
STATE_OF_OUTCOME: Mapping[str, RunState] = {"succeed": "succeeded", "fail": "failed", "cancelled": "cancelled"}
FINAL_STATE_OF_EVENT: Mapping[str, RunState] = {
    "run.succeeded": "succeeded",
    "run.failed": "failed",
    "run.cancelled": "cancelled",
}


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, msgspec's shortest float repr."""
    return msgspec.json.encode(value, order="sorted")


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def queue_at(submitted: datetime, priority: int, aging_seconds: float) -> datetime:
    """A run's place in its tenant's queue: submitted earlier by `priority x aging`.

    Comparing two runs by this is comparing `priority + waited / aging` at any moment, so a
    higher priority goes first, and every `aging_seconds` of waiting is worth one point.
    """
    return submitted - timedelta(seconds=priority * aging_seconds)


def result_of(outputs: Mapping[str, Any]) -> str:
    """The digest of a run's result: every succeeded step's outputs, by step id."""
    return digest(dict(outputs))


def jitter_seed(run_id: uuid.UUID, step_id: str) -> str:
    return f"{run_id}:{step_id}"


def retry_decision(spec_step: Any, run_id: uuid.UUID, counted_attempt: int, kind: str) -> retry.RetryDecision:
    """The retry decision after a failed attempt, the same on every worker and in replay."""
    seed = jitter_seed(run_id, spec_step.id)
    return retry.decide(spec_step.retry, counted_attempt, kind, retry.jitter_fraction(seed, counted_attempt))


# --- traces -----------------------------------------------------------------------------------


def trace_attempt(event: RunEvent) -> TraceAttempt:
    return msgspec.convert({**event.data, "seq": event.seq}, TraceAttempt)


def build_trace(
    *,
    run_id: uuid.UUID,
    workflow: str,
    workflow_id: uuid.UUID,
    workflow_version: int,
    state: RunState,
    inputs: dict[str, Any],
    spec: WorkflowSpec,
    step_states: Mapping[str, StepState],
    events: Iterable[RunEvent],
    result_digest: str | None,
) -> RunTrace:
    attempts = [trace_attempt(e) for e in events if e.type in ATTEMPT_EVENTS]
    return RunTrace(
        run=run_id,
        workflow=workflow,
        workflow_id=workflow_id,
        workflow_version=workflow_version,
        state=state,
        inputs=inputs,
        inputs_digest=digest(inputs),
        plan=list(graph.plan(spec).order),
        steps=dict(step_states),
        skipped=[s for s, st in step_states.items() if st == "skipped"],
        attempts=attempts,
        result_digest=result_digest,
    )


def diff_traces(left: RunTrace, right: RunTrace) -> TraceDiff:
    """What differs between two runs of one workflow: inputs, versions, and per step each
    attempt's outcome and digests (attempts matched by step and number)."""
    differences: list[TraceDifference] = []

    def note(step: str | None, attempt: int | None, field: str, a: Any, b: Any) -> None:
        if a != b:
            differences.append(TraceDifference(step=step, attempt=attempt, field=field, left=a, right=b))

    note(None, None, "workflow_version", left.workflow_version, right.workflow_version)
    note(None, None, "inputs_digest", left.inputs_digest, right.inputs_digest)
    note(None, None, "state", left.state, right.state)
    note(None, None, "result_digest", left.result_digest, right.result_digest)
    steps = list(dict.fromkeys([*left.plan, *right.plan]))
    by_left = _attempts_by_step(left.attempts)
    by_right = _attempts_by_step(right.attempts)
    for step in steps:
        note(step, None, "state", left.steps.get(step), right.steps.get(step))
        a_attempts, b_attempts = by_left.get(step, {}), by_right.get(step, {})
        note(step, None, "attempts", len(a_attempts), len(b_attempts))
        for number in sorted(set(a_attempts) & set(b_attempts)):
            a, b = a_attempts[number], b_attempts[number]
            note(step, number, "outcome", a.outcome, b.outcome)
            note(step, number, "input_digest", a.input_digest, b.input_digest)
            note(step, number, "output_digest", a.output_digest, b.output_digest)
            note(step, number, "error_kind", a.error.kind if a.error else None, b.error.kind if b.error else None)
    return TraceDiff(
        left=left.run, right=right.run, workflow=left.workflow, identical=not differences, differences=differences
    )


def _attempts_by_step(attempts: Iterable[TraceAttempt]) -> dict[str, dict[int, TraceAttempt]]:
    found: dict[str, dict[int, TraceAttempt]] = {}
    for attempt in attempts:
        found.setdefault(attempt.step, {})[attempt.attempt] = attempt
    return found


# --- replay -----------------------------------------------------------------------------------


class _Diverged(Exception):
    def __init__(self, divergence: Divergence) -> None:
        super().__init__(divergence.field)
        self.divergence = divergence


class _Replay:
    """The plan walked again, one recorded event at a time, with recorded outputs as results."""

    def __init__(self, run_id: uuid.UUID, spec: WorkflowSpec, inputs: dict[str, Any]) -> None:
        self.run_id = run_id
        self.plan = graph.plan(spec)
        self.steps = {step.id: step for step in spec.steps}
        self.inputs = inputs
        self.status: dict[str, StepState] = dict.fromkeys(self.plan.order, "pending")
        self.attempts = dict.fromkeys(self.plan.order, 0)
        self.lost = dict.fromkeys(self.plan.order, 0)
        self.outputs: dict[str, dict[str, Any]] = {}
        self.expected_input: dict[str, Any] = {}
        self.started_at_seq: dict[str, int] = {}
        self.order: list[str] = []
        self.attempt_index = -1
        self.cancel_requested = False
        self.final: RunState | None = None

    def diverge(self, step: str | None, field: str, expected: Any, got: Any, *, at_run: bool = False) -> None:
        index = None if at_run else max(self.attempt_index, 0)
        raise _Diverged(Divergence(index=index, step=step, field=field, expected=expected, got=got))

    def needs_met(self, step_id: str) -> bool:
        return all(self.status[n] == "succeeded" for n in self.plan.needs[step_id])

    def on_started(self, event: RunEvent) -> None:
        step_id = event.step or ""
        if step_id not in self.status:
            self.diverge(step_id, "step", list(self.plan.order), step_id)
        attempt = event.attempt or 0
        status = self.status[step_id]
        if status == "pending":
            if not self.needs_met(step_id):
                unmet = [n for n in self.plan.needs[step_id] if self.status[n] != "succeeded"]
                self.diverge(step_id, "needs", [], unmet)
            for earlier in self.plan.order:
                if earlier == step_id:
                    break
                if self.status[earlier] == "pending" and self.needs_met(earlier):
                    self.diverge(step_id, "order", earlier, step_id)
            self.order.append(step_id)
        elif status not in ("waiting_retry", "running"):
            self.diverge(step_id, "state", "pending, waiting_retry or a lost attempt", status)
        if attempt != self.attempts[step_id] + 1:
            self.diverge(step_id, "attempt", self.attempts[step_id] + 1, attempt)
        self.attempts[step_id] = attempt
        self.status[step_id] = "running"
        self.started_at_seq[step_id] = event.seq
        try:
            self.expected_input[step_id] = references.resolve_with(self.steps[step_id], self.inputs, self.outputs)
        except (references.UnresolvedReference, references.ReferenceSyntaxError):
            self.expected_input[step_id] = {}

    def on_attempt(self, event: RunEvent) -> None:
        self.attempt_index += 1
        record = trace_attempt(event)
        self._check_attempt(record)
        step_id = record.step
        if record.outcome == "lost":
            if event.type != STEP_LOST:
                self.diverge(step_id, "event", STEP_LOST, event.type)
            self.lost[step_id] += 1
        elif record.outcome == "succeeded":
            self._succeeded(event, record)
        else:
            self._failed(event, record)

    def _check_attempt(self, record: TraceAttempt) -> None:
        """The attempt is the one under way, and its input is what the plan resolves."""
        step_id = record.step
        if step_id not in self.status or self.status[step_id] != "running":
            self.diverge(step_id, "state", "running", self.status.get(step_id))
        if record.attempt != self.attempts[step_id]:
            self.diverge(step_id, "attempt", self.attempts[step_id], record.attempt)
        if record.started_seq != self.started_at_seq[step_id]:
            self.diverge(step_id, "started_seq", self.started_at_seq[step_id], record.started_seq)
        if digest(record.input) != record.input_digest:
            self.diverge(step_id, "input_digest", digest(record.input), record.input_digest)
        expected_input = self.expected_input[step_id]
        if digest(expected_input) != record.input_digest:
            self.diverge(step_id, "input", expected_input, record.input)

    def _succeeded(self, event: RunEvent, record: TraceAttempt) -> None:
        step_id = record.step
        if record.output is None or digest(record.output) != record.output_digest:
            actual = digest(record.output) if record.output is not None else None
            self.diverge(step_id, "output_digest", actual, record.output_digest)
        if event.type != STEP_SUCCEEDED:
            self.diverge(step_id, "event", STEP_SUCCEEDED, event.type)
        assert record.output is not None
        self.outputs[step_id] = record.output
        self.status[step_id] = "succeeded"

    def _failed(self, event: RunEvent, record: TraceAttempt) -> None:
        """Retried or not, and after how long, exactly as the step's retry policy says."""
        step_id = record.step
        error = record.error or StepError(kind="executor_error", message="")
        counted = record.attempt - self.lost[step_id]
        decision = retry_decision(self.steps[step_id], self.run_id, counted, error.kind)
        expected_type = STEP_RETRYING if decision.retry else STEP_FAILED
        if event.type != expected_type:
            self.diverge(step_id, "event", expected_type, event.type)
        if decision.retry:
            if record.retry_delay_ms != decision.delay_ms:
                self.diverge(step_id, "retry_delay_ms", decision.delay_ms, record.retry_delay_ms)
            self.status[step_id] = "waiting_retry"
        else:
            self.status[step_id] = "failed"

    def on_skipped(self, event: RunEvent) -> None:
        step_id = event.step or ""
        if self.status.get(step_id) != "pending":
            self.diverge(step_id, "state", "pending", self.status.get(step_id))
        blocked = [n for n in self.plan.needs[step_id] if self.status[n] in ("failed", "skipped", "cancelled")]
        if not blocked:
            self.diverge(step_id, "skipped", "a failed, skipped or cancelled need", list(self.plan.needs[step_id]))
        self.status[step_id] = "skipped"

    def on_cancelled(self, event: RunEvent) -> None:
        step_id = event.step or ""
        if not self.cancel_requested:
            self.diverge(step_id, "cancelled", "a cancellation request first", STEP_CANCELLED)
        if self.status.get(step_id) not in ("pending", "running", "waiting_retry"):
            self.diverge(step_id, "state", "pending, running or waiting_retry", self.status.get(step_id))
        self.status[step_id] = "cancelled"

    def on_finished(self, event: RunEvent) -> None:
        got: RunState = FINAL_STATE_OF_EVENT[event.type]
        outcome = run_outcome(self.status.values())
        expected: RunState | None = None if outcome is None else STATE_OF_OUTCOME[outcome]
        if expected != got:
            self.diverge(None, "state", expected, got, at_run=True)
        self.final = got


def replay(
    run_id: uuid.UUID,
    spec: WorkflowSpec,
    inputs: dict[str, Any],
    events: Sequence[RunEvent],
    *,
    recorded_state: RunState,
    recorded_steps: Mapping[str, StepState],
    recorded_result: str | None,
) -> ReplayReport:
    """Walk the plan again against the recorded events; report the first divergence.

    Checked: every attempt starts only once its needs succeeded, steps that became ready
    together start in plan order, attempt numbers follow each other, each attempt's input is
    what the plan resolves from the run's inputs and the recorded outputs upstream, digests
    match their values, each failure was retried or not exactly as the retry policy says
    (with the same delay), skips follow failures, and the run's final state and result are
    what its steps add up to. A run still under way is verified as far as it has come.
    """
    walk = _Replay(run_id, spec, inputs)
    handlers = {
        STEP_STARTED: walk.on_started,
        STEP_SKIPPED: walk.on_skipped,
        STEP_CANCELLED: walk.on_cancelled,
        **dict.fromkeys(ATTEMPT_EVENTS, walk.on_attempt),
        **dict.fromkeys(FINAL_RUN_EVENTS, walk.on_finished),
    }
    result: str | None = None
    try:
        for event in events:
            if event.type == RUN_CANCEL_REQUESTED:
                walk.cancel_requested = True
            handler = handlers.get(event.type)
            if handler is not None:
                handler(event)
        for step_id, state in recorded_steps.items():
            if walk.status.get(step_id) != state:
                walk.diverge(step_id, "state", walk.status.get(step_id), state, at_run=True)
        if walk.final is not None:
            if walk.final != recorded_state:
                walk.diverge(None, "state", walk.final, recorded_state, at_run=True)
            result = result_of(walk.outputs)
            if result != recorded_result:
                walk.diverge(None, "result_digest", result, recorded_result, at_run=True)
    except _Diverged as diverged:
        return ReplayReport(
            run=run_id,
            verified=False,
            complete=walk.final is not None,
            attempts_replayed=walk.attempt_index + 1,
            order=walk.order,
            result_digest=None,
            divergence=diverged.divergence,
        )
    return ReplayReport(
        run=run_id,
        verified=True,
        complete=walk.final is not None,
        attempts_replayed=walk.attempt_index + 1,
        order=walk.order,
        result_digest=result,
    )
