"""Manifests from request bodies (fluxforge.workflows.manifest): formats, limits, every error at
once with its path, and what makes two manifests the same."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluxforge.errors import InvalidRequest
from fluxforge.workflows import manifest
from fluxforge.workflows.manifest import ManifestTooLarge, UnsupportedMediaType
from fluxforge.workflows.models import MAX_MANIFEST_BYTES, MAX_STEPS, WorkflowManifest

YAML = b"""
apiVersion: fluxforge.dev/v1
kind: Workflow
metadata:
  name: nightly-report
  labels: {team: data}
spec:
  description: Fetch, wait, report.
  inputs:
    - {name: target, type: string, required: true}
    - {name: retries, type: integer, default: 3}
  steps:
    - id: fetch
      uses: http
      with:
        url: "https://example.com/${{ inputs.target }}"
        method: GET
      retry: {max_attempts: 3, backoff: linear, initial_delay_seconds: 0.5}
      timeout_seconds: 10
    - id: wait
      uses: sleep
      with: {seconds: 1}
    - id: report
      uses: emit
      needs: [fetch, wait]
      with:
        type: report.ready
        data: {status: "${{ steps.fetch.outputs.status }}"}
"""


def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(YAML)
    return loaded


def errors_of(document: Any) -> dict[str, str]:
    return {e.field: e.message for e in manifest.check_document(document)}


def test_yaml_and_json_give_the_same_manifest_and_digest() -> None:
    from_yaml = manifest.load(YAML, "application/yaml")
    from_json = manifest.load(msgspec.json.encode(doc()), "application/json; charset=utf-8")
    assert from_yaml == from_json
    assert manifest.digest(from_yaml) == manifest.digest(from_json)
    assert from_yaml.spec.steps[0].retry.max_attempts == 3
    assert from_yaml.spec.steps[1].timeout_seconds == 300.0  # the default
    assert from_yaml.spec.steps[2].with_["type"] == "report.ready"


def test_defaults_spelled_out_and_key_order_do_not_change_the_digest() -> None:
    base = manifest.load_document(doc())
    explicit = doc()
    explicit["spec"]["steps"][1].update(
        {"needs": [], "timeout_seconds": 300, "retry": {"max_attempts": 1, "jitter": 0.2}}
    )
    explicit["metadata"] = dict(reversed(list(explicit["metadata"].items())))
    explicit["spec"]["steps"][2]["with"] = dict(reversed(list(explicit["spec"]["steps"][2]["with"].items())))
    assert manifest.digest(manifest.load_document(explicit)) == manifest.digest(base)
    changed = doc()
    changed["spec"]["steps"][1]["with"]["seconds"] = 2
    assert manifest.digest(manifest.load_document(changed)) != manifest.digest(base)
    relabelled = doc()
    relabelled["metadata"]["labels"]["team"] = "ops"
    assert manifest.digest(manifest.load_document(relabelled)) != manifest.digest(base)


def test_the_canonical_form_round_trips() -> None:
    loaded = manifest.load(YAML, "application/yaml")
    again = msgspec.json.decode(manifest.canonical(loaded), type=WorkflowManifest)
    assert again == loaded
    assert manifest.canonical(again) == manifest.canonical(loaded)


def test_media_types() -> None:
    for content_type in ("application/yaml", "application/x-yaml", "text/yaml", "Application/YAML; charset=utf-8"):
        assert manifest.format_of(content_type) == "yaml"
    assert manifest.format_of("application/json") == "json"
    for unsupported in (None, "", "text/plain", "application/xml"):
        with pytest.raises(UnsupportedMediaType):
            manifest.format_of(unsupported)


def test_size_limit() -> None:
    with pytest.raises(ManifestTooLarge):
        manifest.parse_document(b" " * (MAX_MANIFEST_BYTES + 1), "json")
    assert manifest.parse_document(b" " * (MAX_MANIFEST_BYTES - 2) + b"{}", "json") == {}


@pytest.mark.parametrize(
    ("body", "fmt", "message"),
    [
        (b"{", "json", "not valid JSON"),
        (b"a: [1", "yaml", "not valid YAML"),
        (b"\xff\xfe", "yaml", "not valid UTF-8"),
        (b"[1, 2]", "json", "expected a mapping"),
        (b"just text", "yaml", "expected a mapping"),
        (b"a: 1\n---\nb: 2\n", "yaml", "not valid YAML"),
        (b"a: &x [1]\nb: *x\n", "yaml", "aliases (*name) are not allowed in manifests at line 1, column 4"),
        (b"a: !!python/object:os.system {}\n", "yaml", "not valid YAML"),
        (b"a: &x 1\nb: *x\n", "yaml", "aliases (*name) are not allowed"),
        (b"a: &x [*x]\n", "yaml", "aliases (*name) are not allowed"),
        (b"[" * 5000 + b"]" * 5000, "yaml", ""),
    ],
)
def test_malformed_bodies(body: bytes, fmt: manifest.Format, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        manifest.parse_document(body, fmt)
    assert caught.value.errors is not None
    assert caught.value.errors[0].field == "body"
    assert message in caught.value.errors[0].message


def test_yaml_scalars_follow_yaml_1_2() -> None:
    parsed = manifest.parse_document(
        b"a: on\nb: 12:30\nc: 010\nd: 2024-01-01\ne: 0x1F\nf: 1.5e3\ng: yes\nh: ~\ni: true\nj: '5'\nk: 1_000\n", "yaml"
    )
    assert parsed == {
        "a": "on",
        "b": "12:30",
        "c": 10,
        "d": "2024-01-01",
        "e": 31,
        "f": 1500.0,
        "g": "yes",
        "h": None,
        "i": True,
        "j": "5",
        "k": "1_000",
    }


def test_every_error_at_once_with_its_path() -> None:
    bad = doc()
    bad["apiVersion"] = "fluxforge.dev/v2"
    bad["metadata"] = {"name": "Not A Label", "colour": "red"}
    bad["spec"]["inputs"][1]["default"] = "three"
    steps = bad["spec"]["steps"]
    steps[0]["timeout_seconds"] = 0
    steps[0]["retry"]["backoff"] = "quadratic"
    steps[1]["needs"] = ["report"]  # wait -> report -> wait
    steps[1]["with"] = {"seconds": True}
    steps[2]["with"]["data"]["x"] = "${{ steps.ghost.outputs.v }}"
    steps.append({"id": "fetch", "uses": "echo", "surprise": 1})
    assert errors_of(bad) == {
        "apiVersion": "expected one of 'fluxforge.dev/v1'",
        "metadata.colour": "unknown field; known: labels, name",
        "metadata.name": "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        "spec.steps[0].timeout_seconds": "must be at least 0.001",
        "spec.steps[0].retry.backoff": "expected one of 'exponential', 'linear'",
        "spec.steps[3].surprise": "unknown field; known: description, id, needs, retry, timeout_seconds, uses, with",
        "spec.inputs[1].default": "expected integer, like the input's type",
        "spec.steps[3].id": "duplicate step id 'fetch' (first at spec.steps[0])",
        "spec.steps[2].needs[1]": "needs form a cycle: wait -> report -> wait",
        "spec.steps[1].with.seconds": "expected number or integer, not boolean",
        "spec.steps[2].with.data.x": "${{ steps.ghost.outputs.v }} names unknown step 'ghost'",
    }
    with pytest.raises(InvalidRequest) as caught:
        manifest.load_document(bad)
    assert caught.value.errors is not None
    assert len(caught.value.errors) == 11
    assert caught.value.detail is not None
    assert "(and 6 more)" in caught.value.detail


def test_shape_errors_of_every_kind() -> None:
    bad = doc()
    spec = bad["spec"]
    spec["description"] = 5
    spec["inputs"] = "none"
    spec["steps"][0]["needs"] = "wait"
    deep: Any = "too deep"
    for _ in range(18):
        deep = [deep]
    spec["steps"][0]["with"].update({1: "x", "deep": deep})
    spec["steps"][1]["retry"] = {"max_attempts": 0, "jitter": 2, "retry_on": ["gremlins"]}
    spec["steps"][2]["timeout_seconds"] = float("inf")
    spec["steps"][2]["description"] = "x" * 1001
    assert errors_of(bad) == {
        "spec.description": "expected a string",
        "spec.inputs": "expected a list",
        "spec.steps[0].needs": "expected a list",
        "spec.steps[0].with.1": "keys must be strings",
        "spec.steps[0].with.deep" + "[0]" * 17: "nested more than 16 levels deep",
        "spec.steps[1].retry.max_attempts": "must be at least 1",
        "spec.steps[1].retry.jitter": "must be at most 1",
        "spec.steps[1].retry.retry_on[0]": "expected one of 'agent_unavailable', 'circuit_open', 'connection', "
        "'executor_error', 'http_429', 'http_4xx', 'http_5xx', 'invalid_input', 'timeout'",
        "spec.steps[2].timeout_seconds": "expected a finite number",
        "spec.steps[2].description": "must have at most 1000 characters",
        # the bad entries of `with` are left out and the rest is still checked: since the
        # inputs fell back to none declared, the reference to an input is reported too
        "spec.steps[0].with.url": "${{ inputs.target }} names input 'target', which spec.inputs does not declare",
    }


def test_structure_too_broken_for_rules_still_reports_its_shape() -> None:
    assert errors_of({"apiVersion": "fluxforge.dev/v1", "kind": "Workflow"}) == {
        "metadata": "required",
        "spec": "required",
    }
    assert errors_of({"apiVersion": "fluxforge.dev/v1", "kind": "Workflow", "metadata": {"name": "x"}, "spec": {}}) == {
        "spec.steps": "required"
    }
    too_many = doc()
    too_many["spec"]["steps"] = [{"id": f"s{i}", "uses": "echo"} for i in range(MAX_STEPS + 1)]
    assert errors_of(too_many) == {"spec.steps": f"must have at most {MAX_STEPS} items"}
    no_steps = doc()
    no_steps["spec"]["steps"] = []
    assert errors_of(no_steps) == {"spec.steps": "must have at least 1 item"}
    bad_step = doc()
    bad_step["spec"]["steps"][0] = {"id": 7, "uses": "echo"}
    assert errors_of(bad_step) == {"spec.steps[0].id": "expected a string"}


def test_a_trailing_newline_does_not_sneak_past_a_pattern() -> None:
    bad = doc()
    bad["metadata"]["name"] = "nightly\n"
    assert "metadata.name" in errors_of(bad)


def test_the_error_list_is_capped() -> None:
    bad = doc()
    bad["spec"]["steps"] = [{"id": f"s{i}", "uses": "nope"} for i in range(150)]
    with pytest.raises(InvalidRequest) as caught:
        manifest.load_document(bad)
    assert caught.value.errors is not None
    assert len(caught.value.errors) == manifest.MAX_REPORTED_ERRORS + 1
    assert caught.value.errors[-1].message == "50 more errors not shown"


# --- properties -------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=6),
        st.sampled_from(["echo", "http", "GET", "a", "fetch", "wait", "exponential", "timeout", "${{ inputs.x }}"]),
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.extend(paths(item, (*prefix, i)))
    return found


def mutate(document: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    target = document
    for part in path[:-1]:
        target = target[part]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_checker_and_msgspec_agree_on_mutated_manifests(data: st.DataObject) -> None:
    """Whatever the walker accepts, msgspec converts; whatever msgspec refuses, the walker reports."""
    document = doc()
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths(document)))
        document = mutate(
            copy.deepcopy(document), path, data.draw(json_values), bool(path) and data.draw(st.booleans())
        )
    shape_ok = True
    try:
        msgspec.convert(document, WorkflowManifest)
    except msgspec.ValidationError:
        shape_ok = False
    try:
        errors = manifest.check_document(document)
    except Exception as exc:  # the checker must never crash, whatever it is given
        raise AssertionError(f"checker crashed on {document!r}") from exc
    if not errors:
        assert shape_ok
        loaded = manifest.load_document(document)
        assert manifest.check_document(msgspec.to_builtins(loaded)) == []
    if not shape_ok:
        assert errors
    for error in errors:
        assert error.field
        assert error.message


@given(json_values)
def test_anything_at_all_is_answered_with_field_errors(document: Any) -> None:
    errors = manifest.check_document(document)
    assert errors
    assert all(e.field and e.message for e in errors)
