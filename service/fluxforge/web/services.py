"""The process's services, typed once: what handlers and guards reach instead of `app.state`.

Built by the app factory when the app starts (connections open in its lifespan) and handed to
handlers by dependency injection (`services: Services`), so every seam is typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar, Request
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from redis.asyncio import Redis

from fluxforge.config import Settings
from fluxforge.db import Database
from fluxforge.identity.oidc import OidcProviders
from fluxforge.identity.tokens import TokenService
from fluxforge.ops.readiness import Readiness
from fluxforge.web.access_control import AccessControl


@dataclass(frozen=True, slots=True)
class AppServices:
    settings: Settings
    admin_token: str
    db: Database
    redis: Redis
    tokens: TokenService
    access: AccessControl
    oidc: OidcProviders
    readiness: Readiness


Services = NamedDependency[SkipValidation[AppServices]]
"""A handler's `services` parameter: injected by name, not validated (it is built by the app)."""

SERVICES_KEY = "services"


def services_of(app: Litestar) -> AppServices:
    """The one place that reads the services off the app's state."""
    found: AppServices = app.state[SERVICES_KEY]
    return found


async def provide_services(request: Request[Any, Any, Any]) -> AppServices:
    """The `services` dependency of every handler.

    Async, and taking the request rather than `state: State`: a plain def would run in a thread
    pool, and Litestar builds a new State for every request that asks for one (measured in
    process: about 4 us less per request than the `state: State` parameter handlers had before).
    """
    return services_of(request.app)
