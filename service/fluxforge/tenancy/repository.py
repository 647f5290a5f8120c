"""SQL for tenants. Callers pass a platform-scoped connection (fluxforge.db.Database.platform)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import msgspec

from fluxforge.db import Connection
from fluxforge.errors import Conflict
from fluxforge.tenancy.models import Invitation, Member, Namespace, Tenant, TenantStatus

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


async def list_for_user(conn: Connection, user_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[Tenant]:
    """The live tenants a user belongs to (platform scope: this spans tenants)."""
    rows = await conn.fetch(
        f"""
        SELECT {", ".join("t." + c for c in _COLUMNS.split(", "))} FROM tenants t
        JOIN memberships m ON m.tenant_id = t.id AND m.user_id = $1
        WHERE t.status <> 'deleted' AND ($2::uuid IS NULL OR t.id > $2)
        ORDER BY t.id LIMIT $3
        """,
        user_id,
        after,
        limit + 1,
    )
    return [_tenant(row) for row in rows]


async def set_creator(conn: Connection, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await conn.execute("UPDATE tenants SET created_by = $2 WHERE id = $1", tenant_id, user_id)


# --- namespaces (tenant scope) --------------------------------------------------------------

_NS_COLUMNS = "id, name, display_name, labels, status, version, created_at, updated_at, deleted_at"


def _namespace(row: asyncpg.Record) -> Namespace:
    return Namespace(**dict(row))


async def insert_namespace(
    conn: Connection,
    *,
    tenant_id: uuid.UUID,
    namespace_id: uuid.UUID,
    name: str,
    display_name: str | None,
    labels: dict[str, str],
) -> Namespace:
    try:
        row = await conn.fetchrow(
            f"""
            INSERT INTO namespaces (tenant_id, id, name, display_name, labels) VALUES ($1, $2, $3, $4, $5)
            RETURNING {_NS_COLUMNS}
            """,
            tenant_id,
            namespace_id,
            name,
            display_name,
            labels,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a namespace named {name!r} already exists in this tenant") from None
    assert row is not None
    return _namespace(row)


async def get_namespace(conn: Connection, namespace_id: uuid.UUID, *, for_update: bool = False) -> Namespace | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_NS_COLUMNS} FROM namespaces WHERE id = $1{lock}", namespace_id)
    return _namespace(row) if row else None


async def list_namespaces(
    conn: Connection, *, after: uuid.UUID | None, limit: int, only: frozenset[uuid.UUID] | None
) -> list[Namespace]:
    """Live namespaces in id order; `only` restricts to those the caller may see (None: all)."""
    rows = await conn.fetch(
        f"""
        SELECT {_NS_COLUMNS} FROM namespaces
        WHERE status = 'active' AND ($1::uuid IS NULL OR id > $1) AND ($2::uuid[] IS NULL OR id = ANY($2))
        ORDER BY id LIMIT $3
        """,
        after,
        list(only) if only is not None else None,
        limit + 1,
    )
    return [_namespace(row) for row in rows]


async def update_namespace(conn: Connection, namespace: Namespace, expected_version: int) -> Namespace:
    row = await conn.fetchrow(
        f"""
        UPDATE namespaces SET display_name = $3, labels = $4, status = $5, version = $6,
                              updated_at = $7, deleted_at = $8
        WHERE id = $1 AND version = $2 RETURNING {_NS_COLUMNS}
        """,
        namespace.id,
        expected_version,
        namespace.display_name,
        namespace.labels,
        namespace.status,
        namespace.version,
        namespace.updated_at,
        namespace.deleted_at,
    )
    if row is None:
        raise Conflict("namespace changed concurrently; read it again and retry")
    return _namespace(row)


# --- members and invitations (tenant scope) -------------------------------------------------


async def add_member(conn: Connection, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO memberships (tenant_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", tenant_id, user_id
    )


async def list_members(conn: Connection, *, after: uuid.UUID | None, limit: int) -> list[Member]:
    rows = await conn.fetch(
        """
        SELECT m.user_id, u.email, u.display_name, m.created_at AS joined_at,
               coalesce(json_agg(json_build_object('binding_id', b.id, 'role', b.role, 'namespace', n.name)
                                 ORDER BY b.id) FILTER (WHERE b.id IS NOT NULL), '[]') AS roles
        FROM memberships m
        JOIN users u ON u.id = m.user_id
        LEFT JOIN role_bindings b ON b.tenant_id = m.tenant_id AND b.subject_id = m.user_id
        LEFT JOIN namespaces n ON n.tenant_id = b.tenant_id AND n.id = b.namespace_id
        WHERE ($1::uuid IS NULL OR m.user_id > $1)
        GROUP BY m.user_id, u.email, u.display_name, m.created_at
        ORDER BY m.user_id LIMIT $2
        """,
        after,
        limit + 1,
    )
    return [msgspec.convert(dict(row), Member) for row in rows]


async def is_member(conn: Connection, user_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM memberships WHERE user_id = $1", user_id))


async def remove_member(conn: Connection, user_id: uuid.UUID) -> None:
    """The membership only: the member's role bindings are rbac's to remove (`rbac.service.unbind_user`)."""
    await conn.execute("DELETE FROM memberships WHERE user_id = $1", user_id)


_INVITATION_SELECT = """
    SELECT i.id, t.slug AS tenant, i.email, i.role, n.name AS namespace, i.expires_at, i.created_at,
           i.accepted_at, i.namespace_id, i.tenant_id,
           CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted'
                WHEN i.revoked_at IS NOT NULL THEN 'revoked'
                WHEN i.expires_at <= now() THEN 'expired'
                ELSE 'pending' END AS status
    FROM invitations i
    JOIN tenants t ON t.id = i.tenant_id
    LEFT JOIN namespaces n ON n.tenant_id = i.tenant_id AND n.id = i.namespace_id
"""


def _invitation(row: asyncpg.Record) -> Invitation:
    return msgspec.convert({k: v for k, v in dict(row).items() if k not in ("namespace_id", "tenant_id")}, Invitation)


async def insert_invitation(
    conn: Connection,
    *,
    tenant_id: uuid.UUID,
    invitation_id: uuid.UUID,
    email: str,
    role: str,
    namespace_id: uuid.UUID | None,
    token_hash: bytes,
    invited_by: uuid.UUID | None,
    expires_at: datetime,
) -> Invitation:
    await conn.execute(
        """
        INSERT INTO invitations (tenant_id, id, email, role, namespace_id, token_hash, invited_by, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """,
        tenant_id,
        invitation_id,
        email,
        role,
        namespace_id,
        token_hash,
        invited_by,
        expires_at,
    )
    found = await get_invitation(conn, invitation_id)
    assert found is not None
    return found


async def get_invitation(conn: Connection, invitation_id: uuid.UUID) -> Invitation | None:
    row = await conn.fetchrow(_INVITATION_SELECT + " WHERE i.id = $1", invitation_id)
    return _invitation(row) if row else None


async def list_invitations(conn: Connection, *, after: uuid.UUID | None, limit: int) -> list[Invitation]:
    rows = await conn.fetch(
        _INVITATION_SELECT + " WHERE ($1::uuid IS NULL OR i.id > $1) ORDER BY i.id LIMIT $2", after, limit + 1
    )
    return [_invitation(row) for row in rows]


async def revoke_invitation(conn: Connection, invitation_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE invitations SET revoked_at = now() WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
        invitation_id,
    )


async def claim_invitation(
    conn: Connection, token_hash: bytes, user_id: uuid.UUID
) -> tuple[Invitation, uuid.UUID, uuid.UUID | None] | None:
    """Mark a pending, unexpired invitation accepted (platform scope: the token names the tenant).

    Single use: the conditional UPDATE lets exactly one of two concurrent accepts win.
    """
    invitation_id = await conn.fetchval(
        """
        UPDATE invitations SET accepted_at = now(), accepted_by = $2
        WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        RETURNING id
        """,
        token_hash,
        user_id,
    )
    if invitation_id is None:
        return None
    row = await conn.fetchrow(_INVITATION_SELECT + " WHERE i.id = $1", invitation_id)
    assert row is not None
    return _invitation(row), row["tenant_id"], row["namespace_id"]


async def user_email(conn: Connection, user_id: uuid.UUID) -> str | None:
    value = await conn.fetchval("SELECT email FROM users WHERE id = $1", user_id)
    return value if isinstance(value, str) else None
