"""Tenants and namespaces: platform-admin provisioning (/v1/admin/tenants, bootstrap admin token),
self-service tenants for signed-in users (/v1/tenants), namespaces inside them, and members and
invitations (people join a tenant by accepting a single-use, expiring invitation)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.params import JSONBody, PathParameter, QueryParameter

from fluxforge.conventions import DEFAULT_LIMIT, decode_cursor, etag, optional_version, page_of, required_version
from fluxforge.tenancy import service
from fluxforge.tenancy.models import (
    Invitation,
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationPage,
    MemberPage,
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
from fluxforge.web.access import access_of, audit_context, invalidate, require, require_admin, require_user, user_of
from fluxforge.web.contract import ADMIN_SECURITY, TENANT_SECURITY, USER_SECURITY
from fluxforge.web.idempotency import answer, once
from fluxforge.web.params import (
    Cursor,
    IdempotencyKeyHeader,
    IfMatchOptional,
    IfMatchRequired,
    Limit,
    NamespacePath,
    TenantPath,
)
from fluxforge.web.problems import AS_PUBLISHED_409, problem_responses
from fluxforge.web.services import Services

ETAG_HEADER = [
    ResponseHeader(name="ETag", description="The tenant's version; send it back in If-Match.", documentation_only=True)
]
UserRef = Annotated[uuid.UUID, PathParameter(description="The member's user id.")]
InvitationRef = Annotated[uuid.UUID, PathParameter(description="The invitation's id.")]


def tenant_response(tenant: Tenant, status_code: int = 200) -> Response[Tenant]:
    headers = {"ETag": etag(tenant.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/admin/tenants/{tenant.id}"
    return Response(tenant, status_code=status_code, headers=headers)


def my_tenant_created(tenant: Tenant) -> Response[Tenant]:
    return Response(
        tenant, status_code=201, headers={"ETag": etag(tenant.version), "Location": f"/v1/tenants/{tenant.id}"}
    )


def namespace_response(namespace: Namespace, status_code: int = 200) -> Response[Namespace]:
    return Response(namespace, status_code=status_code, headers={"ETag": etag(namespace.version)})


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
        services: Services,
        data: JSONBody[TenantCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Tenant]:
        key = once(request, idempotency_key, "createMyTenant", data, my_tenant_created)
        created = await service.create_my_tenant(services.db, audit_context(request), user_of(request).id, data, key)
        return answer(created, Tenant, my_tenant_created)

    @get(
        operation_id="ListMyTenants",
        summary="The tenants the caller belongs to",
        guards=[require_user],
        security=USER_SECURITY,
        responses=problem_responses(400, 401, 403),
    )
    async def list_mine(
        self, request: Request[Any, Any, Any], services: Services, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> TenantPage:
        rows = await service.list_my_tenants(services.db, user_of(request).id, after=decode_cursor(cursor), limit=limit)
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
    async def get_one(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath
    ) -> Response[Tenant]:
        return tenant_response(await service.get_tenant(services.db, access_of(request).tenant_id))

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
        services: Services,
        tenant: TenantPath,
        data: JSONBody[TenantUpdate],
        if_match: IfMatchRequired = None,
    ) -> Response[Tenant]:
        expected = required_version(if_match)
        tenant_id = access_of(request).tenant_id
        saved = await service.change_tenant(services.db, audit_context(request), tenant_id, data, expected)
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
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, if_match: IfMatchOptional = None
    ) -> Response[Tenant]:
        expected = optional_version(if_match)
        tenant_id = access_of(request).tenant_id
        saved = await service.delete_tenant(services.db, audit_context(request), tenant_id, expected)
        await invalidate(request, tenant_id)
        return tenant_response(saved)


# --- namespaces --------------------------------------------------------------------------------


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
        services: Services,
        tenant: TenantPath,
        data: JSONBody[NamespaceCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Namespace]:
        respond = partial(namespace_response, status_code=201)
        key = once(request, idempotency_key, "createNamespace", data, respond)
        tenant_id = access_of(request).tenant_id
        created = await service.create_namespace(services.db, audit_context(request), tenant_id, data, key)
        return answer(created, Namespace, respond)

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
        services: Services,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> NamespacePage:
        rows = await service.list_namespaces(services.db, access_of(request), after=decode_cursor(cursor), limit=limit)
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
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, namespace: NamespacePath
    ) -> Response[Namespace]:
        return namespace_response(await service.get_namespace(services.db, access_of(request)))

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
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        data: JSONBody[NamespacePatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Namespace]:
        expected = required_version(if_match)
        access = access_of(request)
        saved = await service.change_namespace(services.db, audit_context(request), access, data, expected)
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
        services: Services,
        tenant: TenantPath,
        namespace: NamespacePath,
        if_match: IfMatchOptional = None,
    ) -> Response[Namespace]:
        expected = optional_version(if_match)
        access = access_of(request)
        saved = await service.delete_namespace(services.db, audit_context(request), access, expected)
        await invalidate(request, access.tenant_id)
        return namespace_response(saved)


# --- members and invitations -------------------------------------------------------------------


class MemberController(Controller):
    path = "/v1/tenants/{tenant:str}/members"
    tags = ["Members"]

    @get(
        operation_id="ListMembers",
        summary="Members with their role bindings",
        guards=[require("member:read")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_members(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> MemberPage:
        rows = await service.list_members(
            services.db, access_of(request).tenant_id, after=decode_cursor(cursor), limit=limit
        )
        items, next_cursor = page_of(rows, limit, key=lambda member: member.user_id)
        return MemberPage(items=items, next_cursor=next_cursor)

    @delete(
        "/{user_id:uuid}",
        operation_id="RemoveMember",
        summary="Remove a member and all their role bindings (never the last owner)",
        guards=[require("member:remove")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 409, 429, kinds=AS_PUBLISHED_409),
    )
    async def remove_member(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, user_id: UserRef
    ) -> None:
        access = access_of(request)
        await service.remove_member(services.db, audit_context(request), access, user_id)
        await invalidate(request, access.tenant_id)


class InvitationController(Controller):
    path = "/v1/tenants/{tenant:str}/invitations"
    tags = ["Invitations"]

    @post(
        operation_id="CreateInvitation",
        summary="Invite someone by email; the token in the response is shown only once",
        status_code=201,
        guards=[require("member:invite")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 413, 429),
    )
    async def invite(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, data: JSONBody[InvitationCreate]
    ) -> Response[InvitationCreated]:
        created = await service.invite(services.db, audit_context(request), access_of(request), data)
        return Response(created, status_code=201)

    @get(
        operation_id="ListInvitations",
        summary="Invitations and their status",
        guards=[require("member:read")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_invitations(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> InvitationPage:
        rows = await service.list_invitations(
            services.db, access_of(request).tenant_id, after=decode_cursor(cursor), limit=limit
        )
        items, next_cursor = page_of(rows, limit)
        return InvitationPage(items=items, next_cursor=next_cursor)

    @delete(
        "/{invitation_id:uuid}",
        operation_id="RevokeInvitation",
        summary="Revoke a pending invitation",
        status_code=200,
        guards=[require("member:invite")],
        security=TENANT_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def revoke(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, invitation_id: InvitationRef
    ) -> Invitation:
        tenant_id = access_of(request).tenant_id
        return await service.revoke_invitation(services.db, audit_context(request), tenant_id, invitation_id)


class InvitationAcceptController(Controller):
    path = "/v1/invitations/accept"
    tags = ["Invitations"]

    @post(
        operation_id="AcceptInvitation",
        summary="Accept an invitation as the signed-in user; joins the tenant with the invited role",
        status_code=200,
        guards=[require_user],
        security=USER_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 413),
    )
    async def accept(
        self, request: Request[Any, Any, Any], services: Services, data: JSONBody[InvitationAccept]
    ) -> Invitation:
        user_id = user_of(request).id
        invitation, tenant_id = await service.accept_invitation(
            services.db, audit_context(request), user_id, data.token
        )
        await invalidate(request, tenant_id)
        return invitation
