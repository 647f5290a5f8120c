"""The committed openapi.yaml is exactly what the app serves, and reads well for SDK generators."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import asyncpg
import yaml
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient

from fluxforge.conventions import IF_MATCH_PATTERN
from fluxforge.idempotency import IDEMPOTENCY_KEY_PATTERN
from fluxforge.rbac.permissions import ALL_PERMISSIONS
from fluxforge.runtime.cli import offline_app, openapi_yaml
from fluxforge.web.access import require_admin, require_user
from fluxforge.web.contract import ADMIN_SECURITY, TENANT_SECURITY, USER_SECURITY
from tests.conftest import make_tenant, make_user

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_committed_contract_equals_generated() -> None:
    assert COMMITTED.read_text() == openapi_yaml(), "openapi.yaml is stale: run `make openapi` and commit it"


async def test_served_contract_equals_committed(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.get("/openapi/openapi.json")
    assert response.status_code == 200
    assert response.json() == yaml.safe_load(COMMITTED.read_text())


def test_every_operation_is_named_tagged_and_documents_problems() -> None:
    spec = yaml.safe_load(COMMITTED.read_text())
    operation_ids = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation.get("operationId"), f"{method} {path} has no operationId"
            assert operation.get("tags"), f"{method} {path} has no tags"
            operation_ids.append(operation["operationId"])
            if path.startswith("/v1/"):
                for status, response in operation["responses"].items():
                    if status.startswith(("4", "5")):
                        assert "application/problem+json" in response["content"], f"{method} {path} {status}"
    assert len(operation_ids) == len(set(operation_ids))


PASCAL_CASE = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$")
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_operation_ids_are_unique_pascal_case() -> None:
    spec = yaml.safe_load(COMMITTED.read_text())
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert [i for i in ids if not PASCAL_CASE.match(i)] == []
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_each_operation_has_one_declared_and_described_tag() -> None:
    spec = yaml.safe_load(COMMITTED.read_text())
    declared = {tag["name"]: tag.get("description", "") for tag in spec["tags"]}
    assert all(PASCAL_CASE.match(name) and description for name, description in declared.items()), declared
    used = set()
    for method, path, operation in operations(spec):
        assert len(operation["tags"]) == 1, f"{method} {path}: {operation['tags']}"
        tag = operation["tags"][0]
        assert tag in declared, f"{method} {path}: tag {tag} is not declared in fluxforge.web.contract.TAGS"
        assert tag.startswith("Admin") == path.startswith("/v1/admin/"), f"{method} {path}: {tag}"
        used.add(tag)
    assert set(declared) - used == set(), "declared tags that no route uses"


def _expected_security(handler: HTTPRouteHandler) -> list[dict[str, list[str]]] | None:
    """What a route must declare, read from the guards that really run on it."""
    guards = [getattr(g, "func", g) for g in handler.resolve_guards()]  # sync guards come wrapped
    if require_admin in guards:
        return ADMIN_SECURITY
    if require_user in guards:
        return USER_SECURITY
    if any(getattr(g, "__qualname__", "") == "require.<locals>.guard" for g in guards):
        return TENANT_SECURITY
    assert guards == [], f"{handler.operation_id}: unknown guard {guards}"
    return None


def test_security_matches_the_guards() -> None:
    app = offline_app()
    spec = yaml.safe_load(COMMITTED.read_text())
    declared = {op["operationId"]: op.get("security") for _, _, op in operations(spec)}
    public = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not handler.resolve_include_in_schema():
                continue
            expected = _expected_security(handler)
            assert declared[handler.operation_id] == expected, handler.operation_id
            if expected is None:
                public.add(handler.operation_id)
    schemes = spec["components"]["securitySchemes"]
    assert {"userToken", "apiKey", "oidcSignIn", "adminToken"} <= set(schemes)
    assert schemes["oidcSignIn"]["flows"]["authorizationCode"]["tokenUrl"] == "/v1/auth/token"
    # Unauthenticated on purpose: probes, the sign-in flow itself, the JWKS and Stripe's signed webhook.
    assert public == {
        "GetLiveness",
        "GetReadiness",
        "StartSignIn",
        "FinishSignIn",
        "CreateTokens",
        "Logout",
        "GetJwks",
        "ReceiveStripeWebhook",
    }


# Free-form on purpose: what the user defines (workflow inputs and step arguments, usage
# properties, step outputs) and snapshots/comparisons of arbitrary JSON values.
FREE_FORM = {
    "AuditEvent.after",
    "AuditEvent.before",
    "Divergence.expected",
    "Divergence.got",
    "Run.inputs",
    "RunCreate.inputs",
    "RunStep.input",
    "RunStep.outputs",
    "RunTrace.inputs",
    "TraceAttempt.input",
    "TraceAttempt.output",
    "TraceDifference.left",
    "TraceDifference.right",
    "UsageEvent.properties",
    "WorkflowInput.default",
    "WorkflowStep.with",
}


def _untyped(schema: Any) -> bool:
    """An object with no declared properties and any values, or a schema with no type at all."""
    if not isinstance(schema, dict):
        return False
    if schema == {}:
        return True
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants:
        return any(_untyped(v) for v in variants)
    return (
        schema.get("type") == "object"
        and "properties" not in schema
        and schema.get("additionalProperties", {}) in ({}, True)
    )


def _untyped_places(spec: dict[str, Any]) -> set[str]:
    found = set()
    for name, schema in spec["components"]["schemas"].items():
        if _untyped(schema):
            found.add(name)
        for prop, sub in schema.get("properties", {}).items():
            if _untyped(sub) or _untyped(sub.get("items")):
                found.add(f"{name}.{prop}")
    for method, path, operation in operations(spec):
        bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
        for body in bodies:
            for media, content in body.get("content", {}).items():
                # An event stream is typed event by event (`itemSchema`); its `schema` is the text.
                if _untyped(content.get("itemSchema", content.get("schema"))):
                    found.add(f"{method} {path} {media}")
    return found


def test_no_untyped_objects_where_the_type_is_known() -> None:
    spec = yaml.safe_load(COMMITTED.read_text())
    assert _untyped_places(spec) == FREE_FORM


def test_the_untyped_check_sees_untyped_objects() -> None:
    spec = {
        "components": {"schemas": {"A": {"type": "object", "properties": {"x": {"type": "object"}, "y": {}}}}},
        "paths": {"/p": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}}},
    }
    spec["paths"]["/p"]["post"]["responses"] = {}
    assert _untyped_places(spec) == {"A.x", "A.y", "post /p application/json"}


def _statuses_the_route_can_return(handler: HTTPRouteHandler) -> set[str]:
    """Derived from what runs on the route: its guard, its parameters and body, its headers."""
    guards = [getattr(g, "func", g) for g in handler.resolve_guards()]
    need = set()
    if require_admin in guards:
        need |= {401}
    elif require_user in guards:
        need |= {401, 403}
    elif guards:  # require(permission): unknown tenant 404, missing permission 403, rate limit 429
        need |= {401, 403, 404, 429}
    params = handler.parsed_fn_signature.parameters
    if set(params) - {"self", "request", "state", "services"}:
        need.add(400)
    if "data" in params:
        need |= {400, 413}
    if "if_match" in params:
        need.add(412)
        if params["if_match"].kwarg_definition.required:
            need.add(428)
    if "idempotency_key" in params:
        need |= {400, 409}
    return {str(s) for s in need}


def test_every_status_a_route_can_return_is_documented_with_its_headers() -> None:
    app = offline_app()
    spec = yaml.safe_load(COMMITTED.read_text())
    by_id = {op["operationId"]: op for _, _, op in operations(spec)}
    checked = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not handler.resolve_include_in_schema():
                continue
            operation = by_id[handler.operation_id]
            responses = operation["responses"]
            missing = _statuses_the_route_can_return(handler) - set(responses)
            assert missing == set(), f"{handler.operation_id} does not document {sorted(missing)}"
            if "429" in responses:
                assert responses["429"]["headers"]["Retry-After"]["required"] is True
            if "401" in responses:
                assert "WWW-Authenticate" in responses["401"]["headers"]
            if "412" in responses:
                assert "ETag" in responses["412"]["headers"]
            headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
            if "If-Match" in headers:
                assert headers["If-Match"]["required"] == ("428" in responses), handler.operation_id
                assert headers["If-Match"]["schema"]["pattern"] == IF_MATCH_PATTERN
            else:
                assert {"412", "428"}.isdisjoint(responses), handler.operation_id
            if "Idempotency-Key" in headers:
                success = [r for s, r in responses.items() if s.startswith("2")]
                assert all("Idempotency-Replayed" in r.get("headers", {}) for r in success), handler.operation_id
            checked += 1
    assert checked == len(by_id)


# Creating POSTs that refuse Idempotency-Key: their response carries a secret shown once
# (invitation token, API key), and a replay would have to keep that secret in plain text.
NOT_REPLAYABLE = {"CreateInvitation", "CreateApiKey"}


def test_creating_posts_take_an_idempotency_key() -> None:
    spec = yaml.safe_load(COMMITTED.read_text())
    creating = {
        op["operationId"]: op for method, _, op in operations(spec) if method == "post" and "201" in op["responses"]
    }
    keyed = {
        op_id
        for op_id, op in creating.items()
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
    }
    assert set(creating) - keyed == NOT_REPLAYABLE
    for op_id in keyed:
        key = next(p for p in creating[op_id]["parameters"] if p["name"] == "Idempotency-Key")
        assert (key["schema"]["maxLength"], key["schema"]["pattern"]) == (255, IDEMPOTENCY_KEY_PATTERN), op_id
        assert "409" in creating[op_id]["responses"], op_id


def test_role_permissions_are_the_vocabulary() -> None:
    spec = yaml.safe_load(COMMITTED.read_text())
    for schema in ("RoleCreate", "RolePatch"):
        permissions = spec["components"]["schemas"][schema]["properties"]["permissions"]
        items = next(v for v in permissions.get("oneOf", [permissions]) if v.get("type") == "array")["items"]
        assert sorted(items["enum"]) == sorted(ALL_PERMISSIONS), schema


async def test_an_unknown_permission_is_refused_by_the_schema(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,  # type: ignore[type-arg]
) -> None:
    owner = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    body = {"name": "odd", "permissions": ["tenant:read", "tenant:own"]}
    response = await client.post(f"/v1/tenants/{slug}/roles", json=body, headers=owner.headers)
    assert response.status_code == 400
    assert response.json()["type"].endswith("/validation-error")
    assert response.json()["errors"][0]["field"].startswith("permissions")
    assert (await client.get(f"/v1/tenants/{slug}/roles", headers=owner.headers)).json()["items"][-1]["name"] != "odd"


# Answers every item in one page (built-in roles plus the tenant's custom ones); next_cursor is null.
UNPAGED_LISTS = {"ListRoles"}


def test_list_operations_are_cursor_paginated() -> None:
    spec = yaml.safe_load(COMMITTED.read_text())
    schemas = spec["components"]["schemas"]
    lists = 0
    for method, path, operation in operations(spec):
        body = operation["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        page = schemas.get(body.get("$ref", "").rpartition("/")[2], {}).get("properties", {})
        params = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        if not operation["operationId"].startswith("List") and "next_cursor" not in page:
            continue
        lists += 1
        assert {"items", "next_cursor"} <= set(page), f"{method} {path}"
        if operation["operationId"] in UNPAGED_LISTS:
            assert {"limit", "cursor"}.isdisjoint(params)
            continue
        assert params["limit"]["schema"]["maximum"] == 200, f"{method} {path}"
        assert params["cursor"]["required"] is False, f"{method} {path}"
    assert lists >= 19
