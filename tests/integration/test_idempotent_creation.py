"""Creating POSTs honour Idempotency-Key: a retry returns the first response and creates nothing.

One test per kind of route that claims keys through `fluxforge.idempotency.Once`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from tests.support import Client, OwnedTenant, Tenants

PROBLEM = "application/problem+json"

Body = dict[str, Any]
Creation = tuple[str, Body, Body]
"""Where to POST, the body, and another body (a different request under the same key)."""


async def _namespace(tenants: Tenants, tenant: OwnedTenant) -> Creation:
    return f"/v1/tenants/{tenant.slug}/namespaces", {"name": "staging"}, {"name": "staging2"}


async def _role(tenants: Tenants, tenant: OwnedTenant) -> Creation:
    body: Body = {"name": "auditor", "permissions": ["audit:read"]}
    return f"/v1/tenants/{tenant.slug}/roles", body, {**body, "description": "another request"}


async def _binding(tenants: Tenants, tenant: OwnedTenant) -> Creation:
    key = await tenants.api_key(tenant, "viewer")
    body: Body = {"role": "billing", "subject_type": "api_key", "subject_id": key.id}
    return f"/v1/tenants/{tenant.slug}/role-bindings", body, {**body, "role": "operator"}


# (what to create, SQL that counts what the creation made)
KINDS: dict[str, tuple[Callable[[Tenants, OwnedTenant], Awaitable[Creation]], str]] = {
    "namespace": (_namespace, "SELECT count(*) FROM namespaces WHERE tenant_id = $1 AND name LIKE 'staging%'"),
    "role": (_role, "SELECT count(*) FROM roles WHERE tenant_id = $1"),
    "role-binding": (_binding, "SELECT count(*) FROM role_bindings WHERE tenant_id = $1 AND subject_type = 'api_key'"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_retry_with_the_same_key_returns_the_first_response_and_creates_once(
    client: Client, owner_conn: asyncpg.Connection, tenants: Tenants, kind: str
) -> None:
    tenant = await tenants.create()
    owner = tenant.owner
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", tenant.slug)
    make, count_sql = KINDS[kind]
    url, body, other_body = await make(tenants, tenant)
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


async def test_a_malformed_key_is_refused_and_creates_nothing(client: Client, tenants: Tenants) -> None:
    tenant = await tenants.create()
    slug, owner = tenant.slug, tenant.owner
    response = await client.post(
        f"/v1/tenants/{slug}/namespaces",
        json={"name": "keyed"},
        headers={**owner.headers, "Idempotency-Key": "tab\there"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert (await client.get(f"/v1/tenants/{slug}/namespaces/keyed", headers=owner.headers)).status_code == 404
