"""Checking a workflow spec: the rules that span its fields, every error collected at once.

Shape (types, patterns, ranges, sizes) is `workflows.manifest`'s job; these are the rules
between fields: the step graph (`workflows.graph`), references (`workflows.references`),
input declarations (`workflows.inputs`), executors' inputs and retry policies. Pure (no I/O),
so the API rejects a manifest before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from fluxforge.errors import FieldError
from fluxforge.workflows.graph import ancestors, find_cycles
from fluxforge.workflows.inputs import type_matches
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
from fluxforge.workflows.references import ReferenceSyntaxError, references_in

Fail = Callable[[str, str], None]


def validate(spec: WorkflowSpec, path: str = "spec") -> list[FieldError]:
    """Every error of a spec whose fields have the right shape; [] when it may be stored.

    Fields that failed a constraint may still hold their raw values here, so each rule is
    written to tolerate them.
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
    for field, found in references_in(step.with_, f"{path}.with"):
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
