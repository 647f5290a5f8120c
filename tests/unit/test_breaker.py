"""The circuit breaker's state machine (fluxforge.scheduler.breaker), by example and by property."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluxforge.scheduler import breaker
from fluxforge.scheduler.breaker import CLOSED, Admission, BreakerConfig, BreakerState

CONFIG = BreakerConfig(failure_threshold=3, reset_timeout_ms=1000, probe_timeout_ms=200)


def fail_times(state: BreakerState, times: int, now: int) -> BreakerState:
    for _ in range(times):
        state, admission = breaker.admit(CONFIG, state, now)
        assert admission.allowed
        state = breaker.record_failure(CONFIG, state, admission.generation, now)
    return state


def test_opens_after_the_threshold_of_consecutive_failures() -> None:
    state = fail_times(CLOSED, 2, 0)
    assert (state.status, state.failures) == ("closed", 2)
    state, ok = breaker.admit(CONFIG, state, 1)
    state = breaker.record_success(CONFIG, state, ok.generation, 1)
    assert (state.status, state.failures) == ("closed", 0)  # not consecutive any more
    state = fail_times(state, 3, 5)
    assert (state.status, state.opened_at_ms) == ("open", 5)


def test_open_rejects_until_the_reset_timeout_then_admits_one_probe() -> None:
    state = fail_times(CLOSED, 3, 0)
    same, rejected = breaker.admit(CONFIG, state, 999)
    assert same is state
    assert rejected == Admission(allowed=False, generation=state.generation, retry_after_ms=1)
    state, probe = breaker.admit(CONFIG, state, 1000)
    assert probe.allowed
    assert probe.probe
    assert (state.status, state.probe_deadline_ms) == ("half_open", 1200)
    state, second = breaker.admit(CONFIG, state, 1100)
    assert not second.allowed
    assert second.retry_after_ms == 100
    closed = breaker.record_success(CONFIG, state, probe.generation, 1150)
    assert closed.status == "closed"
    assert closed.failures == 0


def test_a_failed_probe_opens_again_from_now() -> None:
    state = fail_times(CLOSED, 3, 0)
    state, probe = breaker.admit(CONFIG, state, 1500)
    state = breaker.record_failure(CONFIG, state, probe.generation, 1600)
    assert (state.status, state.opened_at_ms) == ("open", 1600)
    assert not breaker.admit(CONFIG, state, 2599)[1].allowed
    assert breaker.admit(CONFIG, state, 2600)[1].probe


def test_an_overdue_probe_counts_as_failed_as_of_its_deadline() -> None:
    state = fail_times(CLOSED, 3, 0)
    state, probe = breaker.admit(CONFIG, state, 1000)
    overdue = breaker.settle(CONFIG, state, 1200)
    assert (overdue.status, overdue.opened_at_ms) == ("open", 1200)
    assert not breaker.admit(CONFIG, state, 1300)[1].allowed  # reopens at 1200 + 1000
    # Its late success cannot close the breaker: it belongs to a past generation.
    late = breaker.record_success(CONFIG, state, probe.generation, 1250)
    assert late.status == "open"
    # Long after, the next call is the next probe straight away.
    again, next_probe = breaker.admit(CONFIG, state, 5000)
    assert next_probe.probe
    assert again.status == "half_open"


def test_outcomes_of_an_earlier_generation_are_ignored() -> None:
    state, slow = breaker.admit(CONFIG, CLOSED, 0)
    state = fail_times(state, 3, 1)
    assert state.status == "open"
    assert breaker.record_success(CONFIG, state, slow.generation, 2) is state
    state, probe = breaker.admit(CONFIG, state, 2000)
    assert breaker.record_success(CONFIG, state, slow.generation, 2001) is state
    assert breaker.record_failure(CONFIG, state, slow.generation, 2001) is state
    state = breaker.record_success(CONFIG, state, probe.generation, 2002)
    assert state.status == "closed"
    # A failure from before the breaker closed again does not count towards opening it.
    assert breaker.record_failure(CONFIG, state, probe.generation, 2003) is state


def test_config_is_checked_and_state_round_trips_for_storage() -> None:
    with pytest.raises(ValueError, match="failure_threshold >= 1"):
        BreakerConfig(failure_threshold=0)
    state = fail_times(CLOSED, 3, 7)
    assert msgspec.json.decode(msgspec.json.encode(state), type=BreakerState) == state


# --- properties -------------------------------------------------------------------------------

operations = st.lists(
    st.tuples(
        st.sampled_from(["admit", "success", "failure", "wait"]),
        st.integers(0, 700),  # time that passes before the operation
        st.integers(0, 10),  # which outstanding call reports (for success/failure)
    ),
    max_size=80,
)
configs = st.builds(
    BreakerConfig,
    failure_threshold=st.integers(1, 4),
    reset_timeout_ms=st.integers(0, 1500),
    probe_timeout_ms=st.integers(1, 500),
)


@settings(max_examples=400)
@given(configs, operations)
def test_invariants_hold_under_any_sequence_of_calls(config: BreakerConfig, ops: list[tuple[str, int, int]]) -> None:
    state, now = CLOSED, 0
    outstanding: list[Admission] = []
    probes_by_generation: dict[int, int] = {}
    consecutive_failures = 0  # as a closed breaker should count them
    for op, elapsed, pick in ops:
        now += elapsed
        before = state
        if op == "admit":
            state, admission = breaker.admit(config, state, now)
            settled = breaker.settle(config, before, now)
            if admission.allowed:
                outstanding.append(admission)
                # Only a closed breaker lets calls through, apart from one probe per half-open period.
                assert settled.status == "closed" or admission.probe
                if admission.probe:
                    assert settled.status == "open"
                    assert now >= settled.opened_at_ms + config.reset_timeout_ms
                    probes_by_generation[admission.generation] = probes_by_generation.get(admission.generation, 0) + 1
                    assert probes_by_generation[admission.generation] == 1
                    assert state.status == "half_open"
                    assert state.probe_deadline_ms == now + config.probe_timeout_ms
            else:
                assert admission.retry_after_ms > 0
                assert settled.status != "closed"
                assert state == settled
        elif op in ("success", "failure") and outstanding:
            call = outstanding.pop(pick % len(outstanding))
            record = breaker.record_success if op == "success" else breaker.record_failure
            state = record(config, state, call.generation, now)
            settled = breaker.settle(config, before, now)
            if call.generation != settled.generation:
                assert state == settled  # stale outcomes change nothing
            elif settled.status == "closed":
                consecutive_failures = 0 if op == "success" else consecutive_failures + 1
                expected = "open" if consecutive_failures >= config.failure_threshold else "closed"
                assert state.status == expected
                if expected == "open":
                    assert state.opened_at_ms == now
                    consecutive_failures = 0
            elif settled.status == "half_open":
                assert state.status == ("closed" if op == "success" else "open")
                consecutive_failures = 0
        # Always: generations only grow, and they change exactly when the status does.
        assert state.generation >= before.generation
        if state.status == "closed":
            assert state.failures < config.failure_threshold
            assert state.failures == consecutive_failures
        if state.status == "half_open":
            assert state.probe_deadline_ms > 0
    settled = breaker.settle(config, state, now + config.probe_timeout_ms)
    assert settled.status in ("closed", "open")  # no probe outlives its deadline


@given(configs, st.integers(0, 10_000))
def test_an_open_breaker_always_admits_exactly_one_probe_after_the_reset_timeout(
    config: BreakerConfig, opened_at: int
) -> None:
    state = BreakerState(status="open", generation=4, failures=config.failure_threshold, opened_at_ms=opened_at)
    moment = opened_at + config.reset_timeout_ms
    state, first = breaker.admit(config, state, moment)
    assert first.probe
    assert first.generation == 5
    for later in range(moment, moment + config.probe_timeout_ms, max(1, config.probe_timeout_ms // 7)):
        state, other = breaker.admit(config, state, later)
        assert not other.allowed
