"""The step graph, references, inputs and executors' inputs (fluxforge.workflows.graph,
.references, .inputs and .validation), with property tests for the validator and the plan order."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluxforge.errors import InvalidRequest
from fluxforge.workflows import graph, references, validation
from fluxforge.workflows.graph import CycleError
from fluxforge.workflows.inputs import bind_inputs, type_matches
from fluxforge.workflows.models import RetryPolicy, WorkflowInput, WorkflowSpec, WorkflowStep
from fluxforge.workflows.references import Reference, ReferenceSyntaxError, UnresolvedReference


def step(step_id: str, *needs: str, uses: str = "echo", **with_: Any) -> WorkflowStep:
    return WorkflowStep(id=step_id, uses=uses, needs=list(needs), with_=with_)


def spec(*steps: WorkflowStep, inputs: list[WorkflowInput] | None = None) -> WorkflowSpec:
    return WorkflowSpec(steps=list(steps), inputs=inputs or [])


def errors_of(s: WorkflowSpec) -> dict[str, str]:
    return {e.field: e.message for e in validation.validate(s)}


# --- graphs as hypothesis draws them ----------------------------------------------------------


@st.composite
def dags(draw: st.DrawFn, max_steps: int = 25) -> tuple[list[str], dict[str, list[str]]]:
    """An acyclic graph: edges only from later to earlier in a hidden order, then declared shuffled."""
    n = draw(st.integers(1, max_steps))
    hidden = [f"s{i}" for i in range(n)]
    needs = {
        step_id: draw(st.lists(st.sampled_from(hidden[:i]), unique=True, max_size=4)) if i else []
        for i, step_id in enumerate(hidden)
    }
    declared = draw(st.permutations(hidden))
    return list(declared), needs


@st.composite
def graphs(draw: st.DrawFn, max_steps: int = 12) -> tuple[list[str], dict[str, list[str]]]:
    """Any graph without self-loops: cycles likely."""
    n = draw(st.integers(1, max_steps))
    ids = [f"s{i}" for i in range(n)]
    needs = {
        step_id: draw(st.lists(st.sampled_from([o for o in ids if o != step_id] or ["s0"]), unique=True, max_size=3))
        for step_id in ids
    }
    needs = {k: [n for n in v if n != k] for k, v in needs.items()}
    return ids, needs


def as_spec(ids: list[str], needs: dict[str, list[str]]) -> WorkflowSpec:
    return spec(*(step(i, *needs[i]) for i in ids))


def has_cycle(ids: list[str], needs: dict[str, list[str]]) -> bool:
    """Brute force: repeatedly remove steps whose needs are gone; a cycle is what remains."""
    remaining = set(ids)
    while True:
        free = {s for s in remaining if not set(needs[s]) & remaining}
        if not free:
            return bool(remaining)
        remaining -= free


@given(dags())
def test_a_dag_is_valid_and_its_order_respects_every_edge(drawn: tuple[list[str], dict[str, list[str]]]) -> None:
    ids, needs = drawn
    s = as_spec(ids, needs)
    assert validation.validate(s) == []
    order = graph.topological_order(s)
    assert sorted(order) == sorted(ids)
    position = {step_id: i for i, step_id in enumerate(order)}
    for step_id, upstream in needs.items():
        for u in upstream:
            assert position[u] < position[step_id], (u, step_id)


@given(dags())
def test_the_order_is_deterministic_and_takes_the_first_declared_ready_step(
    drawn: tuple[list[str], dict[str, list[str]]],
) -> None:
    ids, needs = drawn
    s = as_spec(ids, needs)
    order = graph.topological_order(s)
    # The same spec, rebuilt from its JSON (as another process would), orders the same.
    rebuilt = msgspec.json.decode(msgspec.json.encode(s), type=WorkflowSpec)
    assert graph.topological_order(rebuilt) == order
    # Stable: at every point the next step is the earliest-declared one whose needs are done.
    done: set[str] = set()
    for chosen in order:
        ready = [i for i in ids if i not in done and set(needs[i]) <= done]
        assert chosen == ready[0]
        done.add(chosen)


@given(dags())
def test_a_spec_declared_in_a_valid_order_keeps_it(drawn: tuple[list[str], dict[str, list[str]]]) -> None:
    ids, needs = drawn
    in_order = graph.topological_order(as_spec(ids, needs))
    assert graph.topological_order(as_spec(in_order, needs)) == in_order


@given(st.lists(st.sampled_from([f"s{i}" for i in range(30)]), min_size=1, unique=True))
def test_independent_steps_run_in_declaration_order(ids: list[str]) -> None:
    assert graph.topological_order(as_spec(ids, {i: [] for i in ids})) == ids


@settings(max_examples=300)
@given(graphs())
def test_the_validator_finds_a_cycle_exactly_when_there_is_one_and_names_a_real_one(
    drawn: tuple[list[str], dict[str, list[str]]],
) -> None:
    ids, needs = drawn
    errors = validation.validate(as_spec(ids, needs))
    cycle_errors = [e for e in errors if "cycle" in e.message]
    assert bool(cycle_errors) == has_cycle(ids, needs)
    assert len(errors) == len(cycle_errors)  # nothing else is wrong with these specs
    for error in cycle_errors:
        named = error.message.split(": ", 1)[1].split(" -> ")
        assert named[0] == named[-1]
        assert len(set(named[:-1])) == len(named) - 1  # a simple cycle
        for a, b in itertools.pairwise(named):
            assert b in needs[a], (a, b)  # each step needs the next
        # The error points at the need that closes the cycle.
        closing = ids.index(named[-2])
        assert error.field == f"spec.steps[{closing}].needs[{needs[named[-2]].index(named[0])}]"
    if has_cycle(ids, needs):
        with pytest.raises(CycleError):
            graph.order(ids, needs)


@given(graphs())
def test_find_cycles_is_deterministic(drawn: tuple[list[str], dict[str, list[str]]]) -> None:
    ids, needs = drawn
    assert graph.find_cycles(ids, needs) == graph.find_cycles(list(ids), {k: list(v) for k, v in needs.items()})


def test_the_cycle_error_names_the_cycle() -> None:
    s = spec(step("a", "c"), step("b", "a"), step("c", "b"), step("d"))
    assert errors_of(s) == {"spec.steps[1].needs[0]": "needs form a cycle: a -> c -> b -> a"}
    with pytest.raises(CycleError, match="a -> c -> b -> a"):
        graph.topological_order(s)


def test_two_separate_cycles_are_both_reported() -> None:
    s = spec(step("a", "b"), step("b", "a"), step("c", "d"), step("d", "c"), step("e", "a", "c"))
    messages = sorted(e.message for e in validation.validate(s))
    assert messages == ["needs form a cycle: a -> b -> a", "needs form a cycle: c -> d -> c"]


def test_graph_errors_name_their_field() -> None:
    s = spec(step("a"), step("b", "a", "a", "zz"), step("a"), step("c", "c"))
    assert errors_of(s) == {
        "spec.steps[1].needs[1]": "'a' is listed twice",
        "spec.steps[1].needs[2]": "needs unknown step 'zz'",
        "spec.steps[2].id": "duplicate step id 'a' (first at spec.steps[0])",
        "spec.steps[3].needs[0]": "step 'c' cannot need itself",
    }


def test_fan_out_and_fan_in() -> None:
    s = spec(step("join", "left", "right"), step("left", "root"), step("right", "root"), step("root"))
    plan = graph.plan(s)
    assert plan.order == ("root", "left", "right", "join")
    assert plan.ready(succeeded=set(), started=set()) == ["root"]
    assert plan.ready(succeeded={"root"}, started={"root"}) == ["left", "right"]
    assert plan.ready(succeeded={"root", "left"}, started={"root", "left", "right"}) == []
    assert plan.ready(succeeded={"root", "left", "right"}, started={"root", "left", "right"}) == ["join"]
    assert plan.downstream("root") == ["left", "right", "join"]
    assert plan.downstream("left") == ["join"]
    assert plan.downstream("join") == []
    assert plan.needs["join"] == ("left", "right")
    assert plan.dependents["root"] == ("left", "right")


# --- executors --------------------------------------------------------------------------------


def test_executors_and_their_required_inputs() -> None:
    s = spec(
        step("h", uses="http", method="FETCH", extra=1),
        step("z", uses="sleep", seconds="soon"),
        step("e", uses="emit"),
        step("x", uses="shell"),
        step("g", uses="agent:Not_A_Label"),
        step("ok1", uses="http", url="https://example.com", method="POST", body={"a": [1]}),
        step("ok2", uses="sleep", seconds=0.5),
        step("ok3", uses="emit", type="deploy.done", data=None),
        step("ok4", uses="echo", anything={"goes": True}),
        step("ok5", uses="agent:build-01", cmd="make"),
        step("neg", uses="sleep", seconds=-1),
        step("url", uses="http", url="ftp://x", method="GET"),
    )
    assert errors_of(s) == {
        "spec.steps[0].with.url": "required by the http executor",
        "spec.steps[0].with.method": "expected one of GET, HEAD, POST, PUT, PATCH, DELETE",
        "spec.steps[0].with.extra": "the http executor takes no 'extra'; it takes url, method, headers, body",
        "spec.steps[1].with.seconds": "expected number or integer, not string",
        "spec.steps[2].with.type": "required by the emit executor",
        "spec.steps[3].uses": "unknown executor 'shell'; known: http, sleep, echo, emit, agent:<name>",
        "spec.steps[4].uses": "agent:<name> needs a DNS label as the agent's name, like agent:build-01",
        "spec.steps[10].with.seconds": "must be at least 0",
        "spec.steps[11].with.url": "must match ^https?://",
    }


def test_executor_inputs_computed_from_references_are_checked_when_the_step_runs() -> None:
    s = spec(
        step("a", uses="echo"),
        step("b", "a", uses="sleep", seconds="${{ steps.a.outputs.n }}"),
        step("c", "a", uses="http", url="${{ steps.a.outputs.url }}", method="${{ steps.a.outputs.m }}"),
    )
    assert validation.validate(s) == []


def test_retry_rules() -> None:
    policy = RetryPolicy(
        initial_delay_seconds=10, max_delay_seconds=5, retry_on=["invalid_input", "timeout", "timeout"]
    )
    s = spec(WorkflowStep(id="a", uses="echo", retry=policy))
    assert errors_of(s) == {
        "spec.steps[0].retry.initial_delay_seconds": "must not exceed max_delay_seconds",
        "spec.steps[0].retry.retry_on[0]": "invalid_input is never retried: the same input fails the same way",
        "spec.steps[0].retry.retry_on[2]": "'timeout' is listed twice",
    }


# --- references -------------------------------------------------------------------------------


def test_parse_template() -> None:
    assert references.parse_template("x-${{ inputs.a }}/${{steps.b.outputs.c.0}}!") == [
        "x-",
        Reference("inputs", "a", (), "${{ inputs.a }}"),
        "/",
        Reference("steps", "b", ("c", "0"), "${{steps.b.outputs.c.0}}"),
        "!",
    ]
    assert references.parse_template("${{ steps.b.outputs }}") == [
        Reference("steps", "b", (), "${{ steps.b.outputs }}")
    ]
    for bad in ("${{ inputs }}", "${{ env.HOME }}", "${{ steps.b.result }}", "${{ inputs.a", "${{ inputs.a-b }}"):
        with pytest.raises(ReferenceSyntaxError):
            references.parse_template(bad)


def test_references_must_be_declared_inputs_or_upstream_steps() -> None:
    s = spec(
        step("a", x="${{ inputs.declared }}"),
        step("b", "a", x="${{ steps.a.outputs.v }}"),
        step("c", "b", x=["${{ steps.a.outputs.v }}"], y={"z": "${{ steps.b.outputs }}"}),  # transitive
        step("d", x="${{ steps.a.outputs.v }}"),  # not upstream
        step("e", "a", x="${{ inputs.undeclared }}", y="${{ steps.e.outputs.v }}", z="${{ steps.q.outputs.v }}"),
        step("f", "a", x="${{ steps.g.outputs.v }}"),  # downstream, not upstream
        step("g", "f", x="text ${{ oops }} and ${{ inputs.declared }} and ${{ inputs.nope }}"),
        step("h", x="${{ inputs.declared"),
        inputs=[WorkflowInput(name="declared")],
    )
    assert errors_of(s) == {
        "spec.steps[3].with.x": "${{ steps.a.outputs.v }} names step 'a', which is not upstream of 'd'; "
        "add it to needs (directly or through a step that needs it)",
        "spec.steps[4].with.x": "${{ inputs.undeclared }} names input 'undeclared', which spec.inputs does not declare",
        "spec.steps[4].with.y": "${{ steps.e.outputs.v }}: a step cannot read its own outputs",
        "spec.steps[4].with.z": "${{ steps.q.outputs.v }} names unknown step 'q'",
        "spec.steps[5].with.x": "${{ steps.g.outputs.v }} names step 'g', which is not upstream of 'f'; "
        "add it to needs (directly or through a step that needs it)",
        "spec.steps[6].with.x": "${{ inputs.nope }} names input 'nope', which spec.inputs does not declare",
        "spec.steps[7].with.x": "'${{' without a closing '}}'",
    }
    # Two errors in one string are both reported.
    assert [e.message for e in validation.validate(s) if e.field == "spec.steps[6].with.x"] == [
        "unknown expression 'oops': use inputs.<name> or steps.<id>.outputs.<field>",
        "${{ inputs.nope }} names input 'nope', which spec.inputs does not declare",
    ]


def test_resolve_keeps_the_type_of_a_whole_reference_and_interpolates_text() -> None:
    inputs = {"n": 3, "name": "web", "opt": None}
    outputs = {"fetch": {"status": 200, "body": {"items": [{"id": "x1"}, {"id": "x2"}]}}}
    value = {
        "count": "${{ inputs.n }}",
        "label": "${{ inputs.name }}-${{ inputs.n }}",
        "status": "${{ steps.fetch.outputs.status }}",
        "second": "${{ steps.fetch.outputs.body.items.1.id }}",
        "all": "${{ steps.fetch.outputs }}",
        "embedded": "got ${{ steps.fetch.outputs.body.items.0 }} and ${{ inputs.opt }}",
        "nested": [{"k": "${{ inputs.name }}"}],
        "${{ inputs.name }}": 1,
        "plain": 1.5,
    }
    assert references.resolve(value, inputs, outputs) == {
        "count": 3,
        "label": "web-3",
        "status": 200,
        "second": "x2",
        "all": outputs["fetch"],
        "embedded": 'got {"id":"x1"} and null',
        "nested": [{"k": "web"}],
        "${{ inputs.name }}": 1,
        "plain": 1.5,
    }


def test_unresolved_references_say_what_is_missing() -> None:
    outputs = {"a": {"list": [1], "v": 1}}
    cases = {
        "${{ inputs.x }}": "names input 'x', which the run does not have",
        "${{ steps.b.outputs.v }}": "names step 'b', which has no outputs (did it succeed?)",
        "${{ steps.a.outputs.w }}": "names output 'w' of step 'a', which it lacks",
        "${{ steps.a.outputs.list.1 }}": "names output 'list.1' of step 'a', which it lacks",
        "${{ steps.a.outputs.v.deeper }}": "names output 'v.deeper' of step 'a', which it lacks",
    }
    for text, reason in cases.items():
        with pytest.raises(UnresolvedReference) as caught:
            references.resolve({"f": [text]}, {}, outputs)
        assert caught.value.reason == reason
        assert caught.value.field == "with.f[0]"
    resolved = references.resolve_with(step("s", uses="echo", v="${{ steps.a.outputs.v }}"), {}, outputs)
    assert resolved == {"v": 1}


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=8))


@given(
    st.recursive(json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3))
)
def test_values_without_references_resolve_to_themselves(value: Any) -> None:
    if any(True for _ in references.references_in(value)):
        return
    assert references.resolve(value, {}, {}) == value


@given(
    st.recursive(json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3))
)
def test_a_whole_reference_resolves_to_the_value_itself(value: Any) -> None:
    assert references.resolve("${{ inputs.v }}", {"v": value}, {}) == value
    assert references.resolve("${{ steps.s.outputs.v }}", {}, {"s": {"v": value}}) == value


# --- inputs -----------------------------------------------------------------------------------


def test_input_declarations() -> None:
    s = spec(
        step("a"),
        inputs=[
            WorkflowInput(name="x", type="integer", default="three"),
            WorkflowInput(name="x"),
            WorkflowInput(name="y", required=True, default=1, type="integer"),
            WorkflowInput(name="z", type="number", default=1),
            WorkflowInput(name="w", type="boolean", default=None),
        ],
    )
    assert errors_of(s) == {
        "spec.inputs[0].default": "expected integer, like the input's type",
        "spec.inputs[1].name": "duplicate input 'x' (first at spec.inputs[0])",
        "spec.inputs[2].default": "an input is either required or has a default, not both",
    }


def test_bind_inputs_fills_defaults_and_reports_every_problem() -> None:
    s = spec(
        step("a"),
        inputs=[
            WorkflowInput(name="target", required=True),
            WorkflowInput(name="n", type="integer", default=3),
            WorkflowInput(name="flag", type="boolean"),
            WorkflowInput(name="ratio", type="number"),
            WorkflowInput(name="extra", type="any", default={"k": 1}),
        ],
    )
    assert bind_inputs(s, {"target": "prod", "ratio": 2}) == {
        "target": "prod",
        "n": 3,
        "flag": None,
        "ratio": 2,
        "extra": {"k": 1},
    }
    with pytest.raises(InvalidRequest) as caught:
        bind_inputs(s, {"n": True, "ratio": "1", "flag": 0, "unknown": 1})
    assert caught.value.errors is not None
    assert {e.field: e.message for e in caught.value.errors} == {
        "inputs.unknown": "not an input of this workflow",
        "inputs.target": "required",
        "inputs.n": "expected integer",
        "inputs.flag": "expected boolean",
        "inputs.ratio": "expected number",
    }


def test_type_matches() -> None:
    assert type_matches("number", 1)
    assert type_matches("number", 1.5)
    assert not type_matches("number", True)
    assert not type_matches("number", float("nan"))
    assert not type_matches("integer", 1.0)
    assert not type_matches("nope", 1)
    assert type_matches("any", None)
    assert type_matches("object", {})
    assert type_matches("array", [])
