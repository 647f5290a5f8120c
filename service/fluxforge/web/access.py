"""The guards routes declare, and what a handler reads of the request they resolved.

`require(permission)` for tenant-scoped routes, `require_user` for a signed-in person outside any
tenant, `require_admin` for the platform's /v1/admin routes.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from fluxforge.audit.models import AuditContext
from fluxforge.errors import Forbidden, Unauthorized
from fluxforge.identity.admin_token import ADMIN_PRINCIPAL
from fluxforge.rbac.models import Principal, TenantAccess
from fluxforge.telemetry import request_id_var
from fluxforge.web.access_control import Guard
from fluxforge.web.services import services_of


def require(permission: str) -> Guard:
    """A guard: the caller must hold `permission` in the path's tenant (and namespace)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        access = await services_of(connection.app).access.check(connection, permission)
        connection.state.access = access
        connection.state.principal = access.principal.actor

    return guard


async def require_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard for routes outside any tenant that only people may call (create a tenant, accept)."""
    principal = await services_of(connection.app).access.authenticate(connection)
    if principal.kind != "user":
        raise Forbidden("only a signed-in user may do this, not an API key")
    connection.state.user = principal
    connection.state.principal = principal.actor


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def require_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for /v1/admin: the caller must present the bootstrap admin token."""
    presented = bearer_token(connection)
    expected = services_of(connection.app).admin_token
    if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized(
            "send the platform admin token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="fluxforge-admin"'},
        )
    connection.state.principal = ADMIN_PRINCIPAL


def access_of(request: Request[Any, Any, Any]) -> TenantAccess:
    """What the route's `require` guard resolved: the caller, the tenant, its grants, the namespace."""
    access: TenantAccess = request.state.access
    return access


def user_of(request: Request[Any, Any, Any]) -> Principal:
    """The signed-in user the route's `require_user` guard authenticated."""
    user: Principal = request.state.user
    return user


def audit_context(request: Request[Any, Any, Any]) -> AuditContext:
    """The acting principal (set by the route's guard) and the request it acted through."""
    return AuditContext(
        actor=request.state.principal,
        request_id=request_id_var.get(),
        client_ip=request.client.host if request.client else None,
    )


async def invalidate(request: Request[Any, Any, Any], tenant_id: uuid.UUID) -> None:
    """After a committed change to who may do what: every process drops its cached grants."""
    await services_of(request.app).access.cache.invalidate(tenant_id)
