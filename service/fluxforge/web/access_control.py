"""Who is calling, and may they do this here? Resolved once per request from in-process caches.

`AccessControl` authenticates the caller (a user's access token, or an API key), resolves the
`{tenant}` (and `{namespace}`) of the path, and checks the permission against the caller's
grants. Deny by default: a caller with no binding in the tenant gets 404, exactly as for a
tenant that does not exist, so existence is never revealed; a member lacking the permission
gets 403. The guards that routes declare (`fluxforge.web.access`) call it.
"""

from __future__ import annotations

import asyncio
import hmac
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext, AuditEntry
from fluxforge.config import Settings
from fluxforge.credentials import secret_hash
from fluxforge.db import Database
from fluxforge.errors import Forbidden, NotFound, Unauthorized
from fluxforge.identity.tokens import TokenService
from fluxforge.ratelimit import Limit, RateLimited, RateLimiter
from fluxforge.rbac import repository
from fluxforge.rbac.api_keys import API_KEY_PREFIX, split_api_key
from fluxforge.rbac.cache import AuthzCache
from fluxforge.rbac.models import ApiKeyRecord, Principal, TenantAccess, TenantInfo
from fluxforge.rbac.permissions import NO_GRANTS, Grants, compute_grants
from fluxforge.telemetry import request_id_var

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_EVERY_SECONDS = 60.0
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


class AccessControl:
    """Everything the guard needs, held once per process in the app's `Services`."""

    def __init__(
        self, db: Database, tokens: TokenService, cache: AuthzCache, limiter: RateLimiter, settings: Settings
    ) -> None:
        self.db = db
        self.tokens = tokens
        self.cache = cache
        self.limiter = limiter
        self.settings = settings
        self._touched: dict[uuid.UUID, float] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def authenticate(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
        header = connection.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthorized(
                "send 'Authorization: Bearer <access token or API key>'",
                headers={"WWW-Authenticate": 'Bearer realm="fluxforge"'},
            )
        if credential.startswith(API_KEY_PREFIX):
            return await self._api_key_principal(credential)
        claims = await self.tokens.verify(credential)
        return Principal(kind="user", id=claims.user_id)

    async def _api_key_principal(self, key: str) -> Principal:
        invalid = Unauthorized(
            "the API key is invalid, expired or revoked", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
        prefix = split_api_key(key)
        if prefix is None:
            raise invalid
        record: ApiKeyRecord | None = self.cache.api_keys.get(prefix) if self.cache.active else None
        if record is None:
            async with self.db.platform() as conn:
                record = await repository.api_key_by_prefix(conn, prefix)
            if record is None:
                raise invalid
            if self.cache.active:
                self.cache.api_keys.put(prefix, record.tenant_id, record)
        if (
            record.revoked
            or (record.expires_at is not None and record.expires_at <= datetime.now(UTC))
            or not hmac.compare_digest(record.secret_hash, secret_hash(key))
        ):
            raise invalid
        self._touch(record)
        return Principal(kind="api_key", id=record.id, tenant_id=record.tenant_id)

    def _touch(self, record: ApiKeyRecord) -> None:
        """Track last use without a write per request: at most one per key per minute."""
        now = time.monotonic()
        if now - self._touched.get(record.id, float("-inf")) < TOUCH_EVERY_SECONDS:
            return
        self._touched[record.id] = now

        async def write() -> None:
            async with self.db.tenant(record.tenant_id) as conn:
                await repository.touch_api_key(conn, record.id)

        task = asyncio.create_task(write())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def tenant(self, ref: str) -> TenantInfo | None:
        info: TenantInfo | None = self.cache.tenants.get(ref) if self.cache.active else None
        if info is None:
            async with self.db.platform() as conn:
                info = await repository.tenant_info(conn, ref)
            if info is None or info.status == "deleted":
                return None
            if self.cache.active:
                self.cache.tenants.put(ref, info.id, info)
        return info

    async def grants(self, tenant_id: uuid.UUID, principal: Principal) -> Grants:
        if principal.tenant_id is not None and principal.tenant_id != tenant_id:
            return NO_GRANTS  # an API key works only in its own tenant
        key = (tenant_id, principal.id)
        grants: Grants | None = self.cache.grants.get(key) if self.cache.active else None
        if grants is None:
            async with self.db.tenant(tenant_id) as conn:
                bindings, custom = await repository.subject_bindings(conn, principal.id)
            grants = compute_grants(bindings, custom)
            if self.cache.active:
                self.cache.grants.put(key, tenant_id, grants)
        return grants

    async def namespace(self, tenant_id: uuid.UUID, name: str) -> uuid.UUID | None:
        key = (tenant_id, name)
        found: uuid.UUID | None = self.cache.namespaces.get(key) if self.cache.active else None
        if found is None:
            async with self.db.tenant(tenant_id) as conn:
                found = await repository.namespace_id(conn, name)
            if found is not None and self.cache.active:
                self.cache.namespaces.put(key, tenant_id, found)
        return found

    async def check(self, connection: ASGIConnection[Any, Any, Any, Any], permission: str) -> TenantAccess:
        principal = await self.authenticate(connection)
        ref = connection.path_params["tenant"]
        tenant = await self.tenant(ref)
        grants = await self.grants(tenant.id, principal) if tenant is not None else NO_GRANTS
        if tenant is None or grants.empty:
            raise NotFound(f"no tenant {ref!r}")
        if tenant.status == "suspended":
            raise Forbidden(f"tenant {tenant.slug} is suspended; contact the platform operator")
        namespace_id = None
        namespace_name = connection.path_params.get("namespace")
        if namespace_name is not None:
            namespace_id = await self.namespace(tenant.id, namespace_name)
            if namespace_id is None or not grants.sees_namespace(namespace_id):
                raise NotFound(f"no namespace {namespace_name!r} in tenant {tenant.slug}")
        if not grants.allows(permission, namespace_id):
            if _method(connection) not in SAFE_METHODS:
                await self._record_denial(connection, tenant.id, principal, permission)
            raise Forbidden(f"this needs the {permission!r} permission, which your roles do not grant here")
        await self.enforce_rate_limits(tenant.id, principal)
        return TenantAccess(principal=principal, tenant=tenant, grants=grants, namespace_id=namespace_id)

    async def enforce_rate_limits(self, tenant_id: uuid.UUID, principal: Principal) -> None:
        """Per tenant, and per API key; counted only for authorized calls, so outsiders cannot
        spend a tenant's budget."""
        settings = self.settings
        limits = [Limit(f"{tenant_id}", settings.rate_limit_tenant_per_second, settings.rate_limit_tenant_burst)]
        if principal.kind == "api_key":
            limits.append(
                Limit(
                    f"{tenant_id}:apikey:{principal.id}",
                    settings.rate_limit_api_key_per_second,
                    settings.rate_limit_api_key_burst,
                )
            )
        decision = await self.limiter.hit_all(limits)
        if not decision.allowed:
            raise RateLimited(decision.retry_after_seconds)

    async def _record_denial(
        self,
        connection: ASGIConnection[Any, Any, Any, Any],
        tenant_id: uuid.UUID,
        principal: Principal,
        permission: str,
    ) -> None:
        """A member's refused attempt to change something is itself worth an audit event."""
        context = AuditContext(
            actor=principal.actor,
            request_id=request_id_var.get(),
            client_ip=connection.client.host if connection.client else None,
        )
        entry = AuditEntry(
            tenant_id,
            "access.denied",
            "route",
            f"{_method(connection)} {connection.url.path}",
            None,
            {"permission": permission},
            result="denied",
        )
        async with self.db.tenant(tenant_id) as conn:
            await audit.record(conn, context, entry)


def _method(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    method: str = connection.scope.get("method", "GET")  # type: ignore[assignment]
    return method
