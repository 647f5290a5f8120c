"""A run's inputs: the declared types they must have, and binding what a submission gives.

Pure (no I/O): the API binds a run's inputs when it is submitted, and validation checks an
input's default against its declared type with the same rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from fluxforge.errors import FieldError, InvalidRequest
from fluxforge.workflows.models import WorkflowSpec


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
