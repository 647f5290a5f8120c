"""Platform-admin tenant provisioning through the HTTP API, against real PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.support import Client, unique_slug

PROBLEM = "application/problem+json"


async def create(client: Client, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("slug", unique_slug())
    body.setdefault("display_name", "Example Inc.")
    response = await client.post("/v1/admin/tenants", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def counts(owner_conn: asyncpg.Connection, slug: str) -> tuple[int, int]:
    tenants = await owner_conn.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", slug)
    audits = await owner_conn.fetchval(
        "SELECT count(*) FROM audit_events a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1", slug
    )
    return tenants, audits


async def test_create_get_and_audit(client: Client, admin: dict[str, str], owner_conn: asyncpg.Connection) -> None:
    slug = unique_slug()
    response = await client.post(
        "/v1/admin/tenants",
        json={"slug": slug, "display_name": "  Acme  "},
        headers={**admin, "X-Request-Id": "req-123"},
    )
    assert response.status_code == 201
    tenant = response.json()
    assert tenant["slug"] == slug
    assert tenant["display_name"] == "Acme"
    assert tenant["status"] == "active"
    assert tenant["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/v1/admin/tenants/{tenant['id']}"
    assert response.headers["x-request-id"] == "req-123"

    for ref in (tenant["id"], slug):
        fetched = await client.get(f"/v1/admin/tenants/{ref}", headers=admin)
        assert fetched.status_code == 200
        assert fetched.json() == tenant

    row = await owner_conn.fetchrow(
        "SELECT actor, action, target_id, before, after, request_id FROM audit_events WHERE tenant_id = $1",
        asyncpg.pgproto.pgproto.UUID(tenant["id"]),
    )
    assert row is not None
    assert row["actor"] == "admin:bootstrap"
    assert row["action"] == "tenant.create"
    assert row["target_id"] == tenant["id"]
    assert row["before"] is None
    assert '"slug": "' + slug in row["after"]
    assert row["request_id"] == "req-123"


async def test_requires_admin_token(client: Client) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": "Basic abc"}):
        response = await client.get("/v1/admin/tenants", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["type"].endswith("/unauthorized")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "AB", "display_name": "x"}, "slug"),
        ({"slug": "Upper-Case", "display_name": "x"}, "slug"),
        ({"slug": "-leading", "display_name": "x"}, "slug"),
        ({"slug": "trailing-", "display_name": "x"}, "slug"),
        ({"slug": "a" * 41, "display_name": "x"}, "slug"),
        ({"slug": "valid-slug", "display_name": 5}, "display_name"),
        ({"slug": "valid-slug", "display_name": "   "}, "display_name"),
        ({"slug": "valid-slug"}, "display_name"),
        ({"slug": "valid-slug", "display_name": "x", "plan": "gold"}, "plan"),
    ],
)
async def test_bad_input_is_a_problem_and_changes_nothing(
    client: Client,
    admin: dict[str, str],
    owner_conn: asyncpg.Connection,
    body: dict[str, Any],
    field: str,
) -> None:
    before = await owner_conn.fetchval("SELECT count(*) FROM tenants")
    response = await client.post("/v1/admin/tenants", json=body, headers=admin)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "https://fluxforge.dev/problems/validation-error"
    assert problem["status"] == 400
    assert [e["field"] for e in problem["errors"]] == [field]
    assert problem["request_id"] == response.headers["x-request-id"]
    assert await owner_conn.fetchval("SELECT count(*) FROM tenants") == before


async def test_malformed_json_and_oversized_body(client: Client, admin: dict[str, str]) -> None:
    response = await client.post(
        "/v1/admin/tenants", content=b'{"slug": "abc",', headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM

    huge = b'{"slug": "big-one", "display_name": "' + b"x" * 2_000_000 + b'"}'
    response = await client.post(
        "/v1/admin/tenants", content=huge, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")
    missing = await client.get("/v1/admin/tenants/big-one", headers=admin)
    assert missing.status_code == 404


async def test_unknown_route_and_method(client: Client, admin: dict[str, str]) -> None:
    response = await client.get("/v1/nothing-here", headers=admin)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "no route matches GET /v1/nothing-here"
    response = await client.put("/v1/admin/tenants", headers=admin, json={})
    assert response.status_code == 405
    assert response.json()["type"].endswith("/method-not-allowed")


async def test_duplicate_slug_conflicts(client: Client, admin: dict[str, str]) -> None:
    tenant = await create(client, admin)
    response = await client.post(
        "/v1/admin/tenants", json={"slug": tenant["slug"], "display_name": "Other"}, headers=admin
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("/conflict")


async def test_idempotent_create_replays_and_refuses_a_different_body(
    client: Client,
    admin: dict[str, str],
    owner_conn: asyncpg.Connection,
) -> None:
    slug = unique_slug()
    headers = {**admin, "Idempotency-Key": f"key-{slug}"}
    body = {"slug": slug, "display_name": "Once"}
    first = await client.post("/v1/admin/tenants", json=body, headers=headers)
    # Same body, keys in another order: the same request.
    second = await client.post("/v1/admin/tenants", json={"display_name": "Once", "slug": slug}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotency-replayed"] == "true"
    assert "idempotency-replayed" not in first.headers
    assert await counts(owner_conn, slug) == (1, 1)

    different = await client.post("/v1/admin/tenants", json={"slug": slug, "display_name": "Twice"}, headers=headers)
    assert different.status_code == 409
    assert different.json()["type"].endswith("/idempotency-key-reused")
    assert await counts(owner_conn, slug) == (1, 1)


async def test_concurrent_idempotent_creates_make_one_tenant(
    client: Client,
    admin: dict[str, str],
    owner_conn: asyncpg.Connection,
) -> None:
    slug = unique_slug()
    headers = {**admin, "Idempotency-Key": f"race-{slug}"}
    body = {"slug": slug, "display_name": "Race"}
    responses = await asyncio.gather(*(client.post("/v1/admin/tenants", json=body, headers=headers) for _ in range(8)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await counts(owner_conn, slug) == (1, 1)


async def test_list_is_cursor_paginated_in_creation_order(
    client: Client,
    admin: dict[str, str],
) -> None:
    prefix = unique_slug("page")
    created = [(await create(client, admin, slug=f"{prefix}-{i}"))["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/admin/tenants", params=params, headers=admin)).json()
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i for i in seen if i in created] == created
    assert len(seen) == len(set(seen))

    for bad in ({"limit": 0}, {"limit": 500}, {"cursor": "!!not-a-cursor!!"}, {"status": "gone"}):
        response = await client.get("/v1/admin/tenants", params=bad, headers=admin)
        assert response.status_code == 400, bad
        assert response.headers["content-type"] == PROBLEM


async def test_patch_needs_if_match_and_refuses_stale_versions(
    client: Client,
    admin: dict[str, str],
    owner_conn: asyncpg.Connection,
) -> None:
    tenant = await create(client, admin)
    url = f"/v1/admin/tenants/{tenant['id']}"

    missing = await client.patch(url, json={"display_name": "New"}, headers=admin)
    assert missing.status_code == 428

    updated = await client.patch(
        url, json={"display_name": "New", "status": "suspended"}, headers={**admin, "If-Match": '"1"'}
    )
    assert updated.status_code == 200
    assert updated.json()["display_name"] == "New"
    assert updated.json()["status"] == "suspended"
    assert updated.json()["version"] == 2
    assert updated.headers["etag"] == '"2"'

    stale = await client.patch(url, json={"display_name": "Stale"}, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"2"'
    assert stale.json()["type"].endswith("/precondition-failed")

    for body in ({"status": "deleted"}, {"slug": "renamed"}, {"display_name": ""}):
        bad = await client.patch(url, json=body, headers={**admin, "If-Match": '"2"'})
        assert bad.status_code == 400, body

    unchanged = await client.patch(url, json={"display_name": "New"}, headers={**admin, "If-Match": '"2"'})
    assert unchanged.json()["version"] == 2

    current = (await client.get(url, headers=admin)).json()
    assert (current["display_name"], current["status"], current["version"]) == ("New", "suspended", 2)
    actions = await owner_conn.fetch(
        "SELECT action, before->>'display_name' AS was, after->>'display_name' AS now FROM audit_events "
        "WHERE tenant_id = $1 ORDER BY occurred_at",
        asyncpg.pgproto.pgproto.UUID(tenant["id"]),
    )
    assert [(a["action"], a["was"], a["now"]) for a in actions] == [
        ("tenant.create", None, "Example Inc."),
        ("tenant.update", "Example Inc.", "New"),
    ]


async def test_delete_is_soft_and_final(
    client: Client,
    admin: dict[str, str],
    owner_conn: asyncpg.Connection,
) -> None:
    tenant = await create(client, admin)
    url = f"/v1/admin/tenants/{tenant['slug']}"

    stale = await client.delete(url, headers={**admin, "If-Match": '"7"'})
    assert stale.status_code == 412

    deleted = await client.delete(url, headers=admin)
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "deleted"
    assert deleted.json()["deleted_at"] is not None

    again = await client.delete(url, headers=admin)
    assert again.status_code == 200
    assert again.json()["version"] == deleted.json()["version"]

    still_there = await client.get(url, headers=admin)
    assert still_there.json()["status"] == "deleted"
    listed = (await client.get("/v1/admin/tenants", params={"limit": 200, "status": "deleted"}, headers=admin)).json()
    assert tenant["id"] in [t["id"] for t in listed["items"]]

    revive = await client.patch(
        url, json={"status": "active"}, headers={**admin, "If-Match": f'"{deleted.json()["version"]}"'}
    )
    assert revive.status_code == 409
    reuse = await client.post("/v1/admin/tenants", json={"slug": tenant["slug"], "display_name": "x"}, headers=admin)
    assert reuse.status_code == 409
    assert await counts(owner_conn, tenant["slug"]) == (1, 2)


async def test_missing_tenant_is_404(client: Client, admin: dict[str, str]) -> None:
    for ref in ("no-such-tenant", "01a2078f-629d-78ea-a192-4d8e31ad0121"):
        response = await client.get(f"/v1/admin/tenants/{ref}", headers=admin)
        assert response.status_code == 404
        assert response.json()["type"].endswith("/not-found")
