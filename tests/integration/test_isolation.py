"""Row-level security: a unit of work sees only its tenant's rows, and nothing without one."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from fluxforge.config import APP_DB_ROLE
from fluxforge.conventions import new_id
from fluxforge.db import Database


@pytest.fixture(scope="module")
async def probe_table(owner_conn: asyncpg.Connection) -> str:
    """A tenant-owned table made like every real one: forced RLS keyed on the tenant setting."""
    await owner_conn.execute(
        """
        CREATE TABLE IF NOT EXISTS rls_probe (tenant_id uuid NOT NULL, id int NOT NULL, PRIMARY KEY (tenant_id, id));
        ALTER TABLE rls_probe ENABLE ROW LEVEL SECURITY;
        ALTER TABLE rls_probe FORCE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS rls_probe_scope ON rls_probe;
        CREATE POLICY rls_probe_scope ON rls_probe
            USING (tenant_id = app_current_tenant()) WITH CHECK (tenant_id = app_current_tenant());
        """
    )
    return "rls_probe"


async def test_without_a_tenant_nothing_is_visible_or_insertable(app_db: Database, probe_table: str) -> None:
    tenant_a, tenant_b = new_id(), new_id()
    async with app_db.tenant(tenant_a) as conn:
        await conn.execute("INSERT INTO rls_probe VALUES ($1, 1), ($1, 2)", tenant_a)
    async with app_db.tenant(tenant_b) as conn:
        await conn.execute("INSERT INTO rls_probe VALUES ($1, 1)", tenant_b)

    async with app_db.pool.acquire() as conn:
        assert await conn.fetchval("SELECT current_user") == APP_DB_ROLE
        assert await conn.fetchval("SELECT count(*) FROM rls_probe") == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await conn.execute("INSERT INTO rls_probe VALUES ($1, 3)", tenant_a)

    async with app_db.tenant(tenant_a) as conn:
        assert await conn.fetchval("SELECT count(*) FROM rls_probe") == 2
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO rls_probe VALUES ($1, 9)", tenant_b)
    async with app_db.tenant(tenant_b) as conn:
        assert await conn.fetchval("SELECT count(*) FROM rls_probe") == 1
        assert (
            await conn.fetchval("UPDATE rls_probe SET id = id + 10 WHERE tenant_id = $1 RETURNING 1", tenant_a) is None
        )


async def test_tenant_setting_does_not_outlive_its_transaction(app_db: Database, probe_table: str) -> None:
    tenant = new_id()
    async with app_db.tenant(tenant) as conn:
        await conn.execute("INSERT INTO rls_probe VALUES ($1, 1)", tenant)
    # The pool has few connections: the next plain use of any of them must see nothing.
    for _ in range(8):
        assert await app_db.fetchval("SELECT count(*) FROM rls_probe WHERE tenant_id = $1", tenant) == 0


async def test_a_failed_unit_of_work_leaves_nothing(app_db: Database, probe_table: str) -> None:
    tenant = new_id()

    async def insert_then_fail() -> None:
        async with app_db.tenant(tenant) as conn:
            await conn.execute("INSERT INTO rls_probe VALUES ($1, 1)", tenant)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await insert_then_fail()
    async with app_db.tenant(tenant) as conn:
        assert await conn.fetchval("SELECT count(*) FROM rls_probe") == 0


async def test_tenant_scope_requires_a_uuid(app_db: Database) -> None:
    # What untyped input (JSON, a header) could hand over: no type checker stands in its way at run time.
    not_a_uuid: Any = "'; RESET ROLE; --"
    with pytest.raises(TypeError):
        async with app_db.tenant(not_a_uuid):
            pass


async def test_platform_tables_obey_scope(app_db: Database, owner_conn: asyncpg.Connection) -> None:
    tenant = new_id()
    async with app_db.platform() as conn:
        await conn.execute(
            "INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, 'Scoped')", tenant, f"s-{tenant.hex[:10]}"
        )
    assert await app_db.fetchval("SELECT count(*) FROM tenants") == 0
    async with app_db.tenant(tenant) as conn:
        assert await conn.fetchval("SELECT count(*) FROM tenants") == 1
    async with app_db.tenant(uuid.uuid4()) as conn:
        assert await conn.fetchval("SELECT count(*) FROM tenants WHERE id = $1", tenant) == 0


async def test_application_role_cannot_bypass_or_rewrite_history(
    owner_conn: asyncpg.Connection, app_db: Database
) -> None:
    role = await owner_conn.fetchrow("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", APP_DB_ROLE)
    assert role is not None, APP_DB_ROLE
    assert (role["rolsuper"], role["rolbypassrls"]) == (False, False)
    async with app_db.platform() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM audit_events")
    async with app_db.platform() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SELECT count(*) FROM audit_events_default")


async def test_every_table_with_tenant_id_has_forced_rls(owner_conn: asyncpg.Connection) -> None:
    rows = await owner_conn.fetch(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        """
    )
    assert rows, "expected tenant-owned tables"
    unprotected = [r["relname"] for r in rows if not (r["relrowsecurity"] and r["relforcerowsecurity"])]
    assert unprotected == []


async def test_worker_keeps_partitions_ahead_with_secured_partitions(
    app_db: Database, owner_conn: asyncpg.Connection
) -> None:
    async with app_db.platform() as conn:
        await conn.fetchval("SELECT ensure_monthly_partitions('audit_events'::regclass, 6)")
    partitions = await owner_conn.fetch(
        """
        SELECT c.relname, c.relforcerowsecurity,
               has_table_privilege($1, c.oid, 'SELECT') AS app_can_read
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_events'::regclass
        """,
        APP_DB_ROLE,
    )
    assert len(partitions) >= 8  # default + last month + this month + 6 ahead
    assert all(p["relforcerowsecurity"] and not p["app_can_read"] for p in partitions)
