"""A circuit breaker per executor target, as pure transitions that take `now` explicitly.

Pure (no I/O, no clock): the state is a small immutable Struct that can be stored anywhere
(Redis, shared by every worker, compare-and-set on `generation`) and every function returns
the next state. Time is integer milliseconds from one clock (use Redis `TIME` when workers on
several hosts share a breaker, so that their clocks need not agree).

States and moves:
  closed     calls pass. A failure counts; a success resets the count. The
             `failure_threshold`-th consecutive failure opens the breaker.
  open       calls are rejected (fail fast, error kind `circuit_open`) until
             `opened_at_ms + reset_timeout_ms`; the first call after that becomes the probe
             and moves the breaker to half_open.
  half_open  exactly one probe is in flight; every other call is rejected. The probe's success
             closes the breaker, its failure opens it again (from now). A probe that has not
             reported by `probe_deadline_ms` counts as failed: the breaker is open again as
             from that deadline, so the next probe comes one reset timeout later.

Every change of status bumps `generation`, and each admitted call carries the generation it
was admitted in. An outcome reported for another generation is ignored: a slow call admitted
before the breaker opened cannot close it, and a probe that reports after its deadline cannot
either. Functions return the very same object when nothing changed, so a caller that stores
the state can skip the write (and compare-and-set on `generation` and `failures` when it does).
"""

from __future__ import annotations

from typing import Literal

import msgspec

BreakerStatus = Literal["closed", "open", "half_open"]


class BreakerConfig(msgspec.Struct, frozen=True, kw_only=True):
    failure_threshold: int = 5
    reset_timeout_ms: int = 30_000
    probe_timeout_ms: int = 10_000

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.reset_timeout_ms < 0 or self.probe_timeout_ms < 1:
            raise ValueError("failure_threshold >= 1, reset_timeout_ms >= 0 and probe_timeout_ms >= 1 are required")


class BreakerState(msgspec.Struct, frozen=True, kw_only=True):
    status: BreakerStatus = "closed"
    generation: int = 0
    failures: int = 0  # consecutive failures while closed
    opened_at_ms: int = 0  # open: since when
    probe_deadline_ms: int = 0  # half_open: when the probe in flight counts as failed


CLOSED = BreakerState()


class Admission(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a call may go ahead. Report its outcome with `generation`."""

    allowed: bool
    probe: bool = False
    generation: int = 0
    retry_after_ms: int = 0  # when rejected: how long until a call could be admitted


def settle(config: BreakerConfig, state: BreakerState, now_ms: int) -> BreakerState:
    """The state with elapsed deadlines applied: an overdue probe has failed.

    The only move time makes on its own; open -> half_open needs a caller (the probe), so it
    happens in `admit`.
    """
    if state.status == "half_open" and now_ms >= state.probe_deadline_ms:
        return BreakerState(
            status="open",
            generation=state.generation + 1,
            failures=state.failures,
            opened_at_ms=state.probe_deadline_ms,
        )
    return state


def admit(config: BreakerConfig, state: BreakerState, now_ms: int) -> tuple[BreakerState, Admission]:
    """Ask to make a call at `now_ms`: the next state and the answer."""
    state = settle(config, state, now_ms)
    if state.status == "closed":
        return state, Admission(allowed=True, generation=state.generation)
    if state.status == "open":
        reopens_at = state.opened_at_ms + config.reset_timeout_ms
        if now_ms < reopens_at:
            return state, Admission(allowed=False, generation=state.generation, retry_after_ms=reopens_at - now_ms)
        probing = BreakerState(
            status="half_open",
            generation=state.generation + 1,
            failures=state.failures,
            opened_at_ms=state.opened_at_ms,
            probe_deadline_ms=now_ms + config.probe_timeout_ms,
        )
        return probing, Admission(allowed=True, probe=True, generation=probing.generation)
    # half_open with its probe still in time
    return state, Admission(
        allowed=False, generation=state.generation, retry_after_ms=max(1, state.probe_deadline_ms - now_ms)
    )


def record_success(config: BreakerConfig, state: BreakerState, generation: int, now_ms: int) -> BreakerState:
    """A call admitted in `generation` succeeded."""
    state = settle(config, state, now_ms)
    if generation != state.generation:
        return state
    if state.status == "half_open":
        return BreakerState(status="closed", generation=state.generation + 1)
    if state.status == "closed" and state.failures:
        return BreakerState(status="closed", generation=state.generation)
    return state


def record_failure(config: BreakerConfig, state: BreakerState, generation: int, now_ms: int) -> BreakerState:
    """A call admitted in `generation` failed (errors that say nothing of the target's health,
    such as invalid input, should not be recorded at all)."""
    state = settle(config, state, now_ms)
    if generation != state.generation:
        return state
    if state.status == "half_open":
        return BreakerState(
            status="open", generation=state.generation + 1, failures=state.failures, opened_at_ms=now_ms
        )
    if state.status == "closed":
        failures = state.failures + 1
        if failures >= config.failure_threshold:
            return BreakerState(status="open", generation=state.generation + 1, failures=failures, opened_at_ms=now_ms)
        return BreakerState(status="closed", generation=state.generation, failures=failures)
    return state
