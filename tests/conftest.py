"""Test servers and databases: real PostgreSQL and Redis, never mocks.

The servers named by FLUXFORGE_TEST_DATABASE_URL / FLUXFORGE_TEST_REDIS_URL are used when set;
otherwise the session starts embedded ones. Each run creates its own database and Redis key
prefix so runs never see each other's data.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from fluxforge.app import create_app
from fluxforge.config import Settings, load_settings, with_database
from fluxforge.db import Database, create_pool
from fluxforge.identity.tokens import TokenService
from fluxforge.migrations import migrate
from fluxforge.runtime.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.support import Client, SignedInUser, TenantOwner, Tenants, make_tenant, sign_up

ADMIN_TOKEN = "ffadm_test_" + secrets.token_urlsafe(24)


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fluxforge-test-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def server_url(data_dir: Path) -> Iterator[str]:
    """A PostgreSQL server URL with a superuser (to create databases and roles)."""
    configured = os.environ.get("FLUXFORGE_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    server = EmbeddedPostgres(data_dir / "embedded")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(data_dir: Path) -> Iterator[str]:
    configured = os.environ.get("FLUXFORGE_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    server = EmbeddedRedis(data_dir / "embedded")
    try:
        yield server.start()
    finally:
        server.stop()


async def create_database(server_url: str, prefix: str = "fluxforge_test") -> str:
    name = f"{prefix}_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """The owner URL of this run's migrated database."""
    url = await create_database(server_url)
    try:
        await migrate(url, Settings().migrations_dir)
        yield url
    finally:
        await drop_database(server_url, url)


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str, data_dir: Path) -> Settings:
    base = load_settings({})
    return msgspec.structs.replace(
        base,
        database_url=database_url,
        redis_url=redis_url,
        redis_key_prefix=f"fftest{secrets.token_hex(4)}:",
        admin_token=ADMIN_TOKEN,
        data_dir=str(data_dir / "data"),
        readiness_interval=0.5,
    )


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(settings), timeout=30) as test_client:
        yield test_client


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="session")
async def owner_conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the owner/superuser, to look behind the API's back."""
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def app_db(settings: Settings) -> AsyncIterator[Database]:
    """The request-path pool (application role, row-level security applies)."""
    pool = await create_pool(settings.resolved_app_database_url(), min_size=1, max_size=4)
    try:
        yield Database(pool)
    finally:
        await pool.close()


_TOKENS: list[TokenService] = []


@pytest.fixture(scope="session", autouse=True)
async def _token_service(app_db: Database, settings: Settings) -> TokenService:
    """Mints access tokens for test users with the app's keys (kept in PostgreSQL).

    Its own pool on the tests' event loop: the app under AsyncTestClient runs on another thread's
    loop, and sharing its asyncpg pool across loops corrupts memory.
    """
    tokens = TokenService(
        app_db, settings.base_url, settings.access_token_ttl_seconds, timedelta(days=settings.signing_key_rotation_days)
    )
    await tokens.start()
    _TOKENS[:] = [tokens]
    return tokens


async def make_user(client: Client, owner_conn: asyncpg.Connection, email: str | None = None) -> SignedInUser:
    """A signed-in person (the `tenants` fixture does this and more in one place)."""
    del client  # the app verifies with the same keys; see _token_service
    return await sign_up(owner_conn, _TOKENS[0], email)


@pytest.fixture
async def user(client: Client, owner_conn: asyncpg.Connection) -> SignedInUser:
    return await make_user(client, owner_conn)


@pytest.fixture
async def tenant_owner(client: Client, user: SignedInUser) -> TenantOwner:
    """A fresh tenant's slug and its owner's Authorization headers."""
    return await make_tenant(client, user), user.headers


@pytest.fixture
def tenants(client: Client, owner_conn: asyncpg.Connection, _token_service: TokenService) -> Tenants:
    """Makes tenants, their owners and members with a given role, through the API."""
    return Tenants(client, owner_conn, _token_service)


from tests.peers.oidc import oidc_peer  # noqa: E402, F401 - the real OIDC provider fixture
