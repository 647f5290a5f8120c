"""Every tenant-scoped route, called with a valid token of another tenant, answers 404 and
changes nothing. Routes are enumerated from the app, so a new route is covered the day it lands."""

from __future__ import annotations

import hashlib
import re
import uuid

import asyncpg
import pytest

from tests.support import Client, Tenants

PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def tenant_routes(client: Client) -> list[tuple[str, str]]:
    found = []
    for route in client.app.routes:
        if not route.path.startswith("/v1/tenants/{tenant"):
            continue
        for method in sorted(getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}):
            found.append((method, route.path))
    return found


def fill(path: str, slug: str) -> str:
    def value(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if name == "tenant":
            return slug
        if name == "namespace":
            return "default"
        if kind == "uuid":
            return str(uuid.uuid4())
        return "probe"

    return PLACEHOLDER.sub(value, path)


async def tenant_owned_tables(conn: asyncpg.Connection) -> list[str]:
    """Every table (not partition) with a tenant_id column: new tables are covered as they land."""
    rows = await conn.fetch(
        """
        SELECT c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY 1
        """
    )
    return [r["relname"] for r in rows]


async def fingerprint(conn: asyncpg.Connection, tenant_slug: str) -> str:
    """A digest of every tenant-owned row of the victim tenant (its audit trail included)."""
    tenant_id = await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", tenant_slug)
    digest = hashlib.sha256()
    tables = await tenant_owned_tables(conn)
    assert {"namespaces", "role_bindings", "api_keys", "audit_events"} <= set(tables)
    for table in ["tenants", *tables]:
        column = "id" if table == "tenants" else "tenant_id"
        rows = await conn.fetch(f"SELECT * FROM {table} WHERE {column} = $1", tenant_id)
        digest.update(repr(sorted(repr(tuple(r.values())) for r in rows)).encode())
    return digest.hexdigest()


async def test_another_tenants_token_gets_404_everywhere_and_changes_nothing(
    client: Client, owner_conn: asyncpg.Connection, tenants: Tenants
) -> None:
    victim_slug = (await tenants.create()).slug
    attackers = await tenants.create()
    attacker = attackers.owner
    attacker_key = (await tenants.api_key(attackers, "owner", name="attacker")).headers
    routes = tenant_routes(client)
    assert len(routes) >= 20, routes
    before = await fingerprint(owner_conn, victim_slug)
    for method, template in routes:
        path = fill(template, victim_slug)
        for headers in (attacker.headers, attacker_key):
            response = await client.request(method, path, headers={**headers, "If-Match": '"1"'}, json={})
            assert response.status_code == 404, (method, template, response.status_code, response.text)
            assert response.headers["content-type"] == "application/problem+json"
    assert await fingerprint(owner_conn, victim_slug) == before


@pytest.mark.parametrize("ref_kind", ["slug", "id"])
async def test_unknown_and_foreign_tenants_look_the_same(
    client: Client, owner_conn: asyncpg.Connection, tenants: Tenants, ref_kind: str
) -> None:
    slug = (await tenants.create()).slug
    attacker = await tenants.user()
    ref = slug if ref_kind == "slug" else str(await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug))
    missing = "no-such-tenant" if ref_kind == "slug" else str(uuid.uuid4())
    foreign = await client.get(f"/v1/tenants/{ref}/namespaces", headers=attacker.headers)
    unknown = await client.get(f"/v1/tenants/{missing}/namespaces", headers=attacker.headers)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["title"] == unknown.json()["title"]
