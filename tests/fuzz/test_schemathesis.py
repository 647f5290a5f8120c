"""schemathesis over every operation of openapi.yaml, against the live service (tests/fuzz/conftest.py).

Each operation is called with generated data (bounded, derandomized: the same examples every run),
authenticated as tenant A's owner (a member) or, for /v1/admin, with the platform's admin token.
Path parameters are the world's real ids, except in every fifth example, which keeps the generated
values so that odd ids are fuzzed too. Every answer must be non-5xx and conform to the contract:
a documented status code, its content type and its schema. Tenant B's rows are fingerprinted before
and after each operation and must not change. Deleting operations run last (deepest paths first),
so they do not pull the world's ids from under the others.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import World, run_async, tenant_fingerprint

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
schema = schemathesis.openapi.from_path(SCHEMA_PATH)

# Examples per operation: ~95 operations x this many requests keeps the whole step near 3-4 minutes.
MAX_EXAMPLES = int(os.environ.get("FLUXFORGE_FUZZ_EXAMPLES", "25"))
KEEP_GENERATED_PATH_EVERY = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations that cannot answer anything but 401/404 to a generated request, and why.
ONLY_401_OR_404: dict[str, str] = {}

# Platform-wide operations that change every tenant by design (the admin closes a period for all).
CROSS_TENANT_BY_DESIGN = {"POST /v1/admin/billing/periods/close"}

# Status codes each operation answered with, for test_every_operation_reached_a_handler.
SEEN: dict[str, set[int]] = defaultdict(set)
_calls: dict[str, int] = defaultdict(int)


def label(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def _send(case: Any, world: World) -> requests.Response:
    """The case as a request: real ids in the path, the right credentials, Stripe's signature."""
    path = case.operation.path
    key = label(case.method, path)
    _calls[key] += 1
    values = world.path_values(path)
    if case.path_parameters and _calls[key] % KEEP_GENERATED_PATH_EVERY != 0:
        case.path_parameters = {
            name: values.get(name, value) if name != "other" else value for name, value in case.path_parameters.items()
        }
    if key.endswith("/trace/diff") and isinstance(case.query, dict) and _calls[key] % 2:
        case.query = {**case.query, "other": world.tenant["other_run"]}
    kwargs = case.as_transport_kwargs(base_url=world.base_url, headers=world.headers_for(path))
    # Whitespace around a field value is not part of it (RFC 9110 5.5), and requests refuses to send it.
    kwargs["headers"] = {k: v.strip() if isinstance(v, str) else v for k, v in kwargs.get("headers", {}).items()}
    if path == "/v1/webhooks/stripe":
        # Signed like Stripe signs, so that the body is parsed and judged, not only the signature.
        body = kwargs.pop("json", None)
        payload = kwargs.pop("data", None)
        if payload is None:
            payload = json.dumps(body).encode()
        elif isinstance(payload, str):
            payload = payload.encode()
        kwargs["data"] = payload
        kwargs["headers"] = {**kwargs.get("headers", {}), "Stripe-Signature": world.sign(payload)}
    response = requests.request(**kwargs, timeout=30, allow_redirects=False)
    SEEN[key].add(response.status_code)
    return response


@pytest.fixture
def bystander_unchanged(request: pytest.FixtureRequest, fuzz_world: World) -> Any:
    """Tenant B's rows, digested before and after the operation, must be the same."""
    before = run_async(lambda: tenant_fingerprint(fuzz_world.database_url, fuzz_world.bystander))
    yield
    after = run_async(lambda: tenant_fingerprint(fuzz_world.database_url, fuzz_world.bystander))
    operation = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name
    if not any(exempt in request.node.name for exempt in CROSS_TENANT_BY_DESIGN):
        assert before == after, f"{operation} changed another tenant's rows"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation_conforms_and_isolates(case: Any, fuzz_world: World, bystander_unchanged: None) -> None:
    response = _send(case, fuzz_world)
    case.validate_response(response, checks=CHECKS)


def test_every_operation_reached_a_handler() -> None:
    """With real ids and credentials every operation answered something besides 401/404 at least once."""
    operations = [label(op.method, op.path) for op in _operations()]
    assert SEEN, "the fuzz tests did not run before this one"
    print(f"fuzz requests: {sum(_calls.values())}; busiest: {sorted(_calls.items(), key=lambda kv: -kv[1])[:8]}")
    unreached = {
        op: sorted(SEEN.get(op, set()))
        for op in operations
        if op not in ONLY_401_OR_404 and not SEEN.get(op, set()) - {401, 404}
    }
    assert not unreached, f"only 401/404 (or nothing) from: {unreached}"


def _operations() -> list[APIOperation[Any, Any, Any, Any]]:
    """Every operation of the contract; an operation schemathesis cannot read is an error here."""
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())
    return operations
