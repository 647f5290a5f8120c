"""The run and step state machines: every legal move listed once, every other move refused.

Pure. `run_transition(state, event)` and `step_transition(state, event)` return the next state
or raise IllegalTransition (a 409 Conflict when it reaches the API, e.g. cancelling a finished
run). Writers of run and step state go through these functions, so the tables below are the
whole truth about what can follow what.

Runs
  pending     stored by the API, waiting for a worker.
  running     a worker owns it (through its lease) and executes steps.
  cancelling  cancellation was asked for while running; the owner stops its steps.
  succeeded   every step succeeded.                                   (terminal)
  failed      a step failed for good, or the run could not go on.     (terminal)
  cancelled   stopped on request.                                     (terminal)

  pending    --start-->    running       a worker took the run
  pending    --cancel-->   cancelled     nothing ran, so nothing to stop
  pending    --fail-->     failed        refused before any step ran (e.g. its workflow version is unusable)
  running    --resume-->   running       another worker took over after the owner's lease expired
  running    --succeed-->  succeeded
  running    --fail-->     failed
  running    --cancel-->   cancelling
  cancelling --cancel-->   cancelling    asking again changes nothing
  cancelling --resume-->   cancelling    a new owner finishes the cancellation
  cancelling --cancelled-> cancelled     the owner stopped every step
  cancelling --succeed-->  succeeded     the last step finished before the cancellation took effect
  cancelling --fail-->     failed        likewise for a failure

Steps
  pending        waiting for its needs.
  running        an attempt is under way.
  waiting_retry  an attempt failed with a retryable error; the next waits for its backoff.
  succeeded      an attempt succeeded; its outputs are recorded.      (terminal)
  failed         the last attempt failed and no retry is left.        (terminal)
  skipped        never ran, because a step it needs did not succeed.  (terminal)
  cancelled      stopped because the run was cancelled.               (terminal)

  pending       --start-->    running
  pending       --skip-->     skipped
  pending       --cancel-->   cancelled
  running       --succeed-->  succeeded
  running       --retry-->    waiting_retry
  running       --fail-->     failed        (also a timeout with no retry left)
  running       --restart-->  running       the attempt's owner was lost; the new owner runs it again
  running       --cancel-->   cancelled
  waiting_retry --start-->    running       the backoff elapsed
  waiting_retry --cancel-->   cancelled
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from fluxforge.errors import Conflict

RunState = Literal["pending", "running", "cancelling", "succeeded", "failed", "cancelled"]
RunEvent = Literal["start", "resume", "succeed", "fail", "cancel", "cancelled"]
StepState = Literal["pending", "running", "waiting_retry", "succeeded", "failed", "skipped", "cancelled"]
StepEvent = Literal["start", "succeed", "retry", "fail", "restart", "skip", "cancel"]

RUN_STATES: tuple[RunState, ...] = RunState.__args__  # type: ignore[attr-defined]
RUN_EVENTS: tuple[RunEvent, ...] = RunEvent.__args__  # type: ignore[attr-defined]
STEP_STATES: tuple[StepState, ...] = StepState.__args__  # type: ignore[attr-defined]
STEP_EVENTS: tuple[StepEvent, ...] = StepEvent.__args__  # type: ignore[attr-defined]

RUN_TRANSITIONS: Mapping[tuple[RunState, RunEvent], RunState] = {
    ("pending", "start"): "running",
    ("pending", "cancel"): "cancelled",
    ("pending", "fail"): "failed",
    ("running", "resume"): "running",
    ("running", "succeed"): "succeeded",
    ("running", "fail"): "failed",
    ("running", "cancel"): "cancelling",
    ("cancelling", "cancel"): "cancelling",
    ("cancelling", "resume"): "cancelling",
    ("cancelling", "cancelled"): "cancelled",
    ("cancelling", "succeed"): "succeeded",
    ("cancelling", "fail"): "failed",
}
STEP_TRANSITIONS: Mapping[tuple[StepState, StepEvent], StepState] = {
    ("pending", "start"): "running",
    ("pending", "skip"): "skipped",
    ("pending", "cancel"): "cancelled",
    ("running", "succeed"): "succeeded",
    ("running", "retry"): "waiting_retry",
    ("running", "fail"): "failed",
    ("running", "restart"): "running",
    ("running", "cancel"): "cancelled",
    ("waiting_retry", "start"): "running",
    ("waiting_retry", "cancel"): "cancelled",
}

TERMINAL_RUN_STATES: frozenset[RunState] = frozenset({"succeeded", "failed", "cancelled"})
TERMINAL_STEP_STATES: frozenset[StepState] = frozenset({"succeeded", "failed", "skipped", "cancelled"})


class IllegalTransition(Conflict):
    """A move the state machine does not allow; answers 409 when it reaches the API."""

    def __init__(self, machine: Literal["run", "step"], state: str, event: str) -> None:
        super().__init__(f"a {machine} that is {state} cannot {event}")
        self.machine = machine
        self.state = state
        self.event = event


def run_transition(state: RunState, event: RunEvent) -> RunState:
    try:
        return RUN_TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition("run", state, event) from None


def step_transition(state: StepState, event: StepEvent) -> StepState:
    try:
        return STEP_TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition("step", state, event) from None


def is_terminal_run(state: RunState) -> bool:
    return state in TERMINAL_RUN_STATES


def is_terminal_step(state: StepState) -> bool:
    return state in TERMINAL_STEP_STATES


def run_outcome(step_states: Iterable[StepState]) -> Literal["succeed", "fail", "cancelled"] | None:
    """The event that finishes a run once all its steps are terminal; None while any is not.

    All succeeded: succeed. Any cancelled (and none failed): cancelled. Otherwise (a step
    failed, or was skipped because one did): fail.
    """
    states = list(step_states)
    if not all(s in TERMINAL_STEP_STATES for s in states):
        return None
    if all(s == "succeeded" for s in states):
        return "succeed"
    if "failed" not in states and "cancelled" in states:
        return "cancelled"
    return "fail"
