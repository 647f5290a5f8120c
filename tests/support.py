"""Types and helpers the tests share (fixtures stay in conftest.py files)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from fluxforge.identity.tokens import TokenService

Client = AsyncTestClient[Litestar]
"""The in-process client of the FluxForge app that the `client` fixtures yield."""

TenantOwner = tuple[str, dict[str, str]]
"""What the `tenant_owner` fixture gives: a fresh tenant's slug and its owner's Authorization headers."""


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


class SignedInUser:
    """A person known to FluxForge, with a valid access token."""

    def __init__(self, user_id: uuid.UUID, email: str, token: str) -> None:
        self.id = user_id
        self.email = email
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up(owner_conn: asyncpg.Connection, tokens: TokenService, email: str | None = None) -> SignedInUser:
    """Insert a user as sign-in would and mint an access token signed with the app's keys."""
    user_id = uuid.uuid4()
    email = email or f"user-{user_id.hex[:10]}@example.test"
    await owner_conn.execute(
        "INSERT INTO users (id, email, display_name) VALUES ($1, $2, $3)", user_id, email, email.split("@")[0]
    )
    token, _ = await tokens.issue(user_id)
    return SignedInUser(user_id, email, token)


async def make_tenant(client: Client, owner: SignedInUser) -> str:
    slug = unique_slug("tn")
    response = await client.post("/v1/tenants", json={"slug": slug, "display_name": "Team"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return slug


@dataclass(frozen=True)
class OwnedTenant:
    """A tenant made through the API, and the person who made it (its owner)."""

    slug: str
    owner: SignedInUser


@dataclass(frozen=True)
class ApiKey:
    """An API key of a tenant, with the secret shown only when it was created."""

    id: str
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


class Tenants:
    """Builds the tenants and people a test needs the way people do: through the API.

    The one place for the steps that tests otherwise repeat (sign up, create a tenant, invite a
    member with a role and have them accept, mint an API key); each step asserts it succeeded, so
    a broken step fails where it happens, not in the test's first request.
    """

    def __init__(self, client: Client, owner_conn: asyncpg.Connection, tokens: TokenService) -> None:
        self.client = client
        self.owner_conn = owner_conn
        self.tokens = tokens

    async def user(self, email: str | None = None) -> SignedInUser:
        """A signed-in person who belongs to no tenant yet."""
        return await sign_up(self.owner_conn, self.tokens, email)

    async def create(self, owner: SignedInUser | None = None) -> OwnedTenant:
        """A new tenant owned by `owner` (a new person when not given)."""
        owner = owner or await self.user()
        return OwnedTenant(await make_tenant(self.client, owner), owner)

    async def member(self, tenant: OwnedTenant, role: str, namespace: str | None = None) -> SignedInUser:
        """A new person holding `role` in the tenant (or only in `namespace`), by invitation."""
        member = await self.user()
        body: dict[str, Any] = {"email": member.email, "role": role}
        if namespace:
            body["namespace"] = namespace
        invited = await self.client.post(
            f"/v1/tenants/{tenant.slug}/invitations", json=body, headers=tenant.owner.headers
        )
        assert invited.status_code == 201, invited.text
        accepted = await self.client.post(
            "/v1/invitations/accept", json={"token": invited.json()["token"]}, headers=member.headers
        )
        assert accepted.status_code == 200, accepted.text
        return member

    async def api_key(self, tenant: OwnedTenant, role: str, name: str = "ci") -> ApiKey:
        """A tenant-wide API key holding `role`, minted by the owner."""
        created = await self.client.post(
            f"/v1/tenants/{tenant.slug}/api-keys", json={"name": name, "role": role}, headers=tenant.owner.headers
        )
        assert created.status_code == 201, created.text
        key = created.json()
        return ApiKey(str(key["id"]), str(key["secret"]))
