"""Units of work on tenants: each opens its transaction, changes what it must, writes the audit
row in that same transaction, and returns what changed. They take the database and an audit
context, never a request; the controllers turn HTTP into these calls and back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext
from fluxforge.conventions import check_version, new_id
from fluxforge.db import Connection, Database
from fluxforge.errors import NotFound
from fluxforge.idempotency import Once, StoredResponse, remember, replay
from fluxforge.tenancy import logic, repository
from fluxforge.tenancy.models import Tenant, TenantCreate, TenantPatch, TenantStatus, TenantUpdate


async def tenant_or_404(conn: Connection, ref: str, *, for_update: bool = False) -> Tenant:
    tenant = await repository.get(conn, ref, for_update=for_update)
    if tenant is None:
        raise NotFound(f"no tenant {ref!r}")
    return tenant


async def _save_change(
    conn: Connection, context: AuditContext, action: str, current: Tenant, changed: Tenant
) -> Tenant:
    """Write a changed tenant and its audit event; an unchanged one is neither written nor audited."""
    if changed is current:
        return current
    saved = await repository.update(conn, changed, current.version)
    await audit.record_change(conn, context, saved.id, action, str(saved.id), current, saved)
    return saved


async def provision_tenant(
    db: Database, context: AuditContext, data: TenantCreate, once: Once[Tenant] | None
) -> Tenant | StoredResponse:
    """A platform operator's new tenant (no owner yet), or the first response to this key."""
    async with db.platform() as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        tenant = await repository.insert(conn, new_id(), data.slug, data.display_name.strip())
        await audit.record_change(conn, context, tenant.id, "tenant.create", str(tenant.id), None, tenant)
        await remember(conn, once, tenant)
    return tenant


async def list_all_tenants(
    db: Database, *, after: uuid.UUID | None, limit: int, status: TenantStatus | None
) -> list[Tenant]:
    async with db.platform() as conn:
        return await repository.list_page(conn, after=after, limit=limit, status=status)


async def get_any_tenant(db: Database, ref: str) -> Tenant:
    async with db.platform() as conn:
        return await tenant_or_404(conn, ref)


async def change_any_tenant(
    db: Database, context: AuditContext, ref: str, patch: TenantPatch | TenantUpdate, expected_version: int
) -> Tenant:
    """A merge patch of display name (and, for the platform, status) under If-Match."""
    if isinstance(patch.display_name, str):
        patch.display_name = patch.display_name.strip()
    async with db.platform() as conn:
        current = await tenant_or_404(conn, ref, for_update=True)
        check_version(expected_version, current.version)
        changed = logic.apply_patch(current, patch, datetime.now(UTC))
        return await _save_change(conn, context, "tenant.update", current, changed)


async def delete_any_tenant(db: Database, context: AuditContext, ref: str, expected_version: int | None) -> Tenant:
    async with db.platform() as conn:
        current = await tenant_or_404(conn, ref, for_update=True)
        check_version(expected_version, current.version)
        deleted = logic.soft_delete(current, datetime.now(UTC))
        return await _save_change(conn, context, "tenant.delete", current, deleted)
