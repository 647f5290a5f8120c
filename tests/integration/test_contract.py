"""The committed openapi.yaml is exactly what the app serves, and reads well for SDK generators."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient

from fluxforge.cli import offline_app, openapi_yaml
from fluxforge.contract import ADMIN_SECURITY, TENANT_SECURITY, USER_SECURITY
from fluxforge.identity.admin_token import require_admin
from fluxforge.rbac.access import require_user

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
        assert tag in declared, f"{method} {path}: tag {tag} is not declared in fluxforge.contract.TAGS"
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
