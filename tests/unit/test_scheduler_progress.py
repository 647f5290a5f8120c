"""Property tests of the engine's decisions (runs.progress) and of replay (runs.logic):
whole runs of random DAGs with random attempt outcomes, walked to the end without I/O."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from fluxforge.runs import logic, progress
from fluxforge.runs.models import RunEvent
from fluxforge.workflows.models import ErrorKind, WorkflowSpec

KINDS: list[ErrorKind] = ["http_5xx", "timeout", "invalid_input"]


@st.composite
def specs(draw: st.DrawFn) -> WorkflowSpec:
    count = draw(st.integers(1, 7))
    steps: list[dict[str, Any]] = []
    for i in range(count):
        needs = sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else []
        with_: dict[str, Any] = {"i": i}
        if needs:
            with_["up"] = f"${{{{ steps.s{needs[0]}.outputs.i }}}}"
        steps.append(
            {
                "id": f"s{i}",
                "uses": "echo",
                "needs": [f"s{n}" for n in needs],
                "with": with_,
                "retry": {"max_attempts": draw(st.integers(1, 3)), "initial_delay_seconds": 0.01},
            }
        )
    order = draw(st.permutations(steps))  # declaration order need not be topological
    return msgspec.convert({"steps": list(order)}, WorkflowSpec)


class Simulation:
    """An owner that records every write as events, and an executor that answers at random."""

    def __init__(self, spec: WorkflowSpec, rng: random.Random, *, fail_rate: float, lose_rate: float = 0.0) -> None:
        self.run_id = uuid.uuid4()
        self.model = progress.model(self.run_id, spec, {})
        self.views = {v.id: v for v in progress.initial_views(spec)}
        self.rng = rng
        self.fail_rate = fail_rate
        self.lose_rate = lose_rate
        self.events: list[RunEvent] = []
        self.in_flight: list[str] = []
        self.now = 1_000
        self.final: progress.Advance | None = None
        self.starts: list[tuple[str, int]] = []

    def record(self, advance: progress.Advance) -> None:
        base = len(self.events)
        at = datetime.now(UTC)
        for i, event in enumerate(advance.events, start=1):
            self.events.append(
                RunEvent(
                    seq=base + i,
                    occurred_at=at,
                    type=event.type,
                    step=event.step,
                    attempt=event.attempt,
                    data=event.data,
                )
            )
        for step_id in advance.started:
            view = self.views[step_id]
            assert view.started_n is not None
            view.started_seq = base + 1 + view.started_n
            self.in_flight.append(step_id)
            self.starts.append((step_id, view.attempts))

    def result_of(self, step_id: str) -> progress.AttemptResult:
        view = self.views[step_id]
        if self.rng.random() < self.fail_rate:
            kind = self.rng.choice(KINDS)
            return progress.AttemptResult(
                step=step_id,
                attempt=view.attempts,
                outcome="failed",
                error_kind=kind,
                error_message=kind,
            )
        return progress.AttemptResult(
            step=step_id, attempt=view.attempts, outcome="succeeded", output=dict(view.input or {})
        )

    def run(self) -> None:
        results: list[progress.AttemptResult] = []
        for _ in range(500):
            succeeded_before = {s for s, v in self.views.items() if v.state == "succeeded"}
            advance = progress.advance(self.model, self.views, results, self.now)
            for step_id in advance.started:
                assert step_id not in succeeded_before, "a succeeded step never runs again"
                needs = self.model.plan.needs[step_id]
                assert all(self.views[n].state == "succeeded" for n in needs)
            self.record(advance)
            if advance.run_state is not None:
                self.final = advance
                return
            results = []
            if self.in_flight:
                self.rng.shuffle(self.in_flight)
                k = self.rng.randint(1, len(self.in_flight))
                done, self.in_flight = self.in_flight[:k], self.in_flight[k:]
                for step_id in done:
                    if self.rng.random() < self.lose_rate:
                        view = self.views[step_id]
                        results.append(
                            progress.AttemptResult(
                                step=step_id, attempt=view.attempts, outcome="lost", error_message="x"
                            )
                        )
                    else:
                        results.append(self.result_of(step_id))
            else:
                due = progress.next_due_ms(self.views)
                assert due is not None, "a run that is not finished waits for something"
                self.now = max(self.now, due)
        raise AssertionError("the run never finished")


@given(spec=specs(), seed=st.integers(0, 2**32), fail_rate=st.sampled_from([0.0, 0.3, 0.7]))
@settings(max_examples=200, deadline=None)
def test_every_run_finishes_and_its_record_replays(spec: WorkflowSpec, seed: int, fail_rate: float) -> None:
    sim = Simulation(spec, random.Random(seed), fail_rate=fail_rate)
    sim.run()
    assert sim.final is not None
    states = {s: v.state for s, v in sim.views.items()}
    assert all(state in ("succeeded", "failed", "skipped") for state in states.values())
    expected = "succeeded" if all(s == "succeeded" for s in states.values()) else "failed"
    assert sim.final.run_state == expected
    for step_id, state in states.items():
        if state == "skipped":
            blocked = sim.model.plan.needs[step_id]
            assert any(states[n] in ("failed", "skipped") for n in blocked)
    report = logic.replay(
        sim.run_id,
        spec,
        {},
        sim.events,
        recorded_state=sim.final.run_state,
        recorded_steps=states,
        recorded_result=sim.final.result_digest,
    )
    assert report.verified, report.divergence
    assert report.complete
    assert report.order == [s for s, attempt in sim.starts if attempt == 1]


@given(spec=specs(), seed=st.integers(0, 2**32))
@settings(max_examples=100, deadline=None)
def test_lost_attempts_restart_without_counting_against_retries(spec: WorkflowSpec, seed: int) -> None:
    sim = Simulation(spec, random.Random(seed), fail_rate=0.0, lose_rate=0.4)
    sim.run()
    assert sim.final is not None
    assert sim.final.run_state == "succeeded"  # lost attempts are restarted, whatever max_attempts says
    states = {s: v.state for s, v in sim.views.items()}
    report = logic.replay(
        sim.run_id,
        spec,
        {},
        sim.events,
        recorded_state="succeeded",
        recorded_steps=states,
        recorded_result=sim.final.result_digest,
    )
    assert report.verified, report.divergence


@given(spec=specs(), seed=st.integers(0, 2**32))
@settings(max_examples=100, deadline=None)
def test_replay_names_the_first_tampered_output(spec: WorkflowSpec, seed: int) -> None:
    sim = Simulation(spec, random.Random(seed), fail_rate=0.0)
    sim.run()
    assert sim.final is not None
    succeeded = [i for i, e in enumerate(sim.events) if e.type == logic.STEP_SUCCEEDED]
    victim = random.Random(seed).choice(succeeded)
    event = sim.events[victim]
    tampered = {**event.data, "output": {**event.data["output"], "extra": True}}
    sim.events[victim] = msgspec.structs.replace(event, data=tampered)
    report = logic.replay(
        sim.run_id,
        spec,
        {},
        sim.events,
        recorded_state="succeeded",
        recorded_steps={s: v.state for s, v in sim.views.items()},
        recorded_result=sim.final.result_digest,
    )
    assert not report.verified
    assert report.divergence is not None
    assert (report.divergence.step, report.divergence.field) == (event.step, "output_digest")


def test_a_step_started_out_of_plan_order_is_a_divergence() -> None:
    spec = msgspec.convert(
        {"steps": [{"id": "a", "uses": "echo"}, {"id": "b", "uses": "echo"}]},
        WorkflowSpec,
    )
    sim = Simulation(spec, random.Random(1), fail_rate=0.0)
    sim.run()
    assert sim.final is not None
    starts = [i for i, e in enumerate(sim.events) if e.type == logic.STEP_STARTED]
    a, b = starts
    events = list(sim.events)
    events[a], events[b] = (
        msgspec.structs.replace(events[b], seq=events[a].seq),
        msgspec.structs.replace(events[a], seq=events[b].seq),
    )
    report = logic.replay(
        sim.run_id,
        spec,
        {},
        events,
        recorded_state="succeeded",
        recorded_steps={"a": "succeeded", "b": "succeeded"},
        recorded_result=sim.final.result_digest,
    )
    assert not report.verified
    assert report.divergence is not None
    assert (report.divergence.field, report.divergence.expected, report.divergence.got) == ("order", "a", "b")


def test_cancelling_cancels_every_unfinished_step_and_finishes_the_run() -> None:
    spec = msgspec.convert(
        {"steps": [{"id": "a", "uses": "echo"}, {"id": "b", "uses": "echo", "needs": ["a"]}]}, WorkflowSpec
    )
    run = progress.model(uuid.uuid4(), spec, {})
    views = {v.id: v for v in progress.initial_views(spec)}
    first = progress.advance(run, views, [], 0)
    assert first.started == ["a"]
    stopped = progress.advance(run, views, [], 1, cancelling=True)
    assert [e.type for e in stopped.events] == ["step.cancelled", "step.cancelled", "run.cancelled"]
    assert stopped.run_state == "cancelled"


def test_frozen_runs_record_results_but_start_nothing() -> None:
    spec = msgspec.convert(
        {"steps": [{"id": "a", "uses": "echo"}, {"id": "b", "uses": "echo", "needs": ["a"]}]}, WorkflowSpec
    )
    run = progress.model(uuid.uuid4(), spec, {})
    views = {v.id: v for v in progress.initial_views(spec)}
    progress.advance(run, views, [], 0)
    done = progress.AttemptResult(step="a", attempt=1, outcome="succeeded", output={})
    frozen = progress.advance(run, views, [done], 1, frozen=True)
    assert [e.type for e in frozen.events] == ["step.succeeded"]
    assert frozen.started == []
    thawed = progress.advance(run, views, [], 2)
    assert thawed.started == ["b"]
