"""Platform-admin tenant provisioning: /v1/admin/tenants (bootstrap admin token)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader, State
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext, AuditEntry
from fluxforge.conventions import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    check_version,
    decode_cursor,
    etag,
    new_id,
    page_of,
    required_version,
)
from fluxforge.db import Connection, Database
from fluxforge.errors import NotFound, problem_responses
from fluxforge.idempotency import IdempotencyKeyHeader, StoredResponse, claim, record, request_fingerprint
from fluxforge.identity.admin_token import require_admin
from fluxforge.telemetry import request_id_var
from fluxforge.tenancy import logic, repository
from fluxforge.tenancy.models import Tenant, TenantCreate, TenantPage, TenantPatch, TenantStatus

TenantRef = Annotated[str, PathParameter(description="The tenant's id or slug.", max_length=64)]
ETAG_HEADER = [
    ResponseHeader(name="ETag", description="The tenant's version; send it back in If-Match.", documentation_only=True)
]
IfMatch = Annotated[
    str | None, HeaderParameter(name="If-Match", description="The ETag (version) the change is based on.")
]


def audit_context(request: Request[Any, Any, Any]) -> AuditContext:
    return AuditContext(
        actor=request.state.principal,
        request_id=request_id_var.get(),
        client_ip=request.client.host if request.client else None,
    )


def tenant_response(tenant: Tenant, status_code: int = 200) -> Response[Tenant]:
    headers = {"ETag": etag(tenant.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/admin/tenants/{tenant.id}"
    return Response(tenant, status_code=status_code, headers=headers)


def snapshot(tenant: Tenant) -> dict[str, Any]:
    return msgspec.to_builtins(tenant)  # type: ignore[no-any-return]


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
    await audit.record(
        conn,
        audit_context(request),
        AuditEntry(saved.id, action, "tenant", str(saved.id), snapshot(current), snapshot(saved)),
    )
    return saved


class TenantAdminController(Controller):
    path = "/v1/admin/tenants"
    tags = ["admin: tenants"]
    guards = [require_admin]
    security = [{"adminToken": []}]

    @post(
        operation_id="createTenant",
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
        state: State,
        data: JSONBody[TenantCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Tenant]:
        db: Database = state.db
        principal: str = request.state.principal
        async with db.platform() as conn:
            if idempotency_key is not None:
                earlier = await claim(
                    conn,
                    principal=principal,
                    key=idempotency_key,
                    operation="createTenant",
                    fingerprint=request_fingerprint("createTenant", data),
                    ttl=timedelta(hours=state.settings.idempotency_ttl_hours),
                )
                if earlier is not None:
                    replay = tenant_response(msgspec.json.decode(earlier.body, type=Tenant), earlier.status_code)
                    replay.headers["Idempotency-Replayed"] = "true"
                    return replay
            tenant = await repository.insert(conn, new_id(), data.slug, data.display_name.strip())
            await audit.record(
                conn,
                audit_context(request),
                AuditEntry(tenant.id, "tenant.create", "tenant", str(tenant.id), None, snapshot(tenant)),
            )
            response = tenant_response(tenant, 201)
            if idempotency_key is not None:
                stored = StoredResponse(201, msgspec.json.encode(tenant), {})
                await record(conn, principal=principal, key=idempotency_key, response=stored)
        return response

    @get(operation_id="listTenants", summary="List tenants", responses=problem_responses(400, 401))
    async def list_tenants(
        self,
        state: State,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        status: Annotated[
            TenantStatus | None, QueryParameter(description="Only tenants in this status (default: all but deleted).")
        ] = None,
    ) -> TenantPage:
        after = decode_cursor(cursor)
        async with state.db.platform() as conn:
            rows = await repository.list_page(conn, after=after, limit=limit, status=status)
        items, next_cursor = page_of(rows, limit)
        return TenantPage(items=items, next_cursor=next_cursor)

    @get(
        "/{tenant:str}",
        operation_id="getTenant",
        summary="Get a tenant",
        responses=problem_responses(400, 401, 404),
        response_headers=ETAG_HEADER,
    )
    async def get_tenant(self, state: State, tenant: TenantRef) -> Response[Tenant]:
        async with state.db.platform() as conn:
            found = await _get_or_404(conn, tenant)
        return tenant_response(found)

    @patch(
        "/{tenant:str}",
        operation_id="updateTenant",
        summary="Change a tenant's display name or status (JSON merge patch; needs If-Match)",
        responses=problem_responses(400, 401, 404, 409, 412, 428),
        response_headers=ETAG_HEADER,
    )
    async def update_tenant(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: TenantRef,
        data: JSONBody[TenantPatch],
        if_match: IfMatch = None,
    ) -> Response[Tenant]:
        expected = required_version(if_match)
        if isinstance(data.display_name, str):
            data.display_name = data.display_name.strip()
        async with state.db.platform() as conn:
            current = await _get_or_404(conn, tenant, for_update=True)
            check_version(expected, current.version)
            changed = logic.apply_patch(current, data, datetime.now(UTC))
            saved = await _save_change(conn, request, "tenant.update", current, changed)
        return tenant_response(saved)

    @delete(
        "/{tenant:str}",
        operation_id="deleteTenant",
        summary="Soft-delete a tenant (If-Match optional)",
        status_code=200,
        responses=problem_responses(400, 401, 404, 412),
        response_headers=ETAG_HEADER,
    )
    async def delete_tenant(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantRef, if_match: IfMatch = None
    ) -> Response[Tenant]:
        expected = required_version(if_match) if if_match is not None else None
        async with state.db.platform() as conn:
            current = await _get_or_404(conn, tenant, for_update=True)
            check_version(expected, current.version)
            deleted = logic.soft_delete(current, datetime.now(UTC))
            saved = await _save_change(conn, request, "tenant.delete", current, deleted)
        return tenant_response(saved)
