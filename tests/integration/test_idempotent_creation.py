"""Creating POSTs honour Idempotency-Key: a retry returns the first response and creates nothing.

One test per kind of route that claims keys through `fluxforge.idempotency.replay_or_claim`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import SignedInUser, make_tenant, make_user

PROBLEM = "application/problem+json"


async def _api_key_id(client: AsyncTestClient, slug: str, owner: SignedInUser) -> str:  # type: ignore[type-arg]
    created = await client.post(
        f"/v1/tenants/{slug}/api-keys", json={"name": "ci", "role": "viewer"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    key_id: str = created.json()["id"]
    return key_id


async def _namespace(client: AsyncTestClient, slug: str, owner: SignedInUser) -> tuple[str, Any, Any]:  # type: ignore[type-arg]
    return f"/v1/tenants/{slug}/namespaces", {"name": "staging"}, {"name": "staging2"}


async def _role(client: AsyncTestClient, slug: str, owner: SignedInUser) -> tuple[str, Any, Any]:  # type: ignore[type-arg]
    body = {"name": "auditor", "permissions": ["audit:read"]}
    return f"/v1/tenants/{slug}/roles", body, {**body, "description": "another request"}


async def _binding(client: AsyncTestClient, slug: str, owner: SignedInUser) -> tuple[str, Any, Any]:  # type: ignore[type-arg]
    key_id = await _api_key_id(client, slug, owner)
    body = {"role": "billing", "subject_type": "api_key", "subject_id": key_id}
    return f"/v1/tenants/{slug}/role-bindings", body, {**body, "role": "operator"}


# (what to create, SQL that counts what the creation made)
KINDS: dict[str, tuple[Callable[..., Any], str]] = {
    "namespace": (_namespace, "SELECT count(*) FROM namespaces WHERE tenant_id = $1 AND name LIKE 'staging%'"),
    "role": (_role, "SELECT count(*) FROM roles WHERE tenant_id = $1"),
    "role-binding": (_binding, "SELECT count(*) FROM role_bindings WHERE tenant_id = $1 AND subject_type = 'api_key'"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_retry_with_the_same_key_returns_the_first_response_and_creates_once(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,  # type: ignore[type-arg]
    kind: str,
) -> None:
    owner = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    make, count_sql = KINDS[kind]
    url, body, other_body = await make(client, slug, owner)
    before = await owner_conn.fetchval(count_sql, tenant_id)
    keyed = {**owner.headers, "Idempotency-Key": f"create-{kind}-1"}

    first = await client.post(url, json=body, headers=keyed)
    assert first.status_code == 201, first.text
    assert "idempotency-replayed" not in first.headers
    retry = await client.post(url, json=body, headers=keyed)
    assert retry.status_code == 201, retry.text
    assert retry.headers["idempotency-replayed"] == "true"
    assert retry.json() == first.json()
    assert retry.headers.get("etag") == first.headers.get("etag")
    assert await owner_conn.fetchval(count_sql, tenant_id) == before + 1

    reused = await client.post(url, json=other_body, headers=keyed)
    assert reused.status_code == 409
    assert reused.headers["content-type"] == PROBLEM
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert await owner_conn.fetchval(count_sql, tenant_id) == before + 1

    # Without a key there is no replay: the same body is a second creation (here: a conflict).
    unkeyed = await client.post(url, json=body, headers=owner.headers)
    assert unkeyed.status_code == 409
    assert unkeyed.json()["type"].endswith("/conflict")


async def test_a_malformed_key_is_refused_and_creates_nothing(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,  # type: ignore[type-arg]
) -> None:
    owner = await make_user(client, owner_conn)
    slug = await make_tenant(client, owner)
    response = await client.post(
        f"/v1/tenants/{slug}/namespaces",
        json={"name": "keyed"},
        headers={**owner.headers, "Idempotency-Key": "tab\there"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert (await client.get(f"/v1/tenants/{slug}/namespaces/keyed", headers=owner.headers)).status_code == 404
