"""The `${{ ... }}` references a step's `with` may hold: their syntax, and their values at run time.

A string in `with` may hold `${{ inputs.<name> }}` and
`${{ steps.<id>.outputs[.<field>...] }}`. A string that is exactly one reference becomes the
referenced value with its type (a number stays a number); references inside longer text are
replaced by the value's text (strings as they are, anything else as compact JSON). Only
declared inputs and steps upstream of the step (transitively, through `needs`) may be named
(`workflows.validation` checks that); a field segment that is a number indexes a list. Mapping
keys are never interpolated.

Pure (no I/O): validation finds references before anything is stored, the scheduler resolves
a step's inputs with them, and replay recomputes those inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import msgspec

from fluxforge.workflows.models import WorkflowStep

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


def references_in(value: Any, path: str = "") -> Iterator[tuple[str, Reference | ReferenceSyntaxError]]:
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
            yield from references_in(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from references_in(item, f"{path}.{key}" if path else str(key))


class UnresolvedReference(Exception):
    """A reference with no value at run time; the step fails with error kind `invalid_input`."""

    def __init__(self, field: str, text: str, reason: str) -> None:
        super().__init__(f"{field}: {text} {reason}")
        self.field = field
        self.text = text
        self.reason = reason


def resolve(value: Any, inputs: Mapping[str, Any], outputs: Mapping[str, Mapping[str, Any]], path: str = "with") -> Any:
    """A value with its references replaced.

    `inputs` are the run's bound inputs (see `inputs.bind_inputs`); `outputs` maps each succeeded
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
