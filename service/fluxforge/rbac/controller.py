"""Roles, role bindings and API keys of a tenant: who may do what, and machine credentials."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader, State
from litestar.params import JSONBody, PathParameter, QueryParameter

from fluxforge.audit import repository as audit
from fluxforge.conventions import DEFAULT_LIMIT, check_version, decode_cursor, etag, new_id, page_of, required_version
from fluxforge.credentials import new_secret, secret_hash
from fluxforge.db import Connection
from fluxforge.errors import Conflict, Forbidden, InvalidRequest, NotFound
from fluxforge.rbac import repository
from fluxforge.rbac.models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPage,
    Role,
    RoleBinding,
    RoleBindingCreate,
    RoleBindingPage,
    RoleCreate,
    RolePage,
    RolePatch,
    TenantAccess,
)
from fluxforge.rbac.permissions import ALL_PERMISSIONS, BUILTIN_ROLES, effective_role_permissions
from fluxforge.web.access import access_of, audit_context, invalidate, require
from fluxforge.web.access_control import API_KEY_PREFIX
from fluxforge.web.contract import TENANT_SECURITY
from fluxforge.web.idempotency import remember, replay_or_claim
from fluxforge.web.params import Cursor, IdempotencyKeyHeader, IfMatchRequired, Limit, TenantPath
from fluxforge.web.problems import AS_PUBLISHED_409, problem_responses
from fluxforge.web.services import services_of

RoleRef = Annotated[str, PathParameter(description="The custom role's name.", max_length=40)]
IdRef = Annotated[uuid.UUID, PathParameter(description="The id.")]
ROLE_ETAG = [ResponseHeader(name="ETag", description="The role's version.", documentation_only=True)]


def builtin_roles() -> list[Role]:
    return [
        Role(name=name, builtin=True, description=f"Built-in role {name}", permissions=sorted(perms))
        for name, perms in BUILTIN_ROLES.items()
    ]


def check_permissions(permissions: Sequence[str]) -> None:
    unknown = sorted(set(permissions) - ALL_PERMISSIONS)
    if unknown:
        raise InvalidRequest(
            f"unknown permission(s): {', '.join(unknown)}; the vocabulary is: {', '.join(sorted(ALL_PERMISSIONS))}"
        )


async def grantable(
    conn: Connection, access: TenantAccess, role: str, namespace_id: uuid.UUID | None
) -> frozenset[str]:
    """What binding `role` at this scope would grant, refused if it exceeds the caller's own grants.

    Nobody hands out more than they hold: that is what keeps an admin from minting an owner key.
    """
    custom = await repository.custom_roles(conn)
    if role not in BUILTIN_ROLES and role not in custom:
        raise InvalidRequest(f"no role {role!r}; use a built-in role or create a custom role first")
    permissions = effective_role_permissions(role, namespace_id, custom)
    if not access.grants.covers(permissions, namespace_id):
        raise Forbidden(f"role {role!r} grants permissions you do not hold at that scope")
    return permissions


async def namespace_id_of(request: Request[Any, Any, Any], access: TenantAccess, name: str | None) -> uuid.UUID | None:
    if name is None:
        return None
    found: uuid.UUID | None = await services_of(request.app).access.namespace(access.tenant_id, name)
    if found is None or not access.grants.sees_namespace(found):
        raise NotFound(f"no namespace {name!r}")
    return found


class RoleController(Controller):
    path = "/v1/tenants/{tenant:str}/roles"
    tags = ["Roles"]
    security = TENANT_SECURITY

    @get(
        operation_id="ListRoles",
        summary="Built-in and custom roles with their permissions",
        guards=[require("role:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_roles(self, request: Request[Any, Any, Any], state: State, tenant: TenantPath) -> RolePage:
        async with state.db.tenant(access_of(request).tenant_id) as conn:
            custom = await repository.list_roles(conn)
        return RolePage(items=builtin_roles() + custom)

    @post(
        operation_id="CreateRole",
        summary="Create a custom role from the permission vocabulary",
        status_code=201,
        guards=[require("role:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 413, 429, kinds=AS_PUBLISHED_409),
        response_headers=ROLE_ETAG,
    )
    async def create_role(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        data: JSONBody[RoleCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Role]:
        access = access_of(request)
        check_permissions(data.permissions)
        if data.name in BUILTIN_ROLES:
            raise Conflict(f"{data.name!r} is a built-in role")
        if not access.grants.covers(data.permissions, None):
            raise Forbidden("a custom role may only hold permissions you hold tenant-wide")
        async with state.db.tenant(access.tenant_id) as conn:
            replay = await replay_or_claim(conn, request, idempotency_key, "createRole", data, Role)
            if replay is not None:
                return replay
            role = await repository.insert_role(conn, access.tenant_id, data.name, data.description, data.permissions)
            await audit.record_change(
                conn, audit_context(request), access.tenant_id, "role.create", role.name, None, role
            )
            response = Response(role, status_code=201, headers={"ETag": etag(role.version or 1)})
            await remember(conn, request, idempotency_key, response)
        return response

    @patch(
        "/{role:str}",
        operation_id="UpdateRole",
        summary="Change a custom role (needs If-Match); takes effect at once for everyone bound to it",
        guards=[require("role:write")],
        responses=problem_responses(400, 401, 403, 404, 412, 413, 428, 429),
        response_headers=ROLE_ETAG,
    )
    async def update_role(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        role: RoleRef,
        data: JSONBody[RolePatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Role]:
        expected = required_version(if_match)
        access = access_of(request)
        if isinstance(data.permissions, list):
            check_permissions(data.permissions)
            if not access.grants.covers(data.permissions, None):
                raise Forbidden("a custom role may only hold permissions you hold tenant-wide")
        async with state.db.tenant(access.tenant_id) as conn:
            current = await repository.get_role(conn, role, for_update=True)
            if current is None:
                raise NotFound(f"no custom role {role!r}")
            check_version(expected, current.version or 1)
            description = data.description if isinstance(data.description, str) else current.description
            permissions = data.permissions if isinstance(data.permissions, list) else current.permissions
            saved = await repository.update_role(conn, role, description, permissions)
            await audit.record_change(
                conn, audit_context(request), access.tenant_id, "role.update", role, current, saved
            )
        await invalidate(request, access.tenant_id)
        return Response(saved, headers={"ETag": etag(saved.version or 1)})

    @delete(
        "/{role:str}",
        operation_id="DeleteRole",
        summary="Delete a custom role that no binding uses",
        guards=[require("role:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 429, kinds=AS_PUBLISHED_409),
    )
    async def delete_role(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, role: RoleRef
    ) -> None:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            current = await repository.get_role(conn, role, for_update=True)
            if current is None:
                raise NotFound(f"no custom role {role!r}")
            await repository.delete_role(conn, role)
            await audit.record_change(
                conn, audit_context(request), access.tenant_id, "role.delete", role, current, None
            )
        await invalidate(request, access.tenant_id)


class RoleBindingController(Controller):
    path = "/v1/tenants/{tenant:str}/role-bindings"
    tags = ["RoleBindings"]
    security = TENANT_SECURITY

    @get(
        operation_id="ListRoleBindings",
        summary="Role bindings in the tenant",
        guards=[require("rolebinding:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_bindings(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        subject_id: Annotated[uuid.UUID | None, QueryParameter(description="Only this subject's bindings.")] = None,
    ) -> RoleBindingPage:
        after = decode_cursor(cursor)
        async with state.db.tenant(access_of(request).tenant_id) as conn:
            rows = await repository.list_bindings(conn, after=after, limit=limit, subject_id=subject_id)
        items, next_cursor = page_of(rows, limit)
        return RoleBindingPage(items=items, next_cursor=next_cursor)

    @post(
        operation_id="CreateRoleBinding",
        summary="Grant a role to a member or an API key, tenant-wide or in one namespace",
        status_code=201,
        guards=[require("rolebinding:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 413, 429, kinds=AS_PUBLISHED_409),
    )
    async def create_binding(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        data: JSONBody[RoleBindingCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[RoleBinding]:
        access = access_of(request)
        namespace_id = await namespace_id_of(request, access, data.namespace)
        binding_id = new_id()
        async with state.db.tenant(access.tenant_id) as conn:
            replay = await replay_or_claim(conn, request, idempotency_key, "createRoleBinding", data, RoleBinding)
            if replay is not None:
                return replay
            await grantable(conn, access, data.role, namespace_id)
            await ensure_subject(conn, data.subject_type, data.subject_id)
            await repository.insert_binding(
                conn,
                tenant_id=access.tenant_id,
                binding_id=binding_id,
                role=data.role,
                subject_type=data.subject_type,
                subject_id=data.subject_id,
                namespace_id=namespace_id,
                created_by=access.principal.id,
            )
            found = await repository.get_binding(conn, binding_id)
            assert found is not None
            binding = found[0]
            await audit.record_change(
                conn, audit_context(request), access.tenant_id, "rolebinding.create", str(binding.id), None, binding
            )
            response = Response(binding, status_code=201)
            await remember(conn, request, idempotency_key, response)
        await invalidate(request, access.tenant_id)
        return response

    @delete(
        "/{binding_id:uuid}",
        operation_id="DeleteRoleBinding",
        summary="Revoke a role binding; it stops working everywhere within a second",
        guards=[require("rolebinding:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 429, kinds=AS_PUBLISHED_409),
    )
    async def delete_binding(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, binding_id: IdRef
    ) -> None:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            found = await repository.get_binding(conn, binding_id)
            if found is None:
                raise NotFound("no such role binding")
            binding, namespace_id = found
            await grantable(conn, access, binding.role, namespace_id)
            if binding.role == "owner" and namespace_id is None:
                remaining = [o for o in await repository.owners(conn) if o != binding.subject_id]
                if not remaining:
                    raise Conflict("this is the tenant's last owner; make someone else owner first")
            await repository.delete_binding(conn, binding_id)
            await audit.record_change(
                conn, audit_context(request), access.tenant_id, "rolebinding.delete", str(binding_id), binding, None
            )
        await invalidate(request, access.tenant_id)


async def ensure_subject(conn: Connection, subject_type: str, subject_id: uuid.UUID) -> None:
    """Bindings name members or this tenant's API keys; anything else is a 404, not a dangling grant."""
    if subject_type == "user":
        exists = await conn.fetchval("SELECT true FROM memberships WHERE user_id = $1", subject_id)
    else:
        exists = await conn.fetchval("SELECT true FROM api_keys WHERE id = $1 AND revoked_at IS NULL", subject_id)
    if not exists:
        raise NotFound(f"no {subject_type.replace('_', ' ')} {subject_id} in this tenant")


class ApiKeyController(Controller):
    path = "/v1/tenants/{tenant:str}/api-keys"
    tags = ["ApiKeys"]
    security = TENANT_SECURITY

    @post(
        operation_id="CreateApiKey",
        summary="Create an API key bound to a role; the secret is shown only in this response",
        status_code=201,
        guards=[require("apikey:create")],
        responses=problem_responses(400, 401, 403, 404, 413, 429),
    )
    async def create_key(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, data: JSONBody[ApiKeyCreate]
    ) -> Response[ApiKeyCreated]:
        access = access_of(request)
        if data.expires_at is not None and (data.expires_at.tzinfo is None or data.expires_at <= datetime.now(UTC)):
            raise InvalidRequest("expires_at must be a future time with a timezone")
        namespace_id = await namespace_id_of(request, access, data.namespace)
        prefix = secrets.token_hex(6)
        secret = f"{API_KEY_PREFIX}{prefix}_{new_secret()}"
        key_id = new_id()
        async with state.db.tenant(access.tenant_id) as conn:
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
            await repository.insert_binding(
                conn,
                tenant_id=access.tenant_id,
                binding_id=new_id(),
                role=data.role,
                subject_type="api_key",
                subject_id=key_id,
                namespace_id=namespace_id,
                created_by=access.principal.id,
            )
            key = await repository.get_api_key(conn, key_id)
            assert key is not None
            await audit.record_change(
                conn, audit_context(request), access.tenant_id, "apikey.create", str(key_id), None, key
            )
        return Response(ApiKeyCreated(**msgspec.structs.asdict(key), secret=secret), status_code=201)

    @get(
        operation_id="ListApiKeys",
        summary="API keys (never their secrets)",
        guards=[require("apikey:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_keys(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ApiKeyPage:
        after = decode_cursor(cursor)
        async with state.db.tenant(access_of(request).tenant_id) as conn:
            rows = await repository.list_api_keys(conn, after=after, limit=limit)
        items, next_cursor = page_of(rows, limit)
        return ApiKeyPage(items=items, next_cursor=next_cursor)

    @delete(
        "/{key_id:uuid}",
        operation_id="RevokeApiKey",
        summary="Revoke an API key; it stops working at once",
        status_code=200,
        guards=[require("apikey:revoke")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def revoke_key(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, key_id: IdRef
    ) -> ApiKey:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            before = await repository.get_api_key(conn, key_id)
            if before is None:
                raise NotFound("no such API key")
            after = await repository.revoke_api_key(conn, key_id)
            assert after is not None
            if before.revoked_at is None:
                await audit.record_change(
                    conn, audit_context(request), access.tenant_id, "apikey.revoke", str(key_id), before, after
                )
        await invalidate(request, access.tenant_id)
        return after
