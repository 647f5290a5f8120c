"""Roles, role bindings and API keys of a tenant: who may do what, and machine credentials."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.params import JSONBody, PathParameter, QueryParameter

from fluxforge.conventions import DEFAULT_LIMIT, decode_cursor, etag, page_of, required_version
from fluxforge.idempotency import StoredResponse
from fluxforge.rbac import service
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
)
from fluxforge.web.access import access_of, audit_context, invalidate, require
from fluxforge.web.contract import TENANT_SECURITY
from fluxforge.web.idempotency import answer, once
from fluxforge.web.params import Cursor, IdempotencyKeyHeader, IfMatchRequired, Limit, TenantPath
from fluxforge.web.problems import AS_PUBLISHED_409, problem_responses
from fluxforge.web.services import Services

RoleRef = Annotated[str, PathParameter(description="The custom role's name.", max_length=40)]
IdRef = Annotated[uuid.UUID, PathParameter(description="The id.")]
ROLE_ETAG = [ResponseHeader(name="ETag", description="The role's version.", documentation_only=True)]


def role_response(role: Role, status_code: int = 200) -> Response[Role]:
    return Response(role, status_code=status_code, headers={"ETag": etag(role.version or 1)})


def binding_created(binding: RoleBinding) -> Response[RoleBinding]:
    return Response(binding, status_code=201)


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
    async def list_roles(self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath) -> RolePage:
        return RolePage(items=await service.list_roles(services.db, access_of(request).tenant_id))

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
        services: Services,
        tenant: TenantPath,
        data: JSONBody[RoleCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Role]:
        respond = partial(role_response, status_code=201)
        key = once(request, idempotency_key, "createRole", data, respond)
        created = await service.create_role(services.db, audit_context(request), access_of(request), data, key)
        return answer(created, Role, respond)

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
        services: Services,
        tenant: TenantPath,
        role: RoleRef,
        data: JSONBody[RolePatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Role]:
        expected = required_version(if_match)
        access = access_of(request)
        saved = await service.change_role(services.db, audit_context(request), access, role, data, expected)
        await invalidate(request, access.tenant_id)
        return role_response(saved)

    @delete(
        "/{role:str}",
        operation_id="DeleteRole",
        summary="Delete a custom role that no binding uses",
        guards=[require("role:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 429, kinds=AS_PUBLISHED_409),
    )
    async def delete_role(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, role: RoleRef
    ) -> None:
        tenant_id = access_of(request).tenant_id
        await service.delete_role(services.db, audit_context(request), tenant_id, role)
        await invalidate(request, tenant_id)


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
        services: Services,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        subject_id: Annotated[uuid.UUID | None, QueryParameter(description="Only this subject's bindings.")] = None,
    ) -> RoleBindingPage:
        rows = await service.list_bindings(
            services.db, access_of(request).tenant_id, after=decode_cursor(cursor), limit=limit, subject_id=subject_id
        )
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
        services: Services,
        tenant: TenantPath,
        data: JSONBody[RoleBindingCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[RoleBinding]:
        access = access_of(request)
        key = once(request, idempotency_key, "createRoleBinding", data, binding_created)
        created = await service.create_binding(services.db, audit_context(request), access, data, key)
        if not isinstance(created, StoredResponse):  # a replay changed nothing
            await invalidate(request, access.tenant_id)
        return answer(created, RoleBinding, binding_created)

    @delete(
        "/{binding_id:uuid}",
        operation_id="DeleteRoleBinding",
        summary="Revoke a role binding; it stops working everywhere within a second",
        guards=[require("rolebinding:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 429, kinds=AS_PUBLISHED_409),
    )
    async def delete_binding(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, binding_id: IdRef
    ) -> None:
        access = access_of(request)
        await service.delete_binding(services.db, audit_context(request), access, binding_id)
        await invalidate(request, access.tenant_id)


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
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, data: JSONBody[ApiKeyCreate]
    ) -> Response[ApiKeyCreated]:
        created = await service.create_api_key(services.db, audit_context(request), access_of(request), data)
        return Response(created, status_code=201)

    @get(
        operation_id="ListApiKeys",
        summary="API keys (never their secrets)",
        guards=[require("apikey:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_keys(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ApiKeyPage:
        rows = await service.list_api_keys(
            services.db, access_of(request).tenant_id, after=decode_cursor(cursor), limit=limit
        )
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
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, key_id: IdRef
    ) -> ApiKey:
        tenant_id = access_of(request).tenant_id
        revoked = await service.revoke_api_key(services.db, audit_context(request), tenant_id, key_id)
        await invalidate(request, tenant_id)
        return revoked
