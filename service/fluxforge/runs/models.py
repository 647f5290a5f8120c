"""Runs, their steps, events and traces as the API shows and accepts them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from fluxforge.runs.states import RunState, StepState
from fluxforge.workflows.models import ErrorKind, WorkflowName

MIN_PRIORITY, MAX_PRIORITY = -10, 10
MAX_INPUTS_BYTES = 256 * 1024


class RunCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    workflow: WorkflowName
    version: (
        Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1, description="A version of the workflow (default: its latest).")]
        | None
    ) = None
    inputs: Annotated[dict[str, Any], msgspec.Meta(description="The workflow's inputs, by name.")] = msgspec.field(
        default_factory=dict
    )
    priority: Annotated[
        int,
        msgspec.Meta(
            ge=MIN_PRIORITY,
            le=MAX_PRIORITY,
            description="Higher runs start earlier: each point counts as having waited "
            "FLUXFORGE_SCHEDULER_PRIORITY_AGING_SECONDS longer, so old runs are never starved.",
        ),
    ] = 0


class StepError(msgspec.Struct, kw_only=True):
    kind: ErrorKind
    message: str


class RunStep(msgspec.Struct, kw_only=True):
    id: str
    uses: str
    state: StepState
    needs: list[str]
    attempts: int
    lost_attempts: int = 0
    input: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    error: StepError | None = None
    next_attempt_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Run(msgspec.Struct, kw_only=True):
    """A run with its steps in plan order. The ETag is `version`, which grows with every event."""

    id: uuid.UUID
    namespace: str
    workflow: str
    workflow_id: uuid.UUID
    workflow_version: int
    state: RunState
    priority: int
    inputs: dict[str, Any]
    version: int
    created_at: datetime
    created_by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    result_digest: str | None = None
    steps: list[RunStep] = msgspec.field(default_factory=list)


class RunSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    namespace: str
    workflow: str
    workflow_version: int
    state: RunState
    priority: int
    version: int
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


class RunPage(msgspec.Struct, kw_only=True):
    """Runs newest first; pass `next_cursor` back as `cursor` for older ones."""

    items: list[RunSummary]
    next_cursor: str | None


class RunEvent(msgspec.Struct, kw_only=True):
    """One thing that happened to a run; `seq` orders them and is the SSE event id."""

    seq: int
    occurred_at: datetime
    type: str
    step: str | None = None
    attempt: int | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class RunEventMessage(msgspec.Struct, kw_only=True):
    """One server-sent event of a run's stream, field by field. OpenAPI 3.1 has the schema of a
    text/event-stream describe each event, so clients and fuzzers check every event against this."""

    id: Annotated[str, msgspec.Meta(pattern="^[0-9]+$", description="The event's seq; send it back as Last-Event-ID.")]
    event: Annotated[str, msgspec.Meta(description="The event's type: run.created, step.succeeded, ...")]
    data: Annotated[str, msgspec.Meta(description="The RunEvent as JSON.")]


class RunEventPage(msgspec.Struct, kw_only=True):
    items: list[RunEvent]


AttemptOutcome = Literal["succeeded", "failed", "lost"]


class TraceAttempt(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One step attempt as the trace records it.

    `seq` is when its result was recorded, `started_seq` when it started: replay checks both
    orders. Digests are SHA-256 of canonical JSON (sorted keys, no whitespace).
    """

    seq: int
    started_seq: int
    step: str
    attempt: int
    outcome: AttemptOutcome
    input: dict[str, Any]
    input_digest: str
    duration_ms: int
    output: dict[str, Any] | None = None
    output_digest: str | None = None
    error: StepError | None = None
    retry_delay_ms: int | None = None


class RunTrace(msgspec.Struct, kw_only=True):
    run: uuid.UUID
    workflow: str
    workflow_id: uuid.UUID
    workflow_version: int
    state: RunState
    inputs: dict[str, Any]
    inputs_digest: str
    plan: list[str]
    steps: dict[str, StepState]
    skipped: list[str]
    attempts: list[TraceAttempt]
    result_digest: str | None = None


class Divergence(msgspec.Struct, kw_only=True):
    """Where a replay first disagreed with the record: `index` into the trace's attempts
    (or null for the run's final state), the step, the field, and both values."""

    index: int | None
    step: str | None
    field: str
    expected: Any
    got: Any


class ReplayReport(msgspec.Struct, kw_only=True):
    run: uuid.UUID
    verified: bool
    complete: bool
    attempts_replayed: int
    order: list[str]
    result_digest: str | None
    divergence: Divergence | None = None


class TraceDifference(msgspec.Struct, kw_only=True):
    step: str | None
    attempt: int | None
    field: str
    left: Any
    right: Any


class TraceDiff(msgspec.Struct, kw_only=True):
    left: uuid.UUID
    right: uuid.UUID
    workflow: str
    identical: bool
    differences: list[TraceDifference]


Admission = Literal["normal", "drain", "freeze"]


class SchedulerStatus(msgspec.Struct, kw_only=True):
    """The admission mode (ETag: `version`) and what the scheduler holds right now."""

    mode: Admission
    reason: str
    version: int
    updated_at: datetime
    updated_by: str | None
    pending_runs: int
    active_runs: int
    workers: list[str]


class SchedulerUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mode: Admission
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""
