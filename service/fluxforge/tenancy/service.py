"""Units of work on tenants, namespaces, members and invitations: each opens its transaction,
changes what it must, writes the audit row in that same transaction, and returns what changed.
They take the database and an audit context, never a request; the controllers turn HTTP into
these calls and back, and tell every process to drop cached grants once a change has committed.

Role bindings are rbac's: a new tenant's owner, an invitee's role and a leaving member's
bindings go through `rbac.service`, which keeps the grant rules and the last-owner invariant.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext
from fluxforge.conventions import check_version, new_id
from fluxforge.credentials import secret_hash
from fluxforge.db import Connection, Database
from fluxforge.errors import NotFound
from fluxforge.idempotency import Once, StoredResponse, remember, replay
from fluxforge.rbac import service as rbac
from fluxforge.rbac.granting import OWNER_ROLE
from fluxforge.rbac.models import TenantAccess
from fluxforge.tenancy import logic, members, repository
from fluxforge.tenancy.models import (
    Invitation,
    InvitationCreate,
    InvitationCreated,
    Member,
    Namespace,
    NamespaceCreate,
    NamespacePatch,
    Tenant,
    TenantCreate,
    TenantPatch,
    TenantStatus,
    TenantUpdate,
)

DEFAULT_NAMESPACE = "default"

# --- tenants --------------------------------------------------------------------------------


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
    db: Database, context: AuditContext, ref: str, patch: TenantPatch, expected_version: int
) -> Tenant:
    """A merge patch of display name and status under If-Match."""
    async with db.platform() as conn:
        return await _change_tenant(conn, context, ref, patch, expected_version)


async def delete_any_tenant(db: Database, context: AuditContext, ref: str, expected_version: int | None) -> Tenant:
    async with db.platform() as conn:
        return await _delete_tenant(conn, context, ref, expected_version)


async def create_my_tenant(
    db: Database, context: AuditContext, user_id: uuid.UUID, data: TenantCreate, once: Once[Tenant] | None
) -> Tenant | StoredResponse:
    """A user's new tenant with a `default` namespace; the user becomes its member and owner."""
    async with db.platform() as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        tenant = await repository.insert(conn, new_id(), data.slug, data.display_name.strip())
        await repository.set_creator(conn, tenant.id, user_id)
        namespace = await repository.insert_namespace(
            conn, tenant_id=tenant.id, namespace_id=new_id(), name=DEFAULT_NAMESPACE, display_name=None, labels={}
        )
        await repository.add_member(conn, tenant.id, user_id)
        await rbac.bind(
            conn,
            tenant_id=tenant.id,
            role=OWNER_ROLE,
            subject_type="user",
            subject_id=user_id,
            namespace_id=None,
            created_by=user_id,
        )
        await audit.record_change(conn, context, tenant.id, "tenant.create", str(tenant.id), None, tenant)
        await audit.record_change(conn, context, tenant.id, "namespace.create", str(namespace.id), None, namespace)
        await remember(conn, once, tenant)
    return tenant


async def list_my_tenants(db: Database, user_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[Tenant]:
    async with db.platform() as conn:
        return await repository.list_for_user(conn, user_id, after=after, limit=limit)


async def get_tenant(db: Database, tenant_id: uuid.UUID) -> Tenant:
    async with db.tenant(tenant_id) as conn:
        return await tenant_or_404(conn, str(tenant_id))


async def change_tenant(
    db: Database, context: AuditContext, tenant_id: uuid.UUID, patch: TenantUpdate, expected_version: int
) -> Tenant:
    """A member's merge patch of the display name under If-Match (status is the platform's)."""
    async with db.tenant(tenant_id) as conn:
        return await _change_tenant(conn, context, str(tenant_id), patch, expected_version)


async def delete_tenant(
    db: Database, context: AuditContext, tenant_id: uuid.UUID, expected_version: int | None
) -> Tenant:
    async with db.tenant(tenant_id) as conn:
        return await _delete_tenant(conn, context, str(tenant_id), expected_version)


async def _change_tenant(
    conn: Connection, context: AuditContext, ref: str, patch: TenantPatch | TenantUpdate, expected_version: int
) -> Tenant:
    if isinstance(patch.display_name, str):
        patch.display_name = patch.display_name.strip()
    current = await tenant_or_404(conn, ref, for_update=True)
    check_version(expected_version, current.version)
    changed = logic.apply_patch(current, patch, datetime.now(UTC))
    return await _save_change(conn, context, "tenant.update", current, changed)


async def _delete_tenant(conn: Connection, context: AuditContext, ref: str, expected_version: int | None) -> Tenant:
    current = await tenant_or_404(conn, ref, for_update=True)
    check_version(expected_version, current.version)
    deleted = logic.soft_delete(current, datetime.now(UTC))
    return await _save_change(conn, context, "tenant.delete", current, deleted)


# --- namespaces -----------------------------------------------------------------------------


async def create_namespace(
    db: Database, context: AuditContext, tenant_id: uuid.UUID, data: NamespaceCreate, once: Once[Namespace] | None
) -> Namespace | StoredResponse:
    async with db.tenant(tenant_id) as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        namespace = await repository.insert_namespace(
            conn,
            tenant_id=tenant_id,
            namespace_id=new_id(),
            name=data.name,
            display_name=data.display_name,
            labels=data.labels,
        )
        await audit.record_change(conn, context, tenant_id, "namespace.create", str(namespace.id), None, namespace)
        await remember(conn, once, namespace)
    return namespace


async def list_namespaces(
    db: Database, access: TenantAccess, *, after: uuid.UUID | None, limit: int
) -> list[Namespace]:
    """Only the namespaces the caller may read."""
    async with db.tenant(access.tenant_id) as conn:
        return await repository.list_namespaces(
            conn, after=after, limit=limit, only=access.grants.namespaces_with("namespace:read")
        )


async def get_namespace(db: Database, access: TenantAccess) -> Namespace:
    """The namespace of the path, which the route's guard resolved."""
    async with db.tenant(access.tenant_id) as conn:
        return await _namespace_or_404(conn, access)


async def change_namespace(
    db: Database, context: AuditContext, access: TenantAccess, patch: NamespacePatch, expected_version: int
) -> Namespace:
    """A merge patch of display name and labels under If-Match."""
    async with db.tenant(access.tenant_id) as conn:
        current = await _namespace_or_404(conn, access, for_update=True)
        check_version(expected_version, current.version)
        changed = logic.apply_patch(current, patch, datetime.now(UTC))
        return await _save_namespace(conn, context, access.tenant_id, "namespace.update", current, changed)


async def delete_namespace(
    db: Database, context: AuditContext, access: TenantAccess, expected_version: int | None
) -> Namespace:
    """A deleted namespace's role bindings stop granting anything (`rbac.repository` joins live ones)."""
    async with db.tenant(access.tenant_id) as conn:
        current = await _namespace_or_404(conn, access, for_update=True)
        check_version(expected_version, current.version)
        deleted = logic.soft_delete(current, datetime.now(UTC))
        return await _save_namespace(conn, context, access.tenant_id, "namespace.delete", current, deleted)


async def _namespace_or_404(conn: Connection, access: TenantAccess, *, for_update: bool = False) -> Namespace:
    assert access.namespace_id is not None  # the guard resolved the path's namespace
    found = await repository.get_namespace(conn, access.namespace_id, for_update=for_update)
    if found is None or found.status == "deleted":
        raise NotFound("no such namespace")
    return found


async def _save_namespace(
    conn: Connection, context: AuditContext, tenant_id: uuid.UUID, action: str, current: Namespace, changed: Namespace
) -> Namespace:
    """Like `_save_change`: an unchanged namespace is neither written nor audited."""
    if changed is current:
        return current
    saved = await repository.update_namespace(conn, changed, current.version)
    await audit.record_change(conn, context, tenant_id, action, str(saved.id), current, saved)
    return saved


# --- members and invitations ----------------------------------------------------------------


async def list_members(db: Database, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[Member]:
    async with db.tenant(tenant_id) as conn:
        return await repository.list_members(conn, after=after, limit=limit)


async def remove_member(db: Database, context: AuditContext, access: TenantAccess, user_id: uuid.UUID) -> None:
    """A member leaves with all their role bindings, under rbac's rules (never the last owner)."""
    async with db.tenant(access.tenant_id) as conn:
        if not await repository.is_member(conn, user_id):
            raise NotFound("no such member")
        await rbac.unbind_user(conn, access, user_id)
        await repository.remove_member(conn, user_id)
        await audit.record_change(
            conn, context, access.tenant_id, "member.remove", str(user_id), {"user_id": str(user_id)}, None
        )


async def invite(
    db: Database, context: AuditContext, access: TenantAccess, data: InvitationCreate
) -> InvitationCreated:
    """An invitation to a role the caller may grant; its token is in the result and nowhere else."""
    token = members.new_invitation_token()
    async with db.tenant(access.tenant_id) as conn:
        namespace_id = await rbac.namespace_id_of(conn, access, data.namespace)
        await rbac.grantable(conn, access, data.role, namespace_id)
        invitation = await repository.insert_invitation(
            conn,
            tenant_id=access.tenant_id,
            invitation_id=new_id(),
            email=members.invitee_email(data.email),
            role=data.role,
            namespace_id=namespace_id,
            token_hash=secret_hash(token),
            invited_by=access.principal.id,
            expires_at=datetime.now(UTC) + timedelta(hours=data.expires_in_hours),
        )
        await audit.record_change(
            conn, context, access.tenant_id, "invitation.create", str(invitation.id), None, invitation
        )
    return InvitationCreated(**msgspec.structs.asdict(invitation), token=token)


async def list_invitations(
    db: Database, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[Invitation]:
    async with db.tenant(tenant_id) as conn:
        return await repository.list_invitations(conn, after=after, limit=limit)


async def revoke_invitation(
    db: Database, context: AuditContext, tenant_id: uuid.UUID, invitation_id: uuid.UUID
) -> Invitation:
    """Revoking an invitation no longer pending changes nothing and is not audited."""
    async with db.tenant(tenant_id) as conn:
        before = await repository.get_invitation(conn, invitation_id)
        if before is None:
            raise NotFound("no such invitation")
        await repository.revoke_invitation(conn, invitation_id)
        after = await repository.get_invitation(conn, invitation_id)
        assert after is not None
        if after.status != before.status:
            await audit.record_change(conn, context, tenant_id, "invitation.revoke", str(invitation_id), before, after)
    return after


async def accept_invitation(
    db: Database, context: AuditContext, user_id: uuid.UUID, token: str
) -> tuple[Invitation, uuid.UUID]:
    """The accepted invitation and the id of the tenant the user joined with the invited role."""
    async with db.platform() as conn:
        email = await repository.user_email(conn, user_id)
        claimed = await repository.claim_invitation(conn, secret_hash(token), user_id)
        if claimed is None:
            raise NotFound("no pending invitation with this token (it may be used, revoked or expired)")
        invitation, tenant_id, namespace_id = claimed
        members.check_invitee(email, invitation)
        await repository.add_member(conn, tenant_id, user_id)
        await rbac.bind(
            conn,
            tenant_id=tenant_id,
            role=invitation.role,
            subject_type="user",
            subject_id=user_id,
            namespace_id=namespace_id,
            created_by=user_id,
        )
        await audit.record_change(conn, context, tenant_id, "invitation.accept", str(invitation.id), None, invitation)
    return invitation, tenant_id
