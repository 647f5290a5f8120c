"""Units of work on roles, role bindings and API keys: each opens its transaction, applies the
grant rules (`granting`), writes the audit row in that transaction and returns what changed.

The functions that take a `Connection` are the steps other units of work run inside their own
transaction (tenancy binds a new tenant's owner, an invitee's role, and removes members); they
keep rbac's rules in rbac. Cache invalidation is the caller's, after the commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext
from fluxforge.conventions import check_version, new_id
from fluxforge.credentials import secret_hash
from fluxforge.db import Connection, Database
from fluxforge.errors import Forbidden, NotFound
from fluxforge.idempotency import Once, StoredResponse, remember, replay
from fluxforge.rbac import api_keys, granting, repository
from fluxforge.rbac.models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    Role,
    RoleBinding,
    RoleBindingCreate,
    RoleCreate,
    RolePatch,
    SubjectType,
    TenantAccess,
)
from fluxforge.rbac.permissions import BUILTIN_ROLES

# --- steps inside a caller's transaction ------------------------------------------------------


async def namespace_id_of(conn: Connection, access: TenantAccess, name: str | None) -> uuid.UUID | None:
    """The id of a live namespace the caller may see, by name; None names the whole tenant."""
    if name is None:
        return None
    found = await repository.namespace_id(conn, name)
    if found is None or not access.grants.sees_namespace(found):
        raise NotFound(f"no namespace {name!r}")
    return found


async def grantable(
    conn: Connection, access: TenantAccess, role: str, namespace_id: uuid.UUID | None
) -> frozenset[str]:
    """What binding `role` at this scope would grant, if the caller may hand it out."""
    return granting.grantable(access.grants, role, namespace_id, await repository.custom_roles(conn))


async def bind(
    conn: Connection,
    *,
    tenant_id: uuid.UUID,
    role: str,
    subject_type: SubjectType,
    subject_id: uuid.UUID,
    namespace_id: uuid.UUID | None,
    created_by: uuid.UUID | None,
) -> uuid.UUID:
    """A new role binding's id."""
    binding_id = new_id()
    await repository.insert_binding(
        conn,
        tenant_id=tenant_id,
        binding_id=binding_id,
        role=role,
        subject_type=subject_type,
        subject_id=subject_id,
        namespace_id=namespace_id,
        created_by=created_by,
    )
    return binding_id


async def keep_an_owner(conn: Connection, subject_id: uuid.UUID) -> bool:
    """Whether the subject is one of the tenant's owners; taking that away is refused when it is
    the last one. Call it before removing the subject's owner binding: the owners' bindings stay
    locked until the transaction ends, so two concurrent removals cannot both pass."""
    owners = await repository.owners(conn)
    if subject_id not in owners:
        return False
    granting.check_an_owner_remains(owners, subject_id)
    return True


async def unbind_user(conn: Connection, access: TenantAccess, user_id: uuid.UUID) -> None:
    """Every role binding of a user who leaves the tenant: never the last owner, and only an
    owner removes an owner."""
    if await keep_an_owner(conn, user_id) and "tenant:delete" not in access.grants.tenant:
        raise Forbidden("only an owner may remove an owner")
    await repository.delete_user_bindings(conn, user_id)


# --- roles ----------------------------------------------------------------------------------


def builtin_roles() -> list[Role]:
    return [
        Role(name=name, builtin=True, description=f"Built-in role {name}", permissions=sorted(perms))
        for name, perms in BUILTIN_ROLES.items()
    ]


async def list_roles(db: Database, tenant_id: uuid.UUID) -> list[Role]:
    async with db.tenant(tenant_id) as conn:
        custom = await repository.list_roles(conn)
    return builtin_roles() + custom


async def create_role(
    db: Database, context: AuditContext, access: TenantAccess, data: RoleCreate, once: Once[Role] | None
) -> Role | StoredResponse:
    granting.check_custom_role_name(data.name)
    granting.check_custom_role_permissions(access.grants, data.permissions)
    async with db.tenant(access.tenant_id) as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        role = await repository.insert_role(conn, access.tenant_id, data.name, data.description, data.permissions)
        await audit.record_change(conn, context, access.tenant_id, "role.create", role.name, None, role)
        await remember(conn, once, role)
    return role


async def change_role(
    db: Database, context: AuditContext, access: TenantAccess, name: str, patch: RolePatch, expected_version: int
) -> Role:
    """A merge patch of a custom role under If-Match; whoever is bound to it gets the change at once."""
    if isinstance(patch.permissions, list):
        granting.check_custom_role_permissions(access.grants, patch.permissions)
    async with db.tenant(access.tenant_id) as conn:
        current = await _role_or_404(conn, name)
        check_version(expected_version, current.version or 1)
        description = patch.description if isinstance(patch.description, str) else current.description
        permissions = patch.permissions if isinstance(patch.permissions, list) else current.permissions
        saved = await repository.update_role(conn, name, description, permissions)
        await audit.record_change(conn, context, access.tenant_id, "role.update", name, current, saved)
    return saved


async def delete_role(db: Database, context: AuditContext, tenant_id: uuid.UUID, name: str) -> None:
    async with db.tenant(tenant_id) as conn:
        current = await _role_or_404(conn, name)
        await repository.delete_role(conn, name)
        await audit.record_change(conn, context, tenant_id, "role.delete", name, current, None)


async def _role_or_404(conn: Connection, name: str) -> Role:
    found = await repository.get_role(conn, name, for_update=True)
    if found is None:
        raise NotFound(f"no custom role {name!r}")
    return found


# --- role bindings --------------------------------------------------------------------------


async def list_bindings(
    db: Database, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int, subject_id: uuid.UUID | None
) -> list[RoleBinding]:
    async with db.tenant(tenant_id) as conn:
        return await repository.list_bindings(conn, after=after, limit=limit, subject_id=subject_id)


async def create_binding(
    db: Database,
    context: AuditContext,
    access: TenantAccess,
    data: RoleBindingCreate,
    once: Once[RoleBinding] | None,
) -> RoleBinding | StoredResponse:
    """Bindings name members or this tenant's API keys; anything else is a 404, not a dangling grant."""
    async with db.tenant(access.tenant_id) as conn:
        namespace_id = await namespace_id_of(conn, access, data.namespace)
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        await grantable(conn, access, data.role, namespace_id)
        if not await repository.subject_exists(conn, data.subject_type, data.subject_id):
            raise NotFound(f"no {data.subject_type.replace('_', ' ')} {data.subject_id} in this tenant")
        binding_id = await bind(
            conn,
            tenant_id=access.tenant_id,
            role=data.role,
            subject_type=data.subject_type,
            subject_id=data.subject_id,
            namespace_id=namespace_id,
            created_by=access.principal.id,
        )
        binding, _ = await _binding_or_404(conn, binding_id)
        await audit.record_change(conn, context, access.tenant_id, "rolebinding.create", str(binding.id), None, binding)
        await remember(conn, once, binding)
    return binding


async def delete_binding(db: Database, context: AuditContext, access: TenantAccess, binding_id: uuid.UUID) -> None:
    """Only someone who could grant the binding may revoke it, and never the last owner's."""
    async with db.tenant(access.tenant_id) as conn:
        binding, namespace_id = await _binding_or_404(conn, binding_id)
        await grantable(conn, access, binding.role, namespace_id)
        if granting.is_owner_binding(binding.role, namespace_id):
            await keep_an_owner(conn, binding.subject_id)
        await repository.delete_binding(conn, binding_id)
        await audit.record_change(conn, context, access.tenant_id, "rolebinding.delete", str(binding_id), binding, None)


async def _binding_or_404(conn: Connection, binding_id: uuid.UUID) -> tuple[RoleBinding, uuid.UUID | None]:
    found = await repository.get_binding(conn, binding_id)
    if found is None:
        raise NotFound("no such role binding")
    return found


# --- API keys -------------------------------------------------------------------------------


async def create_api_key(
    db: Database, context: AuditContext, access: TenantAccess, data: ApiKeyCreate
) -> ApiKeyCreated:
    """A key bound to a role the caller may grant; its secret is in the result and nowhere else."""
    api_keys.check_expiry(data.expires_at, datetime.now(UTC))
    prefix, secret = api_keys.new_api_key()
    key_id = new_id()
    async with db.tenant(access.tenant_id) as conn:
        namespace_id = await namespace_id_of(conn, access, data.namespace)
        await grantable(conn, access, data.role, namespace_id)
        await repository.insert_api_key(
            conn,
            tenant_id=access.tenant_id,
            key_id=key_id,
            name=data.name.strip(),
            prefix=prefix,
            secret_hash=secret_hash(secret),
            created_by=access.principal.id if access.principal.kind == "user" else None,
            expires_at=data.expires_at,
        )
        await bind(
            conn,
            tenant_id=access.tenant_id,
            role=data.role,
            subject_type="api_key",
            subject_id=key_id,
            namespace_id=namespace_id,
            created_by=access.principal.id,
        )
        key = await _api_key_or_404(conn, key_id)
        await audit.record_change(conn, context, access.tenant_id, "apikey.create", str(key_id), None, key)
    return ApiKeyCreated(**msgspec.structs.asdict(key), secret=secret)


async def list_api_keys(db: Database, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[ApiKey]:
    async with db.tenant(tenant_id) as conn:
        return await repository.list_api_keys(conn, after=after, limit=limit)


async def revoke_api_key(db: Database, context: AuditContext, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    """Revoking twice is not an error; only the first revocation is audited."""
    async with db.tenant(tenant_id) as conn:
        before = await _api_key_or_404(conn, key_id)
        after = await repository.revoke_api_key(conn, key_id)
        assert after is not None
        if before.revoked_at is None:
            await audit.record_change(conn, context, tenant_id, "apikey.revoke", str(key_id), before, after)
    return after


async def _api_key_or_404(conn: Connection, key_id: uuid.UUID) -> ApiKey:
    found = await repository.get_api_key(conn, key_id)
    if found is None:
        raise NotFound("no such API key")
    return found
