"""Tenants and namespaces: platform-admin provisioning (/v1/admin/tenants, bootstrap admin token),
self-service tenants for signed-in users (/v1/tenants) and namespaces inside them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader, State
from litestar.params import JSONBody, QueryParameter

from fluxforge.audit import repository as audit
from fluxforge.conventions import (
    DEFAULT_LIMIT,
    check_version,
    decode_cursor,
    etag,
    new_id,
    optional_version,
    page_of,
    required_version,
)
from fluxforge.db import Connection
from fluxforge.errors import NotFound
from fluxforge.rbac import repository as rbac_repository
from fluxforge.rbac.models import Principal, TenantAccess
from fluxforge.tenancy import logic, repository, service
from fluxforge.tenancy.models import (
    Namespace,
    NamespaceCreate,
    NamespacePage,
    NamespacePatch,
    Tenant,
    TenantCreate,
    TenantPage,
    TenantPatch,
    TenantStatus,
    TenantUpdate,
)
from fluxforge.web.access import access_of, audit_context, invalidate, require, require_admin, require_user
from fluxforge.web.contract import ADMIN_SECURITY, TENANT_SECURITY, USER_SECURITY
from fluxforge.web.idempotency import answer, once, remember, replay_or_claim
from fluxforge.web.params import (
    Cursor,
    IdempotencyKeyHeader,
    IfMatchOptional,
    IfMatchRequired,
    Limit,
    NamespacePath,
    TenantPath,
)
from fluxforge.web.problems import problem_responses
from fluxforge.web.services import Services

ETAG_HEADER = [
    ResponseHeader(name="ETag", description="The tenant's version; send it back in If-Match.", documentation_only=True)
]


def tenant_response(tenant: Tenant, status_code: int = 200) -> Response[Tenant]:
    headers = {"ETag": etag(tenant.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/admin/tenants/{tenant.id}"
    return Response(tenant, status_code=status_code, headers=headers)


async def _get_or_404(conn: Connection, ref: str, *, for_update: bool = False) -> Tenant:
    tenant = await repository.get(conn, ref, for_update=for_update)
    if tenant is None:
        raise NotFound(f"no tenant {ref!r}")
    return tenant


async def _save_change(
    conn: Connection, request: Request[Any, Any, Any], action: str, current: Tenant, changed: Tenant
) -> Tenant:
    """Write a changed tenant and its audit event; an unchanged one is neither written nor audited."""
    if changed is current:
        return current
    saved = await repository.update(conn, changed, current.version)
    await audit.record_change(conn, audit_context(request), saved.id, action, str(saved.id), current, saved)
    return saved


class TenantAdminController(Controller):
    path = "/v1/admin/tenants"
    tags = ["AdminTenants"]
    guards = [require_admin]
    security = ADMIN_SECURITY

    @post(
        operation_id="AdminCreateTenant",
        summary="Provision a tenant",
        status_code=201,
        responses=problem_responses(400, 401, 409, 413),
        response_headers=[
            *ETAG_HEADER,
            ResponseHeader(name="Location", description="URL of the new tenant.", documentation_only=True),
        ],
    )
    async def create_tenant(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        data: JSONBody[TenantCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Tenant]:
        respond = partial(tenant_response, status_code=201)
        key = once(request, idempotency_key, "createTenant", data, respond)
        created = await service.provision_tenant(services.db, audit_context(request), data, key)
        return answer(created, Tenant, respond)

    @get(operation_id="AdminListTenants", summary="List tenants", responses=problem_responses(400, 401))
    async def list_tenants(
        self,
        services: Services,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        status: Annotated[
            TenantStatus | None, QueryParameter(description="Only tenants in this status (default: all but deleted).")
        ] = None,
    ) -> TenantPage:
        rows = await service.list_all_tenants(services.db, after=decode_cursor(cursor), limit=limit, status=status)
        items, next_cursor = page_of(rows, limit)
        return TenantPage(items=items, next_cursor=next_cursor)

    @get(
        "/{tenant:str}",
        operation_id="AdminGetTenant",
        summary="Get a tenant",
        responses=problem_responses(400, 401, 404),
        response_headers=ETAG_HEADER,
    )
    async def get_tenant(self, services: Services, tenant: TenantPath) -> Response[Tenant]:
        return tenant_response(await service.get_any_tenant(services.db, tenant))

    @patch(
        "/{tenant:str}",
        operation_id="AdminUpdateTenant",
        summary="Change a tenant's display name or status (JSON merge patch; needs If-Match)",
        responses=problem_responses(400, 401, 404, 409, 412, 413, 428),
        response_headers=ETAG_HEADER,
    )
    async def update_tenant(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        data: JSONBody[TenantPatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Tenant]:
        expected = required_version(if_match)
        saved = await service.change_any_tenant(services.db, audit_context(request), tenant, data, expected)
        await invalidate(request, saved.id)  # suspension bites at once in every process
        return tenant_response(saved)

    @delete(
        "/{tenant:str}",
        operation_id="AdminDeleteTenant",
        summary="Soft-delete a tenant (If-Match optional)",
        status_code=200,
        responses=problem_responses(400, 401, 404, 412),
        response_headers=ETAG_HEADER,
    )
    async def delete_tenant(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, if_match: IfMatchOptional = None
    ) -> Response[Tenant]:
        expected = optional_version(if_match)
        saved = await service.delete_any_tenant(services.db, audit_context(request), tenant, expected)
        await invalidate(request, saved.id)
        return tenant_response(saved)


# --- self-service: a signed-in user's tenants ----------------------------------------------

DEFAULT_NAMESPACE = "default"


class TenantController(Controller):
    path = "/v1/tenants"
    tags = ["Tenants"]

    @post(
        operation_id="CreateMyTenant",
        summary="Create a tenant; the caller becomes its owner and a `default` namespace is made",
        status_code=201,
        guards=[require_user],
        security=USER_SECURITY,
        responses=problem_responses(400, 401, 403, 409, 413),
        response_headers=ETAG_HEADER,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[TenantCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Tenant]:
        user: Principal = request.state.user
        async with state.db.platform() as conn:
            replay = await replay_or_claim(conn, request, idempotency_key, "createMyTenant", data, Tenant)
            if replay is not None:
                return replay
            tenant = await repository.insert(conn, new_id(), data.slug, data.display_name.strip())
            await repository.set_creator(conn, tenant.id, user.id)
            namespace = await repository.insert_namespace(
                conn, tenant_id=tenant.id, namespace_id=new_id(), name=DEFAULT_NAMESPACE, display_name=None, labels={}
            )
            await repository.add_member(conn, tenant.id, user.id)
            await rbac_repository.insert_binding(
                conn,
                tenant_id=tenant.id,
                binding_id=new_id(),
                role="owner",
                subject_type="user",
                subject_id=user.id,
                namespace_id=None,
                created_by=user.id,
            )
            await audit.record_change(
                conn, audit_context(request), tenant.id, "tenant.create", str(tenant.id), None, tenant
            )
            await audit.record_change(
                conn, audit_context(request), tenant.id, "namespace.create", str(namespace.id), None, namespace
            )
            response = Response(
                tenant, status_code=201, headers={"ETag": etag(tenant.version), "Location": f"/v1/tenants/{tenant.id}"}
            )
            await remember(conn, request, idempotency_key, response)
        return response

    @get(
        operation_id="ListMyTenants",
        summary="The tenants the caller belongs to",
        guards=[require_user],
        security=USER_SECURITY,
        responses=problem_responses(400, 401, 403),
    )
    async def list_mine(
        self, request: Request[Any, Any, Any], state: State, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> TenantPage:
        user: Principal = request.state.user
        after = decode_cursor(cursor)
        async with state.db.platform() as conn:
            rows = await repository.list_for_user(conn, user.id, after=after, limit=limit)
        items, next_cursor = page_of(rows, limit)
        return TenantPage(items=items, next_cursor=next_cursor)

    @get(
        "/{tenant:str}",
        operation_id="GetMyTenant",
        summary="Get a tenant the caller belongs to",
        guards=[require("tenant:read")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 429),
        response_headers=ETAG_HEADER,
    )
    async def get_one(self, request: Request[Any, Any, Any], state: State, tenant: TenantPath) -> Response[Tenant]:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            found = await _get_or_404(conn, str(access.tenant_id))
        return tenant_response(found)

    @patch(
        "/{tenant:str}",
        operation_id="UpdateMyTenant",
        summary="Rename a tenant (JSON merge patch; needs If-Match)",
        guards=[require("tenant:update")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 428, 429),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        data: JSONBody[TenantUpdate],
        if_match: IfMatchRequired = None,
    ) -> Response[Tenant]:
        expected = required_version(if_match)
        access = access_of(request)
        if isinstance(data.display_name, str):
            data.display_name = data.display_name.strip()
        async with state.db.tenant(access.tenant_id) as conn:
            current = await _get_or_404(conn, str(access.tenant_id), for_update=True)
            check_version(expected, current.version)
            changed = logic.apply_patch(current, data, datetime.now(UTC))
            saved = await _save_change(conn, request, "tenant.update", current, changed)
        return tenant_response(saved)

    @delete(
        "/{tenant:str}",
        operation_id="DeleteMyTenant",
        summary="Soft-delete a tenant (owners only; If-Match optional)",
        status_code=200,
        guards=[require("tenant:delete")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 412, 429),
        response_headers=ETAG_HEADER,
    )
    async def delete_one(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, if_match: IfMatchOptional = None
    ) -> Response[Tenant]:
        expected = optional_version(if_match)
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            current = await _get_or_404(conn, str(access.tenant_id), for_update=True)
            check_version(expected, current.version)
            saved = await _save_change(
                conn, request, "tenant.delete", current, logic.soft_delete(current, datetime.now(UTC))
            )
        await invalidate(request, access.tenant_id)
        return tenant_response(saved)


# --- namespaces --------------------------------------------------------------------------------


def namespace_response(namespace: Namespace, status_code: int = 200) -> Response[Namespace]:
    return Response(namespace, status_code=status_code, headers={"ETag": etag(namespace.version)})


async def _namespace_or_404(conn: Connection, access: TenantAccess, *, for_update: bool = False) -> Namespace:
    assert access.namespace_id is not None  # the guard resolved the path's namespace
    found = await repository.get_namespace(conn, access.namespace_id, for_update=for_update)
    if found is None or found.status == "deleted":
        raise NotFound("no such namespace")
    return found


class NamespaceController(Controller):
    path = "/v1/tenants/{tenant:str}/namespaces"
    tags = ["Namespaces"]

    @post(
        operation_id="CreateNamespace",
        summary="Create a namespace",
        status_code=201,
        guards=[require("namespace:create")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 409, 413, 429),
        response_headers=ETAG_HEADER,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        data: JSONBody[NamespaceCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Namespace]:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            replay = await replay_or_claim(conn, request, idempotency_key, "createNamespace", data, Namespace)
            if replay is not None:
                return replay
            namespace = await repository.insert_namespace(
                conn,
                tenant_id=access.tenant_id,
                namespace_id=new_id(),
                name=data.name,
                display_name=data.display_name,
                labels=data.labels,
            )
            await audit.record_change(
                conn, audit_context(request), access.tenant_id, "namespace.create", str(namespace.id), None, namespace
            )
            response = namespace_response(namespace, 201)
            await remember(conn, request, idempotency_key, response)
        return response

    @get(
        operation_id="ListNamespaces",
        summary="List the namespaces the caller may see",
        guards=[require("tenant:read")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_all(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> NamespacePage:
        access = access_of(request)
        after = decode_cursor(cursor)
        async with state.db.tenant(access.tenant_id) as conn:
            rows = await repository.list_namespaces(
                conn, after=after, limit=limit, only=access.grants.namespaces_with("namespace:read")
            )
        items, next_cursor = page_of(rows, limit)
        return NamespacePage(items=items, next_cursor=next_cursor)

    @get(
        "/{namespace:str}",
        operation_id="GetNamespace",
        summary="Get a namespace",
        guards=[require("namespace:read")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 429),
        response_headers=ETAG_HEADER,
    )
    async def get_one(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, namespace: NamespacePath
    ) -> Response[Namespace]:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            found = await _namespace_or_404(conn, access)
        return namespace_response(found)

    @patch(
        "/{namespace:str}",
        operation_id="UpdateNamespace",
        summary="Change a namespace's display name or labels (JSON merge patch; needs If-Match)",
        guards=[require("namespace:update")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 428, 429),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        data: JSONBody[NamespacePatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Namespace]:
        expected = required_version(if_match)
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            current = await _namespace_or_404(conn, access, for_update=True)
            check_version(expected, current.version)
            changed = logic.apply_patch(current, data, datetime.now(UTC))
            saved = await _save_namespace(conn, request, "namespace.update", current, changed)
        return namespace_response(saved)

    @delete(
        "/{namespace:str}",
        operation_id="DeleteNamespace",
        summary="Soft-delete a namespace; bindings in it stop granting anything (If-Match optional)",
        status_code=200,
        guards=[require("namespace:delete")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 412, 429),
        response_headers=ETAG_HEADER,
    )
    async def delete_one(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantPath,
        namespace: NamespacePath,
        if_match: IfMatchOptional = None,
    ) -> Response[Namespace]:
        expected = optional_version(if_match)
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            current = await _namespace_or_404(conn, access, for_update=True)
            check_version(expected, current.version)
            deleted = logic.soft_delete(current, datetime.now(UTC))
            saved = await _save_namespace(conn, request, "namespace.delete", current, deleted)
        await invalidate(request, access.tenant_id)
        return namespace_response(saved)


async def _save_namespace(
    conn: Connection, request: Request[Any, Any, Any], action: str, current: Namespace, changed: Namespace
) -> Namespace:
    if changed is current:
        return current
    saved = await repository.update_namespace(conn, changed, current.version)
    access = access_of(request)
    await audit.record_change(conn, audit_context(request), access.tenant_id, action, str(saved.id), current, saved)
    return saved
