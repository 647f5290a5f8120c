"""SQL for tenants. Callers pass a platform-scoped connection (fluxforge.db.Database.platform)."""

from __future__ import annotations

import uuid

import asyncpg

from fluxforge.db import Connection
from fluxforge.errors import Conflict
from fluxforge.tenancy.models import Tenant, TenantStatus

_COLUMNS = "id, slug, display_name, status, version, created_at, updated_at, deleted_at"


def _tenant(row: asyncpg.Record) -> Tenant:
    return Tenant(**dict(row))


async def insert(conn: Connection, tenant_id: uuid.UUID, slug: str, display_name: str) -> Tenant:
    try:
        row = await conn.fetchrow(
            f"INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, $3) RETURNING {_COLUMNS}",
            tenant_id,
            slug,
            display_name,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a tenant with slug {slug!r} already exists (slugs are never reused)") from None
    assert row is not None
    return _tenant(row)


async def get(conn: Connection, ref: str, *, for_update: bool = False) -> Tenant | None:
    """By id, or by slug when `ref` is not a UUID."""
    try:
        key: uuid.UUID | str = uuid.UUID(ref)
        column = "id"
    except ValueError:
        key, column = ref, "slug"
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM tenants WHERE {column} = $1{lock}", key)
    return _tenant(row) if row is not None else None


async def list_page(
    conn: Connection, *, after: uuid.UUID | None, limit: int, status: TenantStatus | None
) -> list[Tenant]:
    """Up to limit+1 tenants in id (creation) order; deleted ones only when asked for."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM tenants
        WHERE ($1::uuid IS NULL OR id > $1)
          AND CASE WHEN $2::text IS NULL THEN status <> 'deleted' ELSE status = $2 END
        ORDER BY id LIMIT $3
        """,
        after,
        status,
        limit + 1,
    )
    return [_tenant(row) for row in rows]


async def update(conn: Connection, tenant: Tenant, expected_version: int) -> Tenant:
    row = await conn.fetchrow(
        f"""
        UPDATE tenants SET display_name = $3, status = $4, version = $5,
                           updated_at = $6, deleted_at = $7
        WHERE id = $1 AND version = $2
        RETURNING {_COLUMNS}
        """,
        tenant.id,
        expected_version,
        tenant.display_name,
        tenant.status,
        tenant.version,
        tenant.updated_at,
        tenant.deleted_at,
    )
    if row is None:  # unreachable under FOR UPDATE, kept as the last line of defence
        raise Conflict("tenant changed concurrently; read it again and retry")
    return _tenant(row)
