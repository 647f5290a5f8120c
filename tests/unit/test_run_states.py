"""The run and step state machines (fluxforge.runs.states)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.errors import Conflict
from fluxforge.runs import states
from fluxforge.runs.states import IllegalTransition


def reachable(start: str, table: Mapping[tuple[str, str], str]) -> set[str]:
    seen, pending = {start}, [start]
    while pending:
        state = pending.pop()
        for (source, _), target in table.items():
            if source == state and target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


@pytest.mark.parametrize(
    ("all_states", "all_events", "table", "transition", "terminal", "machine"),
    [
        (
            states.RUN_STATES,
            states.RUN_EVENTS,
            states.RUN_TRANSITIONS,
            states.run_transition,
            states.TERMINAL_RUN_STATES,
            "run",
        ),
        (
            states.STEP_STATES,
            states.STEP_EVENTS,
            states.STEP_TRANSITIONS,
            states.step_transition,
            states.TERMINAL_STEP_STATES,
            "step",
        ),
    ],
)
def test_every_move_is_either_listed_or_refused(
    all_states: tuple[str, ...],
    all_events: tuple[str, ...],
    table: Mapping[tuple[str, str], str],
    transition: Callable[[str, str], str],
    terminal: frozenset[str],
    machine: str,
) -> None:
    for state in all_states:
        for event in all_events:
            if (state, event) in table:
                assert transition(state, event) == table[(state, event)]
            else:
                with pytest.raises(IllegalTransition) as caught:
                    transition(state, event)
                assert isinstance(caught.value, Conflict)
                assert caught.value.status == 409
                assert caught.value.detail == f"a {machine} that is {state} cannot {event}"
                assert (caught.value.machine, caught.value.state, caught.value.event) == (machine, state, event)
    # Terminal states have no way out; every state is reachable from pending and can finish.
    assert not [key for key in table if key[0] in terminal]
    assert reachable("pending", table) == set(all_states)
    for state in all_states:
        assert reachable(state, table) & terminal, state
    assert set(table.values()) <= set(all_states)


def test_the_run_lifecycle() -> None:
    t = states.run_transition
    assert t(t(t("pending", "start"), "resume"), "succeed") == "succeeded"
    assert t("pending", "cancel") == "cancelled"
    assert t(t(t("running", "cancel"), "cancel"), "cancelled") == "cancelled"
    assert t("cancelling", "succeed") == "succeeded"
    for finished in ("succeeded", "failed", "cancelled"):
        with pytest.raises(IllegalTransition, match=f"a run that is {finished} cannot cancel"):
            t(finished, "cancel")


def test_the_step_lifecycle() -> None:
    t = states.step_transition
    assert t(t(t(t("pending", "start"), "retry"), "start"), "succeed") == "succeeded"
    assert t(t("pending", "start"), "restart") == "running"
    assert t("waiting_retry", "cancel") == "cancelled"
    with pytest.raises(IllegalTransition):
        t("succeeded", "restart")  # a completed step never runs again
    with pytest.raises(IllegalTransition):
        t("waiting_retry", "succeed")


@given(st.lists(st.sampled_from(states.RUN_EVENTS), max_size=20))
def test_runs_never_leave_a_terminal_state(events: list[states.RunEvent]) -> None:
    state: states.RunState = "pending"
    for event in events:
        was_terminal = states.is_terminal_run(state)
        try:
            state = states.run_transition(state, event)
        except IllegalTransition:
            continue
        assert not was_terminal
        assert state in states.RUN_STATES


@given(st.lists(st.sampled_from(states.STEP_EVENTS), max_size=20))
def test_steps_never_leave_a_terminal_state(events: list[states.StepEvent]) -> None:
    state: states.StepState = "pending"
    for event in events:
        was_terminal = states.is_terminal_step(state)
        try:
            state = states.step_transition(state, event)
        except IllegalTransition:
            continue
        assert not was_terminal
        assert state in states.STEP_STATES


@given(st.lists(st.sampled_from(states.STEP_STATES), min_size=1, max_size=10))
def test_run_outcome(step_states: list[states.StepState]) -> None:
    outcome = states.run_outcome(step_states)
    if any(not states.is_terminal_step(s) for s in step_states):
        assert outcome is None
    elif all(s == "succeeded" for s in step_states):
        assert outcome == "succeed"
    elif "failed" in step_states:
        assert outcome == "fail"
    elif "cancelled" in step_states:
        assert outcome == "cancelled"
    else:
        assert outcome == "fail"  # skipped without a failure: the run cannot have succeeded


def test_run_outcome_examples() -> None:
    assert states.run_outcome(["succeeded", "succeeded"]) == "succeed"
    assert states.run_outcome(["succeeded", "failed", "skipped"]) == "fail"
    assert states.run_outcome(["succeeded", "cancelled", "skipped"]) == "cancelled"
    assert states.run_outcome(["succeeded", "waiting_retry"]) is None
