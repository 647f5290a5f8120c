"""Workflow manifests, the executor registry and the workflow resource as the API shows it.

A manifest is what a tenant writes (YAML or JSON); `spec` is what runs. The Structs here are
the single source of truth for the manifest's shape: `workflows.manifest` checks raw documents
against them field by field (so that every error is reported at once, with its path), and
`workflows.validation` adds the rules that span fields (graph, references, executors' inputs).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from fluxforge.tenancy.models import Labels

API_VERSION = "fluxforge.dev/v1"
KIND = "Workflow"

# Limits: large enough for real pipelines, small enough that validating, storing and planning
# a manifest stays cheap on the request path.
MAX_MANIFEST_BYTES = 256 * 1024
MAX_STEPS = 200
MAX_INPUTS = 64
MAX_WITH_FIELDS = 100
MAX_VALUE_DEPTH = 16
MIN_TIMEOUT_SECONDS = 0.001
MAX_TIMEOUT_SECONDS = 86_400.0
DEFAULT_TIMEOUT_SECONDS = 300.0
MAX_ATTEMPTS = 20
MAX_DELAY_SECONDS = 3_600.0

STEP_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
INPUT_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

WorkflowName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=63,
        pattern=DNS_LABEL_PATTERN,
        description="A DNS label: lowercase letters, digits and hyphens; unique among the namespace's workflows.",
        examples=["nightly-report"],
    ),
]
StepId = Annotated[
    str,
    msgspec.Meta(
        pattern=STEP_ID_PATTERN,
        description="1-63 characters: lowercase letters, digits, '_' and '-', starting with a letter. "
        "Referenced as `${{ steps.<id>.outputs.<field> }}`.",
        examples=["fetch"],
    ),
]
InputName = Annotated[
    str, msgspec.Meta(pattern=INPUT_NAME_PATTERN, description="Referenced as `${{ inputs.<name> }}`.")
]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=MAX_DELAY_SECONDS)]
Description = Annotated[str, msgspec.Meta(max_length=1000)]

# What went wrong in a step attempt, as executors and the scheduler classify it. The retry
# policy filters on these; `invalid_input` is never retried (the same input fails the same way).
ErrorKind = Literal[
    "timeout",  # the attempt outlived the step's timeout
    "connection",  # the target could not be reached (refused, reset, DNS)
    "http_5xx",  # the target answered with a server error
    "http_429",  # the target asked us to slow down
    "http_4xx",  # the target refused the request (other 4xx)
    "circuit_open",  # the target's circuit breaker is open: the attempt was not made
    "agent_unavailable",  # no agent of that name is connected
    "executor_error",  # the executor raised: a bug or an unexpected answer
    "invalid_input",  # `with` could not be resolved or is unfit for the executor
]
ERROR_KINDS: tuple[str, ...] = ErrorKind.__args__  # type: ignore[attr-defined]
NEVER_RETRIED: frozenset[str] = frozenset({"invalid_input"})
DEFAULT_RETRY_ON: tuple[ErrorKind, ...] = (
    "timeout",
    "connection",
    "http_5xx",
    "http_429",
    "circuit_open",
    "agent_unavailable",
)

Backoff = Literal["linear", "exponential"]
InputType = Literal["string", "integer", "number", "boolean", "object", "array", "any"]


class RetryPolicy(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """How often and how patiently a failed step is tried again.

    The n-th retry waits `initial_delay_seconds * n` (linear) or `initial_delay_seconds * 2**(n-1)`
    (exponential), capped at `max_delay_seconds`, then shortened by up to `jitter` of itself
    (drawn deterministically per run, step and attempt, so a replay waits the same).
    """

    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=MAX_ATTEMPTS, description="Attempts in all (1: no retry).")] = 1
    backoff: Backoff = "exponential"
    initial_delay_seconds: Seconds = 1.0
    max_delay_seconds: Seconds = 60.0
    jitter: Annotated[float, msgspec.Meta(ge=0, le=1, description="Fraction of a delay that is randomised.")] = 0.2
    retry_on: Annotated[
        list[ErrorKind], msgspec.Meta(max_length=len(ERROR_KINDS), description="Error kinds worth another attempt.")
    ] = msgspec.field(default_factory=lambda: list(DEFAULT_RETRY_ON))


class WorkflowStep(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    id: StepId
    uses: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=80,
            description="The executor: `http`, `sleep`, `echo`, `emit`, or `agent:<name>` for a remote agent.",
        ),
    ]
    with_: Annotated[
        dict[str, Any],
        msgspec.Meta(
            max_length=MAX_WITH_FIELDS,
            description="The executor's inputs. Strings may hold `${{ inputs.<name> }}` and "
            "`${{ steps.<id>.outputs.<field> }}` (only of steps upstream through `needs`).",
        ),
    ] = msgspec.field(default_factory=dict, name="with")
    needs: Annotated[list[StepId], msgspec.Meta(max_length=MAX_STEPS, description="Steps that must succeed first.")] = (
        msgspec.field(default_factory=list)
    )
    retry: RetryPolicy = msgspec.field(default_factory=RetryPolicy)
    timeout_seconds: Annotated[
        float,
        msgspec.Meta(
            ge=MIN_TIMEOUT_SECONDS, le=MAX_TIMEOUT_SECONDS, description="Longest one attempt may take (seconds)."
        ),
    ] = DEFAULT_TIMEOUT_SECONDS
    description: Description | None = None


class WorkflowInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A workflow input: runs pass it, steps read it as `${{ inputs.<name> }}`."""

    name: InputName
    type: InputType = "string"
    required: bool = False
    default: Any = msgspec.UNSET
    description: Description | None = None


class WorkflowSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    steps: Annotated[list[WorkflowStep], msgspec.Meta(min_length=1, max_length=MAX_STEPS)]
    inputs: Annotated[list[WorkflowInput], msgspec.Meta(max_length=MAX_INPUTS)] = msgspec.field(default_factory=list)
    description: Description | None = None


class WorkflowMetadata(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    name: WorkflowName
    labels: Labels = msgspec.field(default_factory=dict)


class WorkflowManifest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A workflow as written: `apiVersion: fluxforge.dev/v1`, `kind: Workflow`, metadata and spec."""

    api_version: Literal["fluxforge.dev/v1"] = msgspec.field(name="apiVersion")
    kind: Literal["Workflow"]
    metadata: WorkflowMetadata
    spec: WorkflowSpec


# --- the executor registry: the one place that knows which executors exist -----------------

JsonType = Literal["string", "number", "integer", "boolean", "object", "array", "null"]


class WithField(msgspec.Struct, frozen=True, kw_only=True):
    """One input an executor understands; checked when the manifest gives it a literal value."""

    name: str
    types: tuple[JsonType, ...]
    required: bool = False
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None


class ExecutorSpec(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    description: str
    fields: tuple[WithField, ...] = ()
    open: bool = False  # accepts fields beyond `fields`
    remote: bool = False  # runs on a tenant's agent, not in the worker


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
AGENT_PREFIX = "agent:"
EXECUTORS: Mapping[str, ExecutorSpec] = {
    "http": ExecutorSpec(
        name="http",
        description="Calls a URL; outputs status, headers and body (parsed when JSON).",
        fields=(
            WithField(name="url", types=("string",), required=True, pattern=r"^https?://"),
            WithField(name="method", types=("string",), required=True, choices=HTTP_METHODS),
            WithField(name="headers", types=("object",)),
            WithField(name="body", types=("string", "number", "integer", "boolean", "object", "array", "null")),
        ),
    ),
    "sleep": ExecutorSpec(
        name="sleep",
        description="Waits; outputs how long it slept.",
        fields=(
            WithField(
                name="seconds", types=("number", "integer"), required=True, minimum=0, maximum=MAX_TIMEOUT_SECONDS
            ),
        ),
    ),
    "echo": ExecutorSpec(name="echo", description="Outputs its (resolved) inputs unchanged.", open=True),
    "emit": ExecutorSpec(
        name="emit",
        description="Publishes an event of `type` with `data`; outputs the event's id.",
        fields=(
            WithField(name="type", types=("string",), required=True, pattern=r"^[a-z][a-z0-9_.-]{0,127}$"),
            WithField(name="data", types=("string", "number", "integer", "boolean", "object", "array", "null")),
        ),
    ),
}
AGENT_EXECUTOR = ExecutorSpec(
    name="agent", description="Runs on the tenant's agent of that name, with any inputs.", open=True, remote=True
)
_AGENT_NAME = re.compile(DNS_LABEL_PATTERN)


def executor_of(uses: str) -> ExecutorSpec | None:
    """The executor a step's `uses` names, or None when there is no such executor."""
    if uses.startswith(AGENT_PREFIX):
        name = uses[len(AGENT_PREFIX) :]
        return AGENT_EXECUTOR if len(name) <= 63 and _AGENT_NAME.match(name) else None
    return EXECUTORS.get(uses)


# --- the workflow resource ----------------------------------------------------------------

WorkflowStatus = Literal["active", "deleted"]


class Workflow(msgspec.Struct, kw_only=True):
    """A workflow at one version: `version` is what it shows, `latest_version` the newest.

    The ETag is `version`; updates send it back in If-Match.
    """

    id: uuid.UUID
    namespace: str
    name: str
    labels: dict[str, str]
    version: int
    latest_version: int
    digest: str
    spec: WorkflowSpec
    status: WorkflowStatus
    created_at: datetime
    updated_at: datetime
    version_created_at: datetime
    version_created_by: str | None
    deleted_at: datetime | None = None


class WorkflowCreation(msgspec.Struct, frozen=True):
    """What creating a workflow did: made it (`new`), or found a live one with exactly this manifest."""

    workflow: Workflow
    new: bool


class WorkflowSummary(msgspec.Struct, kw_only=True):
    """A workflow in lists and audit events: its latest version, without the spec."""

    id: uuid.UUID
    namespace: str
    name: str
    labels: dict[str, str]
    version: int
    digest: str
    steps: int
    status: WorkflowStatus
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class WorkflowPage(msgspec.Struct, kw_only=True):
    items: list[WorkflowSummary]
    next_cursor: str | None


class WorkflowVersion(msgspec.Struct, kw_only=True):
    """One immutable version; runs pin (workflow id, version)."""

    version: int
    digest: str
    steps: int
    created_at: datetime
    created_by: str | None


class WorkflowVersionPage(msgspec.Struct, kw_only=True):
    """Versions newest first; pass `next_cursor` back as `cursor` for older ones."""

    items: list[WorkflowVersion]
    next_cursor: str | None


class ValidationResult(msgspec.Struct, kw_only=True):
    """A manifest that passed every check, as it would be stored (defaults filled in)."""

    valid: bool
    digest: str
    order: list[str]
    manifest: WorkflowManifest
