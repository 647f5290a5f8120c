"""Database access: one way to run a unit of work as a tenant, one way to run as the platform.

Every unit of work is one transaction on the application role (no BYPASSRLS). The scope is
set with `SET LOCAL` in the same round trip as `BEGIN`, so row-level security sees it for the
whole transaction and it cannot leak to the next user of the pooled connection.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
import msgspec

Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
"""What repositories receive: a connection, or the pool's proxy of one."""


async def _init_connection(conn: Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            schema="pg_catalog",
            encoder=lambda value: msgspec.json.encode(value).decode(),
            decoder=msgspec.json.decode,
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's default `RESET ALL; UNLISTEN *; ...` round trip.

    Units of work change no session state (scope is SET LOCAL, gone at COMMIT/ROLLBACK), and
    asyncpg still rolls back any transaction left open before this runs.
    """


async def create_pool(url: str, *, min_size: int, max_size: int) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=30,
        server_settings={"application_name": "fluxforge"},
    )
    assert pool is not None
    return pool


class Database:
    """The request-path pool and the two ways to open a unit of work on it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def tenant(self, tenant_id: uuid.UUID, *, then: str = "") -> AsyncIterator[Connection]:
        """A transaction that row-level security confines to one tenant's rows.

        `then`: statements without parameters that open the unit of work in the same round trip
        (say, taking a lock), for hot paths where a round trip costs more than the work.
        """
        if not isinstance(tenant_id, uuid.UUID):
            raise TypeError("tenant_id must be a UUID")
        async with self._unit_of_work(f"SET LOCAL app.tenant_id = '{tenant_id}'; {then}") as conn:
            yield conn

    @asynccontextmanager
    async def platform(self) -> AsyncIterator[Connection]:
        """A transaction for platform operations (tenant provisioning) that span tenants."""
        async with self._unit_of_work("SET LOCAL app.platform = 'on'") as conn:
            yield conn

    @asynccontextmanager
    async def _unit_of_work(self, scope_statement: str) -> AsyncIterator[Connection]:
        async with self.pool.acquire() as conn:
            await conn.execute(f"BEGIN; {scope_statement}")
            try:
                yield conn
            except BaseException:
                # If ROLLBACK cannot run (a cancelled query), the pool's reset on release
                # rolls back or discards the connection; nothing half-done is committed.
                with suppress(Exception):
                    await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def fetchval(self, query: str, *args: Any) -> Any:
        """A single read outside any tenant scope (health checks, catalog reads)."""
        async with self.pool.acquire() as conn:
            return await conn.fetchval(query, *args)

    async def close(self) -> None:
        await self.pool.close()
