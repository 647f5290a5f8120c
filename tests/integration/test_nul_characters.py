"""PostgreSQL text cannot hold U+0000: a NUL anywhere in a request is the client's error (400
problem+json) and changes nothing. Found by the fuzzer (tests/fuzz), where such requests answered 500."""

from __future__ import annotations

import asyncpg

from tests.support import Client, TenantOwner

PROBLEM = "application/problem+json"


async def test_nul_in_json_strings_is_refused_and_stores_nothing(
    client: Client,
    tenant_owner: TenantOwner,
    owner_conn: asyncpg.Connection,
) -> None:
    slug, owner = tenant_owner
    base = f"/v1/tenants/{slug}/namespaces"
    for body in (
        {"name": "nul-label", "labels": {"team": "a\u0000b"}},  # inside jsonb
        {"name": "nul-label", "labels": {"a\u0000": "x"}},  # a jsonb key
        {"name": "nul-name", "display_name": "x\u0000"},  # a text column
    ):
        response = await client.post(base, json=body, headers=owner)
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["type"].endswith("/bad-request")
        assert "NUL" in problem["detail"]
    stored = await owner_conn.fetchval(
        "SELECT count(*) FROM namespaces n JOIN tenants t ON t.id = n.tenant_id "
        "WHERE t.slug = $1 AND n.name IN ('nul-label', 'nul-name')",
        slug,
    )
    assert stored == 0
    fine = await client.post(base, json={"name": "nul-label", "labels": {"team": "ab"}}, headers=owner)
    assert fine.status_code == 201, fine.text


async def test_nul_in_a_query_parameter_is_refused(
    client: Client,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    for url, params, kind in (
        (f"/v1/tenants/{slug}/audit-events", {"action": "tenant.create\u0000"}, "bad-request"),  # reaches SQL
        (f"/v1/tenants/{slug}/usage", {"meter": "calls\u0000"}, "validation-error"),  # the key's pattern
    ):
        response = await client.get(url, params=params, headers=owner)
        assert response.status_code == 400, (url, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"].endswith("/" + kind)
