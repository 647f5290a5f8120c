"""Manifests from request bodies: YAML or JSON in, a checked `WorkflowManifest` out, or every error at once.

Pure (no I/O). msgspec stops at the first bad field, which would make a tenant fix a manifest
one error per round trip; so the raw document is first walked against the Structs' own type
information (`msgspec.inspect`), collecting every shape error with its path. Fields that fail
are replaced by their defaults (or kept, when only a constraint such as a pattern failed), so
the checks that span fields (`workflows.validation`: graph, references, executors) still run and
report their errors in the same answer. Only a document with no error at all is converted,
by msgspec itself, into the WorkflowManifest that is stored.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any, Literal

import msgspec
import msgspec.inspect as mi
import yaml

try:
    from yaml import CSafeLoader as _BaseLoader  # libyaml's parser: about four times faster
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from fluxforge.errors import FieldError, InvalidRequest, ProblemError
from fluxforge.workflows import validation
from fluxforge.workflows.models import MAX_MANIFEST_BYTES, MAX_VALUE_DEPTH, WorkflowManifest, WorkflowSpec

Format = Literal["json", "yaml"]
MEDIA_TYPES: dict[str, Format] = {
    "application/json": "json",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
}
MAX_REPORTED_ERRORS = 100


class UnsupportedMediaType(ProblemError):
    kind = "unsupported-media-type"


class ManifestTooLarge(ProblemError):
    kind = "payload-too-large"


def format_of(content_type: str | None) -> Format:
    """JSON or YAML, from the Content-Type header (parameters such as charset are ignored)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    found = MEDIA_TYPES.get(media_type)
    if found is None:
        raise UnsupportedMediaType(
            f"send the manifest as application/json or application/yaml, not {media_type or 'no Content-Type'}"
        )
    return found


# --- parsing --------------------------------------------------------------------------------


class _YamlLoader(_BaseLoader):
    """YAML as a manifest needs it: plain data, no aliases, YAML 1.2 scalars.

    Aliases are refused because a few bytes of nested aliases expand into a document of
    billions of nodes once walked (the "billion laughs"); the check sits in the constructor,
    which is Python in both PyYAML's loaders, so libyaml's fast parser can be used. Scalars
    follow YAML 1.2's core schema instead of PyYAML's YAML 1.1: `on`/`yes`/`no` stay text,
    `12:30` is not the base-60 number 750, `010` is ten, and dates stay text, so what a
    tenant writes is what a step receives.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not allowed in manifests", node.start_mark
            )
        return super().construct_object(node, deep)

    def construct_core_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        return sign * int(digits)


_NULL_TAG = "tag:yaml.org,2002:null"
_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == _NULL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
_YamlLoader.add_constructor("tag:yaml.org,2002:int", _YamlLoader.construct_core_int)


def _load_yaml(body: bytes) -> Any:
    return yaml.load(body.decode("utf-8"), Loader=_YamlLoader)  # noqa: S506 - a SafeLoader subclass


def _invalid_body(message: str) -> InvalidRequest:
    return InvalidRequest(f"body: {message}", errors=[FieldError(field="body", message=message)])


def parse_document(body: bytes, fmt: Format) -> Any:
    """The document's plain data; a body that is too large or not well-formed is refused."""
    if len(body) > MAX_MANIFEST_BYTES:
        raise ManifestTooLarge(f"a manifest may have at most {MAX_MANIFEST_BYTES} bytes, this one has {len(body)}")
    try:
        document = msgspec.json.decode(body) if fmt == "json" else _load_yaml(body)
    except msgspec.DecodeError as exc:
        raise _invalid_body(f"not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise _invalid_body("not valid UTF-8") from None
    except yaml.YAMLError as exc:
        raise _invalid_body(f"not valid YAML: {_yaml_message(exc)}") from None
    except RecursionError:
        raise _invalid_body("nested too deeply") from None
    if not isinstance(document, dict):
        raise _invalid_body("expected a mapping with apiVersion, kind, metadata and spec")
    return document


def _yaml_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        return f"{exc.problem or exc.context or 'malformed'}{where}"
    return str(exc)


# --- shape checks ---------------------------------------------------------------------------

_INVALID: Any = object()
"""A value too wrong to stand in for its field (wrong type, not just a failed constraint)."""


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _ShapeChecker:
    """Walks plain data against msgspec type info, recording every error with its path."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, path: str, message: str) -> Any:
        self.errors.append(FieldError(field=path or "body", message=message))
        return _INVALID

    def check(self, value: Any, t: mi.Type, path: str) -> Any:  # noqa: PLR0911, PLR0912 - one branch per type
        """The value to stand in for the field (the value itself when valid), or _INVALID."""
        if isinstance(t, mi.Metadata):
            return self.check(value, t.type, path)
        if isinstance(t, mi.AnyType):
            return self.check_json(value, path, 0)
        if isinstance(t, mi.NoneType):
            return None if value is None else self.fail(path, "expected null")
        if isinstance(t, mi.BoolType):
            return value if isinstance(value, bool) else self.fail(path, "expected true or false")
        if isinstance(t, mi.IntType):
            if not isinstance(value, int) or isinstance(value, bool):
                return self.fail(path, "expected an integer")
            self.bounds(value, t, path)
            return value
        if isinstance(t, mi.FloatType):
            if not isinstance(value, int | float) or isinstance(value, bool):
                return self.fail(path, "expected a number")
            if not math.isfinite(value):
                return self.fail(path, "expected a finite number")
            self.bounds(value, t, path)
            return float(value)
        if isinstance(t, mi.StrType):
            return self.check_str(value, t, path)
        if isinstance(t, mi.LiteralType):
            if any(type(value) is type(v) and value == v for v in t.values):
                return value
            return self.fail(path, "expected one of " + ", ".join(repr(v) for v in t.values))
        if isinstance(t, mi.ListType):
            return self.check_list(value, t, path)
        if isinstance(t, mi.DictType):
            return self.check_dict(value, t, path)
        if isinstance(t, mi.UnionType):
            return self.check_union(value, t, path)
        if isinstance(t, mi.StructType):
            return self.check_struct(value, t, path)
        raise TypeError(f"manifest models use a type the checker does not know: {t!r}")

    def bounds(self, value: float, t: mi.IntType | mi.FloatType, path: str) -> None:
        if t.ge is not None and value < t.ge:
            self.fail(path, f"must be at least {t.ge}")
        elif t.gt is not None and value <= t.gt:
            self.fail(path, f"must be greater than {t.gt}")
        elif t.le is not None and value > t.le:
            self.fail(path, f"must be at most {t.le}")
        elif t.lt is not None and value >= t.lt:
            self.fail(path, f"must be less than {t.lt}")

    def check_str(self, value: Any, t: mi.StrType, path: str) -> Any:
        if not isinstance(value, str):
            return self.fail(path, "expected a string")
        if t.min_length is not None and len(value) < t.min_length:
            self.fail(path, f"must have at least {t.min_length} characters")
        elif t.max_length is not None and len(value) > t.max_length:
            self.fail(path, f"must have at most {t.max_length} characters")
        elif t.pattern is not None and (
            re.search(t.pattern, value) is None or (t.pattern.endswith("$") and value.endswith("\n"))
        ):
            self.fail(path, f"must match {t.pattern}")
        return value  # a failed constraint still names the thing: later checks may use it

    def check_list(self, value: Any, t: mi.ListType, path: str) -> Any:
        if not isinstance(value, list):
            return self.fail(path, "expected a list")
        if t.min_length is not None and len(value) < t.min_length:
            self.fail(path, f"must have at least {t.min_length} item{'s' if t.min_length != 1 else ''}")
        if t.max_length is not None and len(value) > t.max_length:
            return self.fail(path, f"must have at most {t.max_length} items")
        items = [self.check(item, t.item_type, f"{path}[{i}]") for i, item in enumerate(value)]
        # One unusable item makes the whole list unusable: dropping it would shift the
        # indices that later errors name.
        return _INVALID if any(item is _INVALID for item in items) else items

    def check_dict(self, value: Any, t: mi.DictType, path: str) -> Any:
        if not isinstance(value, dict):
            return self.fail(path, "expected a mapping")
        if t.max_length is not None and len(value) > t.max_length:
            return self.fail(path, f"must have at most {t.max_length} entries")
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                self.fail(_join(path, str(key)), "keys must be strings")
                continue
            checked = self.check(item, t.value_type, _join(path, key))
            if checked is not _INVALID:
                result[key] = checked
        # Unusable entries are left out (keys, unlike indices, do not shift), so the rest of
        # the mapping still takes part in the later checks.
        return result

    def check_union(self, value: Any, t: mi.UnionType, path: str) -> Any:
        if value is None and any(isinstance(m, mi.NoneType) for m in t.types):
            return None
        members = [m for m in t.types if not isinstance(m, mi.NoneType)]
        if len(members) == 1:
            return self.check(value, members[0], path)
        for member in members:
            probe = _ShapeChecker()
            checked = probe.check(value, member, path)
            if not probe.errors:
                return checked
        return self.fail(path, "expected a value of another type")

    def check_struct(self, value: Any, t: mi.StructType, path: str) -> Any:
        if not isinstance(value, dict):
            return self.fail(path, "expected a mapping")
        by_name = {f.encode_name: f for f in t.fields}
        if t.forbid_unknown_fields:
            for key in value:
                if key not in by_name:
                    self.fail(_join(path, str(key)), f"unknown field; known: {', '.join(sorted(by_name))}")
        kwargs: dict[str, Any] = {}
        valid = True
        for field in t.fields:
            field_path = _join(path, field.encode_name)
            if field.encode_name not in value:
                if field.required:
                    self.fail(field_path, "required")
                    valid = False
                continue
            checked = self.check(value[field.encode_name], field.type, field_path)
            if checked is not _INVALID:
                kwargs[field.name] = checked
            elif field.required:
                valid = False
        if not valid:
            return _INVALID
        # The constructor skips constraint checks, so values that failed only a constraint
        # stand in for themselves; fields that failed outright took their defaults.
        return t.cls(**kwargs)

    def check_json(self, value: Any, path: str, depth: int) -> Any:  # noqa: PLR0911 - one branch per JSON type
        """Free-form values (a step's `with`): plain JSON, finite numbers, bounded nesting."""
        if depth > MAX_VALUE_DEPTH:
            return self.fail(path, f"nested more than {MAX_VALUE_DEPTH} levels deep")
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int):
            return value if -(2**63) <= value < 2**64 else self.fail(path, "integer out of range")
        if isinstance(value, float):
            return value if math.isfinite(value) else self.fail(path, "expected a finite number")
        if isinstance(value, list):
            items = [self.check_json(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
            return _INVALID if any(item is _INVALID for item in items) else items
        if isinstance(value, dict):
            result: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    self.fail(_join(path, str(key)), "keys must be strings")
                    continue
                checked = self.check_json(item, _join(path, key), depth + 1)
                if checked is not _INVALID:
                    result[key] = checked
            return result
        return self.fail(
            path, f"expected plain data (text, number, boolean, null, list or mapping), not {type(value).__name__}"
        )


_MANIFEST_TYPE = mi.type_info(WorkflowManifest)
_SPEC_TYPE = mi.type_info(WorkflowSpec)


def check_document(document: Any) -> list[FieldError]:
    """Every error of a parsed document: its shape first, then the rules that span fields."""
    checker = _ShapeChecker()
    checked = checker.check(document, _MANIFEST_TYPE, "")
    errors = checker.errors
    if isinstance(checked, WorkflowManifest):
        spec = checked.spec
    else:  # the spec on its own, so that a bad apiVersion or name does not hide the spec's errors
        raw_spec = document.get("spec") if isinstance(document, dict) else None
        spec = _ShapeChecker().check(raw_spec, _SPEC_TYPE, "spec")
    if isinstance(spec, WorkflowSpec):
        errors = errors + validation.validate(spec)
    return errors


def load_document(document: Any) -> WorkflowManifest:
    """The checked manifest, or InvalidRequest naming every bad field."""
    errors = check_document(document)
    if not errors:
        try:
            return msgspec.convert(document, WorkflowManifest)
        except msgspec.ValidationError as exc:  # the walker and msgspec disagree: trust msgspec
            errors = [FieldError(field="body", message=str(exc))]
    raise invalid(errors)


def invalid(errors: list[FieldError]) -> InvalidRequest:
    shown = errors[:MAX_REPORTED_ERRORS]
    if len(errors) > len(shown):
        shown.append(FieldError(field="body", message=f"{len(errors) - len(shown)} more errors not shown"))
    summary = "; ".join(f"{e.field}: {e.message}" for e in shown[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return InvalidRequest(f"the manifest is invalid: {summary}{more}", errors=shown)


def load(body: bytes, content_type: str | None) -> WorkflowManifest:
    """A request body to a checked manifest: media type, size, syntax, shape and rules."""
    return load_document(parse_document(body, format_of(content_type)))


# --- identity of a manifest -----------------------------------------------------------------


def canonical(manifest: WorkflowManifest) -> bytes:
    """The manifest as JSON with sorted keys and defaults filled in: equal manifests, equal bytes,
    whether they came as YAML or JSON, with or without the defaults spelled out."""
    return msgspec.json.encode(manifest, order="sorted")


def digest(manifest: WorkflowManifest) -> str:
    """What decides "same manifest, no new version": SHA-256 of the canonical form, in hex."""
    return hashlib.sha256(canonical(manifest)).hexdigest()
