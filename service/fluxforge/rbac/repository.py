"""SQL for grants, roles, role bindings and API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from fluxforge.db import Connection
from fluxforge.errors import Conflict
from fluxforge.rbac.models import ApiKey, ApiKeyRecord, Role, RoleBinding, TenantInfo
from fluxforge.rbac.permissions import Binding


async def tenant_info(conn: Connection, ref: str) -> TenantInfo | None:
    """By id or slug (platform scope: the caller's tenant is what we are finding out)."""
    try:
        key: uuid.UUID | str = uuid.UUID(ref)
        column = "id"
    except ValueError:
        key, column = ref, "slug"
    row = await conn.fetchrow(f"SELECT id, slug, status FROM tenants WHERE {column} = $1", key)
    return TenantInfo(row["id"], row["slug"], row["status"]) if row else None


async def subject_bindings(conn: Connection, subject_id: uuid.UUID) -> tuple[list[Binding], dict[str, frozenset[str]]]:
    """A subject's bindings in the unit of work's tenant (live namespaces only) and custom roles."""
    rows = await conn.fetch(
        """
        SELECT b.role, b.namespace_id, r.permissions
        FROM role_bindings b
        LEFT JOIN roles r ON r.tenant_id = b.tenant_id AND r.name = b.role
        LEFT JOIN namespaces n ON n.tenant_id = b.tenant_id AND n.id = b.namespace_id
        WHERE b.subject_id = $1 AND (b.namespace_id IS NULL OR n.status = 'active')
        """,
        subject_id,
    )
    bindings = [Binding(r["role"], r["namespace_id"]) for r in rows]
    custom = {r["role"]: frozenset(r["permissions"]) for r in rows if r["permissions"] is not None}
    return bindings, custom


async def custom_roles(conn: Connection) -> dict[str, frozenset[str]]:
    rows = await conn.fetch("SELECT name, permissions FROM roles")
    return {r["name"]: frozenset(r["permissions"]) for r in rows}


async def namespace_id(conn: Connection, name: str) -> uuid.UUID | None:
    value = await conn.fetchval("SELECT id FROM namespaces WHERE name = $1 AND status = 'active'", name)
    return value if isinstance(value, uuid.UUID) else None


async def namespace_names(conn: Connection) -> dict[uuid.UUID, str]:
    rows = await conn.fetch("SELECT id, name FROM namespaces")
    return {r["id"]: r["name"] for r in rows}


# --- custom roles --------------------------------------------------------------------------

_ROLE_COLUMNS = "name, description, permissions, version, created_at, updated_at"


def _role(row: asyncpg.Record) -> Role:
    return Role(builtin=False, **{**dict(row), "permissions": sorted(row["permissions"])})


async def list_roles(conn: Connection) -> list[Role]:
    return [_role(r) for r in await conn.fetch(f"SELECT {_ROLE_COLUMNS} FROM roles ORDER BY name")]


async def get_role(conn: Connection, name: str, *, for_update: bool = False) -> Role | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_ROLE_COLUMNS} FROM roles WHERE name = $1{lock}", name)
    return _role(row) if row else None


async def insert_role(
    conn: Connection, tenant_id: uuid.UUID, name: str, description: str, permissions: Sequence[str]
) -> Role:
    try:
        row = await conn.fetchrow(
            f"""
            INSERT INTO roles (tenant_id, name, description, permissions) VALUES ($1, $2, $3, $4)
            RETURNING {_ROLE_COLUMNS}
            """,
            tenant_id,
            name,
            description,
            sorted(permissions),
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a role named {name!r} already exists") from None
    assert row is not None
    return _role(row)


async def update_role(conn: Connection, name: str, description: str, permissions: Sequence[str]) -> Role:
    row = await conn.fetchrow(
        f"""
        UPDATE roles SET description = $2, permissions = $3, version = version + 1, updated_at = now()
        WHERE name = $1 RETURNING {_ROLE_COLUMNS}
        """,
        name,
        description,
        sorted(permissions),
    )
    assert row is not None
    return _role(row)


async def delete_role(conn: Connection, name: str) -> None:
    in_use = await conn.fetchval("SELECT count(*) FROM role_bindings WHERE role = $1", name)
    if in_use:
        raise Conflict(f"role {name!r} is bound {in_use} time(s); delete those role bindings first")
    await conn.execute("DELETE FROM roles WHERE name = $1", name)


# --- role bindings -------------------------------------------------------------------------


def _binding(row: asyncpg.Record) -> RoleBinding:
    return RoleBinding(
        id=row["id"],
        role=row["role"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        namespace=row["namespace"],
        created_at=row["created_at"],
    )


_BINDING_SELECT = """
    SELECT b.id, b.role, b.subject_type, b.subject_id, n.name AS namespace, b.created_at, b.namespace_id
    FROM role_bindings b LEFT JOIN namespaces n ON n.tenant_id = b.tenant_id AND n.id = b.namespace_id
"""


async def list_bindings(
    conn: Connection, *, after: uuid.UUID | None, limit: int, subject_id: uuid.UUID | None = None
) -> list[RoleBinding]:
    rows = await conn.fetch(
        _BINDING_SELECT
        + """
        WHERE ($1::uuid IS NULL OR b.id > $1) AND ($2::uuid IS NULL OR b.subject_id = $2)
        ORDER BY b.id LIMIT $3
        """,
        after,
        subject_id,
        limit + 1,
    )
    return [_binding(r) for r in rows]


async def get_binding(conn: Connection, binding_id: uuid.UUID) -> tuple[RoleBinding, uuid.UUID | None] | None:
    row = await conn.fetchrow(_BINDING_SELECT + " WHERE b.id = $1 FOR UPDATE OF b", binding_id)
    return (_binding(row), row["namespace_id"]) if row else None


async def insert_binding(
    conn: Connection,
    *,
    tenant_id: uuid.UUID,
    binding_id: uuid.UUID,
    role: str,
    subject_type: str,
    subject_id: uuid.UUID,
    namespace_id: uuid.UUID | None,
    created_by: uuid.UUID | None,
) -> None:
    try:
        await conn.execute(
            """
            INSERT INTO role_bindings (tenant_id, id, role, subject_type, subject_id, namespace_id, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            tenant_id,
            binding_id,
            role,
            subject_type,
            subject_id,
            namespace_id,
            created_by,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("this subject already has this role at this scope") from None


async def delete_binding(conn: Connection, binding_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM role_bindings WHERE id = $1", binding_id)


async def delete_user_bindings(conn: Connection, user_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM role_bindings WHERE subject_type = 'user' AND subject_id = $1", user_id)


async def subject_exists(conn: Connection, subject_type: str, subject_id: uuid.UUID) -> bool:
    """A member (for a user) or a live API key of the unit of work's tenant."""
    if subject_type == "user":
        exists = await conn.fetchval("SELECT true FROM memberships WHERE user_id = $1", subject_id)
    else:
        exists = await conn.fetchval("SELECT true FROM api_keys WHERE id = $1 AND revoked_at IS NULL", subject_id)
    return bool(exists)


async def owners(conn: Connection) -> list[uuid.UUID]:
    """Users bound to the owner role tenant-wide, locked so two removals cannot both pass."""
    rows = await conn.fetch(
        """
        SELECT subject_id FROM role_bindings
        WHERE role = 'owner' AND namespace_id IS NULL AND subject_type = 'user'
        ORDER BY id FOR UPDATE
        """
    )
    return [r["subject_id"] for r in rows]


# --- API keys ------------------------------------------------------------------------------


async def api_key_by_prefix(conn: Connection, prefix: str) -> ApiKeyRecord | None:
    """Platform scope: the key itself says which tenant it belongs to."""
    row = await conn.fetchrow(
        "SELECT tenant_id, id, secret_hash, expires_at, revoked_at FROM api_keys WHERE prefix = $1", prefix
    )
    if row is None:
        return None
    return ApiKeyRecord(
        row["tenant_id"], row["id"], bytes(row["secret_hash"]), row["expires_at"], row["revoked_at"] is not None
    )


_API_KEY_SELECT = """
    SELECT k.id, k.name, k.prefix, b.role, n.name AS namespace, k.created_at, k.expires_at,
           k.last_used_at, k.revoked_at
    FROM api_keys k
    LEFT JOIN role_bindings b ON b.tenant_id = k.tenant_id AND b.subject_id = k.id
    LEFT JOIN namespaces n ON n.tenant_id = b.tenant_id AND n.id = b.namespace_id
"""


def _api_key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(**{**dict(row), "role": row["role"] or ""})


async def insert_api_key(
    conn: Connection,
    *,
    tenant_id: uuid.UUID,
    key_id: uuid.UUID,
    name: str,
    prefix: str,
    secret_hash: bytes,
    created_by: uuid.UUID | None,
    expires_at: datetime | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO api_keys (tenant_id, id, name, prefix, secret_hash, created_by, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        tenant_id,
        key_id,
        name,
        prefix,
        secret_hash,
        created_by,
        expires_at,
    )


async def get_api_key(conn: Connection, key_id: uuid.UUID) -> ApiKey | None:
    row = await conn.fetchrow(_API_KEY_SELECT + " WHERE k.id = $1", key_id)
    return _api_key(row) if row else None


async def list_api_keys(conn: Connection, *, after: uuid.UUID | None, limit: int) -> list[ApiKey]:
    rows = await conn.fetch(
        _API_KEY_SELECT + " WHERE ($1::uuid IS NULL OR k.id > $1) ORDER BY k.id LIMIT $2", after, limit + 1
    )
    return [_api_key(r) for r in rows]


async def revoke_api_key(conn: Connection, key_id: uuid.UUID) -> ApiKey | None:
    await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", key_id)
    return await get_api_key(conn, key_id)


async def touch_api_key(conn: Connection, key_id: uuid.UUID) -> None:
    await conn.execute("UPDATE api_keys SET last_used_at = now() WHERE id = $1", key_id)
