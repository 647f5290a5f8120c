"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, Server
from litestar.plugins.prometheus import PrometheusConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.asyncio import BlockingConnectionPool, Redis

from fluxforge import __version__
from fluxforge.audit.controller import AuditEventController
from fluxforge.billing.catalog.controller import CatalogController, PlanAdminController, SubscriptionController
from fluxforge.billing.invoices.controller import InvoiceAdminController, InvoiceController
from fluxforge.billing.invoices.webhooks import StripeWebhookController
from fluxforge.config import Settings
from fluxforge.db import Database, create_pool
from fluxforge.identity.admin_token import resolve_admin_token
from fluxforge.identity.controller import AuthController
from fluxforge.identity.oidc import OidcProviders
from fluxforge.identity.tokens import TokenService
from fluxforge.metering.controller import MeterAdminController, MeterController, UsageController
from fluxforge.metering.selfmeter import SelfMeter, self_metering_middleware
from fluxforge.ops.controller import OpsController
from fluxforge.ops.readiness import Readiness
from fluxforge.ratelimit import RateLimiter
from fluxforge.rbac.cache import AuthzCache
from fluxforge.rbac.controller import ApiKeyController, RoleBindingController, RoleController
from fluxforge.runs.controller import RunController
from fluxforge.scheduler.controller import SchedulerAdminController
from fluxforge.telemetry import configure_tracing, request_id_var
from fluxforge.tenancy.controller import (
    InvitationAcceptController,
    InvitationController,
    MemberController,
    NamespaceController,
    TenantAdminController,
    TenantController,
)
from fluxforge.web.access_control import AccessControl
from fluxforge.web.contract import document_contract, openapi_tags, security_schemes
from fluxforge.web.problems import EXCEPTION_HANDLERS
from fluxforge.web.services import SERVICES_KEY, AppServices, provide_services
from fluxforge.workflows.controller import WorkflowController

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Take the caller's X-Request-Id when well-formed, else mint one; echo it on the response."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)

    return middleware


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="FluxForge API",
        version=__version__,
        description="Multi-tenant control plane. Errors are RFC 9457 problem+json.",
        servers=[Server(url="/")],
        components=Components(security_schemes=security_schemes()),
        tags=openapi_tags(),
        use_handler_docstrings=False,
        path="/openapi",
    )


def create_app(settings: Settings) -> Litestar:
    """Build the app; connections open in the lifespan, so creating it does no I/O."""
    admin_token = resolve_admin_token(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = await create_pool(
            settings.resolved_app_database_url(), min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        assert settings.redis_url is not None
        # Blocking pool: under load a command waits briefly for a free connection instead of
        # failing at once (redis-py's default pool raises when all its connections are busy).
        redis = Redis(
            connection_pool=BlockingConnectionPool.from_url(
                settings.redis_url, max_connections=64, timeout=2, socket_timeout=2, socket_connect_timeout=2
            )
        )
        db = Database(pool)
        readiness = Readiness(db, redis, settings.migrations_dir, settings.readiness_interval)
        tokens = TokenService(
            db, settings.base_url, settings.access_token_ttl_seconds, timedelta(days=settings.signing_key_rotation_days)
        )
        await tokens.start()
        # Subscriptions idle for long: their own client, without the command socket timeout.
        subscriber: Redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2, health_check_interval=15)
        authz_cache = AuthzCache(subscriber, settings.redis_key_prefix)
        limiter = RateLimiter(redis, settings.redis_key_prefix)
        access_control = AccessControl(db, tokens, authz_cache, limiter, settings)
        oidc = OidcProviders(settings.providers())
        services = AppServices(
            settings=settings,
            admin_token=admin_token,
            db=db,
            redis=redis,
            tokens=tokens,
            access=access_control,
            oidc=oidc,
            readiness=readiness,
        )
        app.state[SERVICES_KEY] = services
        self_meter = SelfMeter(db) if settings.self_metering else None
        if self_meter is not None:
            self_meter.start()
        await readiness.check_once()
        background = [
            asyncio.create_task(readiness.run(), name="readiness"),
            asyncio.create_task(authz_cache.run(), name="authz-invalidation"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(authz_cache.subscribed.wait(), 2)
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self_meter is not None:
                await self_meter.stop()  # flushes what the last requests recorded
            await subscriber.aclose()
            await oidc.aclose()
            await redis.aclose()
            await db.close()

    plugins: list[Any] = []
    middleware: list[Any] = []
    if configure_tracing(settings, "fluxforge-api"):
        from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

        plugins.append(OpenTelemetryPlugin(OpenTelemetryConfig()))
    prometheus = PrometheusConfig(app_name="fluxforge", prefix="fluxforge", group_path=True, exclude=["^/metrics$"])
    middleware.append(prometheus.middleware)
    if settings.self_metering:
        middleware.append(self_metering_middleware)

    app = Litestar(
        route_handlers=[
            OpsController,
            TenantAdminController,
            TenantController,
            NamespaceController,
            MemberController,
            InvitationController,
            InvitationAcceptController,
            RoleController,
            RoleBindingController,
            ApiKeyController,
            AuthController,
            AuditEventController,
            MeterAdminController,
            MeterController,
            UsageController,
            WorkflowController,
            RunController,
            SchedulerAdminController,
            PlanAdminController,
            CatalogController,
            SubscriptionController,
            InvoiceController,
            InvoiceAdminController,
            StripeWebhookController,
        ],
        lifespan=[lifespan],
        middleware=middleware,
        plugins=plugins,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,  # fluxforge.telemetry owns logging: JSON lines, secrets redacted
        dependencies={"services": Provide(provide_services)},
    )
    document_contract(app)
    # Outermost, so that unknown routes and errors raised before routing carry the id too.
    app.asgi_handler = request_id_middleware(app.asgi_handler)
    return app
