"""The rules of a workflow that span fields: the step graph, references and executors' inputs.

Pure (no I/O), for the API (validation before anything is stored), the scheduler (the plan
and its order, resolving a step's inputs) and property tests alike.

Graph: step `a` with `needs: [b]` runs after `b` has succeeded. The plan order is Kahn's
algorithm that always takes, among the steps whose needs are met, the one declared first:
deterministic (the same spec gives the same order in every process, which replay relies on)
and stable (steps already declared in a valid order keep it; independent steps keep their
declaration order).

References: a string in `with` may hold `${{ inputs.<name> }}` and
`${{ steps.<id>.outputs[.<field>...] }}`. A string that is exactly one reference becomes the
referenced value with its type (a number stays a number); references inside longer text are
replaced by the value's text (strings as they are, anything else as compact JSON). Only
declared inputs and steps upstream of the step (transitively, through `needs`) may be named;
a field segment that is a number indexes a list. Mapping keys are never interpolated.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import msgspec

from fluxforge.errors import FieldError, InvalidRequest
from fluxforge.workflows.models import (
    AGENT_PREFIX,
    EXECUTORS,
    NEVER_RETRIED,
    WithField,
    WorkflowInput,
    WorkflowSpec,
    WorkflowStep,
    executor_of,
)

# --- references -----------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_INPUT_REF = re.compile(r"inputs\.([A-Za-z_][A-Za-z0-9_]{0,62})")
_STEP_REF = re.compile(r"steps\.([a-z][a-z0-9_-]{0,62})\.outputs((?:\.[A-Za-z0-9_-]+)*)")


class Reference(msgspec.Struct, frozen=True):
    """One `${{ ... }}`: an input by name, or (part of) a step's outputs."""

    source: Literal["inputs", "steps"]
    name: str
    path: tuple[str, ...] = ()
    text: str = ""


class ReferenceSyntaxError(ValueError):
    """A `${{` that does not hold a reference this module understands."""


def parse_template(text: str) -> list[str | Reference]:
    """The string as literal pieces and references, in order; empty pieces are left out."""
    parts: list[str | Reference] = []
    position = 0
    for match in _EXPRESSION.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        parts.append(_reference(match.group(1).strip(), match.group(0)))
        position = match.end()
    rest = text[position:]
    if "${{" in rest:
        raise ReferenceSyntaxError("'${{' without a closing '}}'")
    if rest:
        parts.append(rest)
    return parts


def _reference(expression: str, text: str) -> Reference:
    if match := _INPUT_REF.fullmatch(expression):
        return Reference("inputs", match.group(1), (), text)
    if match := _STEP_REF.fullmatch(expression):
        fields = tuple(match.group(2).split(".")[1:])
        return Reference("steps", match.group(1), fields, text)
    raise ReferenceSyntaxError(f"unknown expression {expression!r}: use inputs.<name> or steps.<id>.outputs.<field>")


def references(value: Any, path: str = "") -> Iterator[tuple[str, Reference | ReferenceSyntaxError]]:
    """Every reference in a (nested) value with the path of the string holding it; malformed
    ones are yielded as their error, each on its own, so that a validator reports all of them."""
    if isinstance(value, str):
        if "${{" not in value:
            return
        position = 0
        for match in _EXPRESSION.finditer(value):
            position = match.end()
            try:
                yield path, _reference(match.group(1).strip(), match.group(0))
            except ReferenceSyntaxError as exc:
                yield path, exc
        if "${{" in value[position:]:
            yield path, ReferenceSyntaxError("'${{' without a closing '}}'")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from references(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from references(item, f"{path}.{key}" if path else str(key))


class UnresolvedReference(Exception):
    """A reference with no value at run time; the step fails with error kind `invalid_input`."""

    def __init__(self, field: str, text: str, reason: str) -> None:
        super().__init__(f"{field}: {text} {reason}")
        self.field = field
        self.text = text
        self.reason = reason


def resolve(value: Any, inputs: Mapping[str, Any], outputs: Mapping[str, Mapping[str, Any]], path: str = "with") -> Any:
    """A value with its references replaced.

    `inputs` are the run's bound inputs (see `bind_inputs`); `outputs` maps each succeeded
    step's id to its outputs. Raises UnresolvedReference (or ReferenceSyntaxError for text
    that a validated manifest cannot contain).
    """
    if isinstance(value, str):
        if "${{" not in value:
            return value
        parts = parse_template(value)
        if len(parts) == 1 and isinstance(parts[0], Reference):
            return _lookup(parts[0], inputs, outputs, path)
        return "".join(
            part if isinstance(part, str) else _as_text(_lookup(part, inputs, outputs, path)) for part in parts
        )
    if isinstance(value, list):
        return [resolve(item, inputs, outputs, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: resolve(item, inputs, outputs, f"{path}.{key}") for key, item in value.items()}
    return value


def resolve_with(
    step: WorkflowStep, inputs: Mapping[str, Any], outputs: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """A step's `with`, resolved against the run's inputs and its upstream steps' outputs."""
    resolved: dict[str, Any] = resolve(step.with_, inputs, outputs)
    return resolved


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def _lookup(ref: Reference, inputs: Mapping[str, Any], outputs: Mapping[str, Mapping[str, Any]], path: str) -> Any:
    if ref.source == "inputs":
        if ref.name not in inputs:
            raise UnresolvedReference(path, ref.text, f"names input {ref.name!r}, which the run does not have")
        return inputs[ref.name]
    if ref.name not in outputs:
        raise UnresolvedReference(path, ref.text, f"names step {ref.name!r}, which has no outputs (did it succeed?)")
    current: Any = outputs[ref.name]
    for depth, segment in enumerate(ref.path):
        where = ".".join(ref.path[: depth + 1])
        if isinstance(current, Mapping) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            raise UnresolvedReference(path, ref.text, f"names output {where!r} of step {ref.name!r}, which it lacks")
    return current


# --- inputs of a run ------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


_TYPE_CHECKS: Mapping[str, Callable[[Any], bool]] = {
    "any": lambda _: True,
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _is_number,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def type_matches(declared: str, value: Any) -> bool:
    """Whether a value has an input's declared type (JSON's types; booleans are not numbers)."""
    check = _TYPE_CHECKS.get(declared)
    return check is not None and check(value)


def bind_inputs(spec: WorkflowSpec, given: Mapping[str, Any], path: str = "inputs") -> dict[str, Any]:
    """The inputs a run starts with: every declared input, from `given`, else its default, else
    null; undeclared, missing required and mistyped inputs are all reported at once."""
    errors: list[FieldError] = []
    declared = {decl.name: decl for decl in spec.inputs}
    for name in given:
        if name not in declared:
            errors.append(FieldError(field=f"{path}.{name}", message="not an input of this workflow"))
    bound: dict[str, Any] = {}
    for decl in spec.inputs:
        field = f"{path}.{decl.name}"
        if decl.name in given:
            value = given[decl.name]
            if not type_matches(decl.type, value):
                errors.append(FieldError(field=field, message=f"expected {decl.type}"))
            bound[decl.name] = value
        elif decl.required:
            errors.append(FieldError(field=field, message="required"))
        else:
            bound[decl.name] = None if decl.default is msgspec.UNSET else decl.default
    if errors:
        raise InvalidRequest("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return bound


# --- the graph ------------------------------------------------------------------------------


class CycleError(ValueError):
    def __init__(self, cycle: Sequence[str]) -> None:
        super().__init__("needs form a cycle: " + " -> ".join(cycle))
        self.cycle = list(cycle)


def order(ids: Sequence[str], needs: Mapping[str, Collection[str]]) -> list[str]:
    """The plan order of a graph (ids in declaration order; needs name only those ids).

    Raises CycleError naming a cycle when there is no order.
    """
    index = {step_id: i for i, step_id in enumerate(ids)}
    waiting = {step_id: len(set(needs.get(step_id, ()))) for step_id in ids}
    dependents: dict[str, list[str]] = {step_id: [] for step_id in ids}
    for step_id in ids:
        for upstream in set(needs.get(step_id, ())):
            if upstream not in index:
                raise ValueError(f"step {step_id!r} needs unknown step {upstream!r}")
            dependents[upstream].append(step_id)
    ready = [index[step_id] for step_id in ids if waiting[step_id] == 0]
    heapq.heapify(ready)
    result: list[str] = []
    while ready:
        step_id = ids[heapq.heappop(ready)]
        result.append(step_id)
        for dependent in dependents[step_id]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, index[dependent])
    if len(result) < len(ids):
        raise CycleError(find_cycles(ids, needs)[0])
    return result


def find_cycles(ids: Sequence[str], needs: Mapping[str, Collection[str]]) -> list[list[str]]:
    """One cycle per knot of the graph, each as a path of needs that ends where it starts.

    A knot is a strongly connected component with a cycle; its cycle starts at its member
    declared first and is a shortest way back to it (breadth first, needs in declared order),
    so the same graph always names the same cycle: ["a", "b", "c", "a"] reads "a needs b,
    b needs c, c needs a".
    """
    known = set(ids)
    edges = {step_id: [n for n in dict.fromkeys(needs.get(step_id, ())) if n in known] for step_id in ids}
    cycles: list[list[str]] = []
    for component in _strongly_connected(ids, edges):
        start = min(component, key=ids.index)
        if len(component) == 1 and start not in edges[start]:
            continue
        cycles.append(_shortest_cycle(start, edges, component))
    position = {step_id: i for i, step_id in enumerate(ids)}
    cycles.sort(key=lambda cycle: position[cycle[0]])
    return cycles


def _strongly_connected(ids: Sequence[str], edges: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (no recursion limit to reach with long chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in ids:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(edges[successor])))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _shortest_cycle(start: str, edges: Mapping[str, Sequence[str]], within: set[str]) -> list[str]:
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for successor in edges[node]:
                if successor not in within:
                    continue
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError("a strongly connected component always has a cycle through each member")


def ancestors(ids: Sequence[str], needs: Mapping[str, Collection[str]]) -> dict[str, frozenset[str]]:
    """Every step's transitive upstream steps (a step in a cycle is its own ancestor)."""
    known = set(ids)
    result: dict[str, frozenset[str]] = {}
    for step_id in ids:
        seen: set[str] = set()
        pending = [n for n in needs.get(step_id, ()) if n in known]
        while pending:
            node = pending.pop()
            if node in seen:
                continue
            seen.add(node)
            pending.extend(n for n in needs.get(node, ()) if n in known and n not in seen)
        result[step_id] = frozenset(seen)
    return result


class Plan(msgspec.Struct, frozen=True):
    """A valid spec's graph as the scheduler walks it."""

    order: tuple[str, ...]
    needs: dict[str, tuple[str, ...]]
    dependents: dict[str, tuple[str, ...]]

    def ready(self, succeeded: Collection[str], started: Collection[str]) -> list[str]:
        """Steps not yet started whose needs have all succeeded, in plan order.

        `started` holds every step that left `pending` (running, finished, skipped, ...).
        """
        return [
            step_id
            for step_id in self.order
            if step_id not in started and all(n in succeeded for n in self.needs[step_id])
        ]

    def downstream(self, step_id: str) -> list[str]:
        """Every step that (transitively) needs `step_id`, in plan order: what a failure skips."""
        seen: set[str] = set()
        pending = list(self.dependents[step_id])
        while pending:
            node = pending.pop()
            if node not in seen:
                seen.add(node)
                pending.extend(self.dependents[node])
        return [s for s in self.order if s in seen]


def plan(spec: WorkflowSpec) -> Plan:
    """The plan of a valid spec (see `validate`); raises CycleError or ValueError otherwise."""
    ids = [step.id for step in spec.steps]
    if len(set(ids)) != len(ids):
        raise ValueError("step ids are not unique")
    needs = {step.id: tuple(dict.fromkeys(step.needs)) for step in spec.steps}
    ordered = order(ids, needs)
    position = {step_id: i for i, step_id in enumerate(ordered)}
    dependents: dict[str, list[str]] = {step_id: [] for step_id in ids}
    for step_id in ordered:
        for upstream in needs[step_id]:
            dependents[upstream].append(step_id)
    return Plan(
        order=tuple(ordered),
        needs={s: tuple(sorted(needs[s], key=position.__getitem__)) for s in ordered},
        dependents={s: tuple(dependents[s]) for s in ordered},
    )


def topological_order(spec: WorkflowSpec) -> list[str]:
    return list(plan(spec).order)


# --- validation -----------------------------------------------------------------------------


Fail = Callable[[str, str], None]


def validate(spec: WorkflowSpec, path: str = "spec") -> list[FieldError]:
    """Every error of a spec whose fields have the right shape; [] when it may be stored.

    Shape (types, patterns, ranges, sizes) is `workflows.manifest`'s job; these are the rules
    between fields. Fields that failed a constraint may still hold their raw values here, so
    each rule is written to tolerate them.
    """
    errors: list[FieldError] = []

    def fail(field: str, message: str) -> None:
        errors.append(FieldError(field=field, message=message))

    input_names = _check_inputs(spec.inputs, f"{path}.inputs", fail)
    first_at, graph = _check_graph(spec, path, fail)
    upstream_of = ancestors(list(first_at), graph)
    for i, step in enumerate(spec.steps):
        step_path = f"{path}.steps[{i}]"
        _check_executor(step, step_path, fail)
        _check_retry(step, step_path, fail)
        # A duplicate of an earlier id is not in the graph: it has no upstream of its own.
        upstream = upstream_of[step.id] if first_at.get(step.id) == i else frozenset()
        _check_references(step, step_path, input_names, set(first_at), upstream, fail)
    return errors


def _check_graph(spec: WorkflowSpec, path: str, fail: Fail) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Unique ids, known needs, no cycle; returns where each id is first declared, and the
    graph of the steps that hold those first declarations."""
    first_at: dict[str, int] = {}
    for i, step in enumerate(spec.steps):
        if step.id in first_at:
            fail(f"{path}.steps[{i}].id", f"duplicate step id {step.id!r} (first at {path}.steps[{first_at[step.id]}])")
        else:
            first_at[step.id] = i
    graph: dict[str, list[str]] = {step_id: [] for step_id in first_at}
    for i, step in enumerate(spec.steps):
        seen: set[str] = set()
        for j, upstream in enumerate(step.needs):
            field = f"{path}.steps[{i}].needs[{j}]"
            if upstream == step.id:
                fail(field, f"step {step.id!r} cannot need itself")
            elif upstream in seen:
                fail(field, f"{upstream!r} is listed twice")
            elif upstream not in first_at:
                fail(field, f"needs unknown step {upstream!r}")
            elif first_at[step.id] == i:
                graph[step.id].append(upstream)
            seen.add(upstream)
    for cycle in find_cycles(list(first_at), graph):  # self-loops were reported above, not put in the graph
        closing = cycle[-2]  # the step whose need leads back to the cycle's start
        i = first_at[closing]
        j = spec.steps[i].needs.index(cycle[0])
        fail(f"{path}.steps[{i}].needs[{j}]", "needs form a cycle: " + " -> ".join(cycle))
    return first_at, graph


def _check_references(
    step: WorkflowStep, path: str, input_names: set[str], step_ids: set[str], upstream: frozenset[str], fail: Fail
) -> None:
    for field, found in references(step.with_, f"{path}.with"):
        if isinstance(found, ReferenceSyntaxError):
            fail(field, str(found))
        elif found.source == "inputs":
            if found.name not in input_names:
                fail(field, f"{found.text} names input {found.name!r}, which spec.inputs does not declare")
        elif found.name == step.id:
            fail(field, f"{found.text}: a step cannot read its own outputs")
        elif found.name not in step_ids:
            fail(field, f"{found.text} names unknown step {found.name!r}")
        elif found.name not in upstream:
            fail(
                field,
                f"{found.text} names step {found.name!r}, which is not upstream of {step.id!r}; "
                "add it to needs (directly or through a step that needs it)",
            )


def _check_inputs(inputs: Iterable[WorkflowInput], path: str, fail: Fail) -> set[str]:
    names: dict[str, int] = {}
    for i, decl in enumerate(inputs):
        field = f"{path}[{i}]"
        if decl.name in names:
            fail(f"{field}.name", f"duplicate input {decl.name!r} (first at {path}[{names[decl.name]}])")
        else:
            names[decl.name] = i
        if decl.default is not msgspec.UNSET:
            if decl.required:
                fail(f"{field}.default", "an input is either required or has a default, not both")
            elif decl.default is not None and not type_matches(decl.type, decl.default):
                fail(f"{field}.default", f"expected {decl.type}, like the input's type")
    return set(names)


def _check_executor(step: WorkflowStep, path: str, fail: Fail) -> None:
    executor = executor_of(step.uses)
    if executor is None:
        if step.uses.startswith(AGENT_PREFIX):
            fail(f"{path}.uses", "agent:<name> needs a DNS label as the agent's name, like agent:build-01")
        else:
            known = ", ".join([*EXECUTORS, f"{AGENT_PREFIX}<name>"])
            fail(f"{path}.uses", f"unknown executor {step.uses!r}; known: {known}")
        return
    by_name = {field.name: field for field in executor.fields}
    for field in executor.fields:
        if field.required and field.name not in step.with_:
            fail(f"{path}.with.{field.name}", f"required by the {executor.name} executor")
    for name, value in step.with_.items():
        field_path = f"{path}.with.{name}"
        rule = by_name.get(name)
        if rule is None:
            if not executor.open:
                fail(field_path, f"the {executor.name} executor takes no {name!r}; it takes {', '.join(by_name)}")
            continue
        message = _literal_problem(rule, value)
        if message is not None:
            fail(field_path, message)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _literal_problem(rule: WithField, value: Any) -> str | None:
    """What is wrong with a literal input value; values computed from references pass here
    and are checked by the executor when the step runs."""
    if isinstance(value, str) and "${{" in value:
        return None
    kind = _json_type(value)
    if kind not in rule.types and not (kind == "integer" and "number" in rule.types):
        return f"expected {' or '.join(rule.types)}, not {kind}"
    if rule.choices is not None and value not in rule.choices:
        return "expected one of " + ", ".join(rule.choices)
    if rule.pattern is not None and isinstance(value, str) and re.search(rule.pattern, value) is None:
        return f"must match {rule.pattern}"
    return _range_problem(rule, value) if kind in ("integer", "number") else None


def _range_problem(rule: WithField, value: float) -> str | None:
    if rule.minimum is not None and value < rule.minimum:
        return f"must be at least {rule.minimum:g}"
    if rule.maximum is not None and value > rule.maximum:
        return f"must be at most {rule.maximum:g}"
    return None


def _check_retry(step: WorkflowStep, path: str, fail: Fail) -> None:
    retry = step.retry
    if retry.initial_delay_seconds > retry.max_delay_seconds:
        fail(f"{path}.retry.initial_delay_seconds", "must not exceed max_delay_seconds")
    seen: set[str] = set()
    for k, kind in enumerate(retry.retry_on):
        if kind in NEVER_RETRIED:
            fail(f"{path}.retry.retry_on[{k}]", f"{kind} is never retried: the same input fails the same way")
        elif kind in seen:
            fail(f"{path}.retry.retry_on[{k}]", f"{kind!r} is listed twice")
        seen.add(kind)
