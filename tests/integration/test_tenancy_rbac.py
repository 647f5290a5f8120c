"""Self-service tenants, namespaces and role-based access, through the HTTP API."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from tests.conftest import SignedInUser, make_tenant, make_user


async def test_signed_in_user_creates_and_lists_tenants(
    client: AsyncTestClient,
    user: SignedInUser,
    owner_conn: asyncpg.Connection,  # type: ignore[type-arg]
) -> None:
    slug = await make_tenant(client, user)
    mine = (await client.get("/v1/tenants", headers=user.headers)).json()
    assert [t["slug"] for t in mine["items"]] == [slug]
    tenant = (await client.get(f"/v1/tenants/{slug}", headers=user.headers)).json()
    assert tenant["status"] == "active"
    namespaces = (await client.get(f"/v1/tenants/{slug}/namespaces", headers=user.headers)).json()
    assert [n["name"] for n in namespaces["items"]] == ["default"]
    owner_role = await owner_conn.fetchval(
        "SELECT role FROM role_bindings WHERE subject_id = $1 AND namespace_id IS NULL", user.id
    )
    assert owner_role == "owner"


async def test_without_a_token_or_with_a_bad_one(client: AsyncTestClient, user: SignedInUser) -> None:  # type: ignore[type-arg]
    slug = await make_tenant(client, user)
    assert (await client.get(f"/v1/tenants/{slug}")).status_code == 401
    bad = await client.get(f"/v1/tenants/{slug}", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401
    assert bad.headers["content-type"] == "application/problem+json"


async def test_other_tenants_are_invisible(
    client: AsyncTestClient,
    owner_conn: asyncpg.Connection,  # type: ignore[type-arg]
) -> None:
    alice = await make_user(client, owner_conn)
    bob = await make_user(client, owner_conn)
    alices = await make_tenant(client, alice)
    for path in (
        f"/v1/tenants/{alices}",
        f"/v1/tenants/{alices}/namespaces",
        f"/v1/tenants/{alices}/namespaces/default",
    ):
        response = await client.get(path, headers=bob.headers)
        assert response.status_code == 404, path
        assert response.json()["type"].endswith("/not-found")
    assert (await client.get("/v1/tenants", headers=bob.headers)).json()["items"] == []


async def test_namespace_crud_with_versions(client: AsyncTestClient, user: SignedInUser) -> None:  # type: ignore[type-arg]
    slug = await make_tenant(client, user)
    base = f"/v1/tenants/{slug}/namespaces"
    created = await client.post(base, json={"name": "prod", "labels": {"tier": "1"}}, headers=user.headers)
    assert created.status_code == 201
    assert created.headers["etag"] == '"1"'
    dup = await client.post(base, json={"name": "prod"}, headers=user.headers)
    assert dup.status_code == 409
    for bad in ({"name": "Prod"}, {"name": "-x"}, {"name": "a" * 64}, {"name": "ok", "extra": 1}):
        assert (await client.post(base, json=bad, headers=user.headers)).status_code == 400, bad
    patched = await client.patch(
        f"{base}/prod", json={"display_name": "Production"}, headers={**user.headers, "If-Match": '"1"'}
    )
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    stale = await client.patch(f"{base}/prod", json={"display_name": "X"}, headers={**user.headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    deleted = await client.delete(f"{base}/prod", headers=user.headers)
    assert deleted.json()["status"] == "deleted"
    assert (await client.get(f"{base}/prod", headers=user.headers)).status_code == 404
    again = await client.post(base, json={"name": "prod"}, headers=user.headers)
    assert again.status_code == 201
