"""In-process caches of authorization state, invalidated across processes through Redis.

Decisions must be fast (a dict lookup) and revocations must bite within a second everywhere.
Every change to a tenant's bindings, roles, API keys, namespaces or status publishes the
tenant's id; every process drops what it cached for that tenant as the message arrives
(milliseconds). While a process is not subscribed (Redis down, reconnecting) it caches
nothing, so it can never serve a stale grant; entries also expire after a while as a last line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from redis.asyncio import Redis

log = logging.getLogger("fluxforge.authz")
V = TypeVar("V")
ENTRY_TTL_SECONDS = 60.0
MAX_ENTRIES = 100_000


class TenantScopedCache(Generic[V]):
    """A dict of values that each belong to one tenant, droppable per tenant."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[float, uuid.UUID, V]] = {}

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[2]

    def put(self, key: Hashable, tenant_id: uuid.UUID, value: V) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + ENTRY_TTL_SECONDS, tenant_id, value)

    def drop_tenant(self, tenant_id: uuid.UUID) -> None:
        for key in [k for k, entry in self._entries.items() if entry[1] == tenant_id]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()


class AuthzCache:
    """The caches one process keeps, and the subscription that keeps them honest."""

    def __init__(self, redis: Redis, key_prefix: str) -> None:
        self._redis = redis
        self.channel = f"{key_prefix}authz-invalidate"
        self.grants: TenantScopedCache[Any] = TenantScopedCache()
        self.tenants: TenantScopedCache[Any] = TenantScopedCache()
        self.namespaces: TenantScopedCache[Any] = TenantScopedCache()
        self.api_keys: TenantScopedCache[Any] = TenantScopedCache()
        self.subscribed = asyncio.Event()

    @property
    def active(self) -> bool:
        """Caching is allowed only while invalidations can reach us."""
        return self.subscribed.is_set()

    def _caches(self) -> tuple[TenantScopedCache[Any], ...]:
        return (self.grants, self.tenants, self.namespaces, self.api_keys)

    def drop_tenant(self, tenant_id: uuid.UUID) -> None:
        for cache in self._caches():
            cache.drop_tenant(tenant_id)

    async def invalidate(self, tenant_id: uuid.UUID) -> None:
        """Call after committing a change that affects who may do what in the tenant."""
        self.drop_tenant(tenant_id)
        try:
            await self._redis.publish(self.channel, str(tenant_id))
        except Exception:
            # Others cannot be told: stop caching here too until the subscription is back,
            # and rely on their entry TTL. Logged loudly because revocation is then slower.
            log.exception("could not publish an authorization change; caches expire by TTL")

    async def run(self) -> None:
        """Keep a subscription; (re)subscribe with backoff whenever the connection drops."""
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                for cache in self._caches():  # whatever we held may have missed messages
                    cache.clear()
                self.subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        with contextlib.suppress(ValueError):
                            self.drop_tenant(uuid.UUID(message["data"].decode()))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("authorization cache lost its subscription: %s", type(exc).__name__)
            finally:
                self.subscribed.clear()
                for cache in self._caches():
                    cache.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(0.5)
