"""Signing in through a real OpenID Connect provider (oidc-provider on loopback, tests/peers/oidc),
then FluxForge's own sessions: rotation, reuse detection, logout, and each refusal, against real
PostgreSQL and Redis. The provider's sign-in and consent forms are posted as a browser would."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

import asyncpg
import httpx
import msgspec
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from fluxforge.app import create_app
from fluxforge.config import Settings
from fluxforge.credentials import secret_hash
from fluxforge.db import Database
from fluxforge.errors import BadRequest
from fluxforge.identity import repository
from fluxforge.identity.sessions import login_state_key, safe_return_to
from fluxforge.identity.tokens import TokenService
from tests.peers.oidc import PROVIDER, TEST_PUBLIC_URL, OidcPeer, browse_provider, providers_setting
from tests.support import Client

PROBLEM = "application/problem+json"
CALLBACK = f"{TEST_PUBLIC_URL}/v1/auth/callback/"
OTHER = "other"  # a second provider entry: same issuer, its own (dynamically registered) client


@pytest.fixture(scope="module")
def auth_settings(settings: Settings, oidc_peer: OidcPeer) -> Settings:
    other_id, other_secret = oidc_peer.register_client([CALLBACK + OTHER])
    providers = providers_setting(
        oidc_peer.provider(PROVIDER),
        oidc_peer.provider(OTHER, client_id=other_id, client_secret=other_secret),
        {"name": "down", "issuer": "http://127.0.0.1:1", "client_id": "unreachable", "client_secret": "unused"},
    )
    return msgspec.structs.replace(settings, oidc_providers=providers, public_url=TEST_PUBLIC_URL)


@pytest.fixture(scope="module")
async def auth(auth_settings: Settings) -> AsyncIterator[Client]:
    """An app with the loopback provider configured, reached at TEST_PUBLIC_URL."""
    async with AsyncTestClient(create_app(auth_settings), base_url=TEST_PUBLIC_URL, timeout=30) as test_client:
        test_client.follow_redirects = False  # redirects lead to the provider: tests follow them there
        yield test_client


@pytest.fixture(scope="module")
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url is not None
    connection: Redis = Redis.from_url(settings.redis_url)
    yield connection
    await connection.aclose()


def new_login() -> str:
    return f"user-{secrets.token_hex(5)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str | None) -> str:
    """The path and query of `url`, with parameters changed (None removes one)."""
    query: dict[str, str | None] = {**query_of(url), **changes}
    return urlsplit(url).path + "?" + urlencode({k: v for k, v in query.items() if v is not None})


def problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://fluxforge.dev/problems/{kind}", body
    return body


async def start(auth: Client, provider: str = PROVIDER, **params: str) -> str:
    """GET /v1/auth/login/...: the provider's authorization URL it redirects to."""
    response = await auth.get(f"/v1/auth/login/{provider}", params=params)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def provider_callback(auth: Client, login: str, provider: str = PROVIDER, **params: str) -> str:
    """Start a sign-in and go through the provider's forms: the callback URL it redirects back to."""
    return await browse_provider(await start(auth, provider, **params), login=login, until=CALLBACK + provider)


async def finish(auth: Client, callback_url: str) -> httpx.Response:
    parts = urlsplit(callback_url)
    return await auth.get(f"{parts.path}?{parts.query}")


def login_code(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith("/auth/complete?"), location
    return query_of(location)["code"]


async def exchange(auth: Client, code: str) -> httpx.Response:
    return await auth.post("/v1/auth/token", json={"grant_type": "login_code", "code": code})


async def refresh(auth: Client, refresh_token: str) -> httpx.Response:
    return await auth.post("/v1/auth/token", json={"grant_type": "refresh_token", "refresh_token": refresh_token})


async def sign_in(auth: Client, login: str, provider: str = PROVIDER) -> dict[str, Any]:
    """The whole browser flow: FluxForge's first tokens for `login`."""
    code = login_code(await finish(auth, await provider_callback(auth, login, provider)))
    response = await exchange(auth, code)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def me(auth: Client, tokens: dict[str, Any]) -> dict[str, Any]:
    response = await auth.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_code_flow_signs_in_and_creates_the_user_once(
    auth: Client,
    redis: Redis,
    owner_conn: asyncpg.Connection,
    auth_settings: Settings,
    oidc_peer: OidcPeer,
) -> None:
    login = new_login()
    response = await auth.get(f"/v1/auth/login/{PROVIDER}")
    assert response.status_code == 302, response.text
    assert response.headers["cache-control"] == "no-store"
    authorize = response.headers["location"]
    assert authorize.startswith(oidc_peer.issuer + "/auth?")
    request = query_of(authorize)
    assert request["response_type"] == "code"
    assert request["client_id"] == oidc_peer.client_id
    assert request["redirect_uri"] == CALLBACK + PROVIDER
    assert request["scope"] == "openid email profile"
    assert request["code_challenge_method"] == "S256"
    assert len(request["state"]) >= 43
    assert len(request["nonce"]) >= 43

    # The verifier stays on the server, under the hash of the state, for login_ttl_seconds.
    key = login_state_key(auth_settings.redis_key_prefix, request["state"])
    pending = msgspec.json.decode(cast(bytes, await redis.get(key)))
    assert pending["nonce"] == request["nonce"]
    assert pending["code_verifier"] not in authorize
    challenge = base64.urlsafe_b64encode(hashlib.sha256(pending["code_verifier"].encode()).digest()).rstrip(b"=")
    assert request["code_challenge"] == challenge.decode()
    assert 0 < await redis.ttl(key) <= auth_settings.login_ttl_seconds

    callback = await browse_provider(authorize, login=login, until=CALLBACK + PROVIDER)
    assert query_of(callback)["iss"] == oidc_peer.issuer
    done = await finish(auth, callback)
    assert done.headers["cache-control"] == "no-store"
    code = login_code(done)
    assert await redis.exists(key) == 0  # the state is spent

    response = await exchange(auth, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == auth_settings.access_token_ttl_seconds
    assert tokens["refresh_token"].startswith("ffrt_")

    user = await me(auth, tokens)
    assert user["email"] == f"{login}@example.test"
    assert user["display_name"] == f"Test user {login}"
    [identity] = user["identities"]
    assert identity["provider"] == PROVIDER
    assert identity["issuer"] == oidc_peer.issuer
    assert identity["subject"] == login
    assert identity["email"] == f"{login}@example.test"

    again = await me(auth, await sign_in(auth, login))
    assert again["id"] == user["id"]
    assert again["identities"][0]["last_login_at"] > identity["last_login_at"]
    users = await owner_conn.fetchval(
        "SELECT count(DISTINCT user_id) FROM user_identities WHERE issuer = $1 AND subject = $2",
        oidc_peer.issuer,
        login,
    )
    assert users == 1
    stored = await owner_conn.fetchval(
        "SELECT count(*) FROM refresh_tokens WHERE token_hash = $1", secret_hash(tokens["refresh_token"])
    )
    assert stored == 1  # kept as its SHA-256 only


async def test_several_providers_each_by_name(auth: Client) -> None:
    login = new_login()
    first = await me(auth, await sign_in(auth, login, PROVIDER))
    second = await me(auth, await sign_in(auth, login, OTHER))
    assert second["id"] == first["id"]  # the same (issuer, subject): the same user

    # A state started for one provider is refused at another's callback.
    callback = await provider_callback(auth, login, OTHER)
    swapped = callback.replace(CALLBACK + OTHER, CALLBACK + PROVIDER)
    problem(await finish(auth, swapped), 400, "invalid-login-state")


async def test_missing_tampered_expired_and_replayed_state_is_refused(
    auth: Client,
    redis: Redis,
    auth_settings: Settings,
) -> None:
    callback = await provider_callback(auth, new_login())
    state = query_of(callback)["state"]
    tampered = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
    body = problem(await auth.get(with_query(callback, state=tampered)), 400, "invalid-login-state")
    assert "start the sign-in again" in body["detail"]
    problem(await auth.get(with_query(callback, state=None)), 400, "invalid-login-state")

    assert (await finish(auth, callback)).status_code == 302  # a forged state did not burn the real one
    problem(await finish(auth, callback), 400, "invalid-login-state")  # replayed

    expiring = await provider_callback(auth, new_login())
    key = login_state_key(auth_settings.redis_key_prefix, query_of(expiring)["state"])
    assert await redis.pexpire(key, 1)
    await asyncio.sleep(0.05)
    problem(await finish(auth, expiring), 400, "invalid-login-state")


async def test_replayed_authorization_code_is_refused(
    auth: Client,
    redis: Redis,
    auth_settings: Settings,
) -> None:
    callback = await provider_callback(auth, new_login())
    key = login_state_key(auth_settings.redis_key_prefix, query_of(callback)["state"])
    pending = cast(bytes, await redis.get(key))
    assert (await finish(auth, callback)).status_code == 302

    # Put the spent state back, so that only the authorization code is replayed: the provider refuses it.
    await redis.set(key, pending, ex=60)
    body = problem(await finish(auth, callback), 400, "sign-in-refused")
    assert "invalid_grant" in body["detail"]


async def test_id_token_with_another_nonce_is_refused(
    auth: Client,
    redis: Redis,
    owner_conn: asyncpg.Connection,
    auth_settings: Settings,
    oidc_peer: OidcPeer,
) -> None:
    login = new_login()
    callback = await provider_callback(auth, login)
    key = login_state_key(auth_settings.redis_key_prefix, query_of(callback)["state"])
    pending = msgspec.json.decode(cast(bytes, await redis.get(key)))
    pending["nonce"] = secrets.token_urlsafe(32)
    await redis.set(key, msgspec.json.encode(pending), keepttl=True)

    body = problem(await finish(auth, callback), 400, "invalid-id-token")
    assert "nonce" in body["detail"]
    known = await owner_conn.fetchval(
        "SELECT count(*) FROM user_identities WHERE issuer = $1 AND subject = $2", oidc_peer.issuer, login
    )
    assert known == 0


async def test_provider_error_is_a_clear_refusal(auth: Client) -> None:
    authorize = await start(auth)
    callback = await browse_provider(authorize, login=new_login(), until=CALLBACK + PROVIDER, cancel=True)
    assert query_of(callback)["error"] == "access_denied"
    body = problem(await finish(auth, callback), 400, "sign-in-refused")
    assert "access_denied" in body["detail"]
    # The state went with it.
    problem(await auth.get(with_query(callback, error=None, code="x")), 400, "invalid-login-state")

    odd = await auth.get(f"/v1/auth/callback/{PROVIDER}?error=%3Cscript%3E&state=x")
    assert "<script>" not in problem(odd, 400, "sign-in-refused")["detail"]


async def test_unknown_and_unreachable_providers(
    auth: Client,
    client: Client,
) -> None:
    for app_client in (auth, client):
        for path in ("/v1/auth/login/nope", "/v1/auth/callback/nope?state=x&code=y"):
            body = problem(await app_client.get(path), 404, "not-found")
            assert "'nope'" in body["detail"]
    assert "none configured" in (await client.get("/v1/auth/login/nope")).json()["detail"]
    body = problem(await auth.get("/v1/auth/login/down"), 502, "identity-provider-unavailable")
    assert "down" in body["detail"]


async def test_return_to_stays_on_this_site(auth: Client) -> None:
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "home", "/a b"):
        problem(await auth.get(f"/v1/auth/login/{PROVIDER}", params={"return_to": bad}), 400, "bad-request")
    done = await finish(auth, await provider_callback(auth, new_login(), return_to="/dashboard?tab=runs"))
    assert query_of(done.headers["location"])["return_to"] == "/dashboard?tab=runs"


def test_safe_return_to() -> None:
    assert safe_return_to(None) is None
    assert safe_return_to("") is None
    assert safe_return_to("/") == "/"
    assert safe_return_to("/a/b?c=d#e") == "/a/b?c=d#e"
    for bad in ("//x", "/\\x", "http://x/", "x", "/\tx", "/" + "a" * 600, "/\u2028"):
        with pytest.raises(BadRequest):
            safe_return_to(bad)


async def test_login_code_is_single_use(auth: Client) -> None:
    code = login_code(await finish(auth, await provider_callback(auth, new_login())))
    assert (await exchange(auth, code)).status_code == 200
    replay = await exchange(auth, code)
    body = problem(replay, 401, "invalid-grant")
    assert "already used" in body["detail"]
    assert replay.headers["www-authenticate"].startswith("Bearer")
    problem(await exchange(auth, "made-up"), 401, "invalid-grant")


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    auth: Client,
    owner_conn: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tokens = await sign_in(auth, new_login())
    first = tokens["refresh_token"]
    response = await refresh(auth, first)
    assert response.status_code == 200, response.text
    child = response.json()
    assert child["refresh_token"] != first
    await me(auth, child)
    grandchild = (await refresh(auth, child["refresh_token"])).json()

    with caplog.at_level(logging.WARNING, logger="fluxforge.identity"):
        body = problem(await refresh(auth, first), 401, "invalid-grant")  # spent: someone else has it too
    assert "already used" in body["detail"]
    body = problem(await refresh(auth, grandchild["refresh_token"]), 401, "invalid-grant")  # the live one died with it
    assert "revoked" in body["detail"]

    family = await owner_conn.fetch(
        """
        SELECT revoked_at FROM refresh_tokens
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)
        """,
        secret_hash(first),
    )
    assert len(family) == 3
    assert all(row["revoked_at"] is not None for row in family)

    [reuse] = [r for r in caplog.records if getattr(r, "event", None) == "auth.refresh_reuse"]
    assert str(reuse.__dict__["user_id"]) == (await me(auth, grandchild))["id"]
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in (first, child["refresh_token"], grandchild["refresh_token"], tokens["access_token"]):
        assert secret not in logged


async def test_simultaneous_use_of_one_refresh_token_mints_one_child(
    auth: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    presented = (await sign_in(auth, new_login()))["refresh_token"]
    responses = await asyncio.gather(*(refresh(auth, presented) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] + [401] * 7
    children = await owner_conn.fetchval(
        """
        SELECT count(*) FROM refresh_tokens
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND token_hash <> $1
        """,
        secret_hash(presented),
    )
    assert children == 1


async def test_second_spender_waits_for_the_first_and_gets_nothing(auth: Client, app_db: Database) -> None:
    """The conditional UPDATE under a row lock, step by step: what makes double use mint one child."""
    digest = secret_hash((await sign_in(auth, new_login()))["refresh_token"])

    async def spend() -> tuple[uuid.UUID, uuid.UUID] | None:
        async with app_db.platform() as conn:
            return await repository.spend_refresh_token(conn, digest)

    async with app_db.platform() as first:
        assert await repository.spend_refresh_token(first, digest) is not None
        second = asyncio.create_task(spend())
        await asyncio.sleep(0.3)
        assert not second.done()  # blocked on the row until the first commits
    assert await second is None


async def test_logout_ends_the_session(auth: Client) -> None:
    tokens = await sign_in(auth, new_login())
    current = (await refresh(auth, tokens["refresh_token"])).json()["refresh_token"]
    # Any token of the session ends it, also an already rotated one.
    logout = await auth.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert logout.status_code == 204
    body = problem(await refresh(auth, current), 401, "invalid-grant")
    assert "revoked" in body["detail"]
    assert (await auth.post("/v1/auth/logout", json={"refresh_token": current})).status_code == 204  # twice: fine
    assert (await auth.post("/v1/auth/logout", json={"refresh_token": "ffrt_unknown"})).status_code == 204
    problem(await auth.post("/v1/auth/logout", json={}), 400, "validation-error")


async def test_expired_forged_and_missing_access_tokens_are_refused(
    auth: Client,
    app_db: Database,
    auth_settings: Settings,
) -> None:
    user_id = uuid.UUID((await me(auth, await sign_in(auth, new_login())))["id"])
    short_lived = TokenService(
        app_db, auth_settings.base_url, 2, timedelta(days=auth_settings.signing_key_rotation_days)
    )
    await short_lived.start()
    token, ttl = await short_lived.issue(user_id)
    assert ttl == 2
    assert (await auth.get("/v1/me", headers=bearer(token))).status_code == 200
    await asyncio.sleep(3.1)
    expired = await auth.get("/v1/me", headers=bearer(token))
    assert "expired" in problem(expired, 401, "unauthorized")["detail"]
    assert expired.headers["www-authenticate"].startswith("Bearer")

    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    problem(await auth.get("/v1/me", headers=bearer(forged)), 401, "unauthorized")
    problem(await auth.get("/v1/me"), 401, "unauthorized")


async def test_disabled_user_cannot_sign_in_refresh_or_read_me(
    auth: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    login = new_login()
    tokens = await sign_in(auth, login)
    user_id = uuid.UUID((await me(auth, tokens))["id"])
    await owner_conn.execute("UPDATE users SET disabled_at = now() WHERE id = $1", user_id)
    problem(await refresh(auth, tokens["refresh_token"]), 401, "invalid-grant")
    problem(await auth.get("/v1/me", headers=bearer(tokens["access_token"])), 401, "unauthorized")
    problem(await finish(auth, await provider_callback(auth, login)), 403, "forbidden")


async def test_jwks_verifies_access_tokens(auth: Client, auth_settings: Settings) -> None:
    tokens = await sign_in(auth, new_login())
    user = await me(auth, tokens)
    response = await auth.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = KeySet.import_key_set(response.json())
    claims = jwt.decode(tokens["access_token"], keys, algorithms=["Ed25519"]).claims
    assert claims["sub"] == user["id"]
    assert claims["iss"] == auth_settings.base_url
    assert claims["aud"] == "fluxforge"


async def test_token_request_names_its_grant(auth: Client) -> None:
    for body in ({"grant_type": "password", "username": "x"}, {"code": "x"}, {"grant_type": "login_code"}):
        problem(await auth.post("/v1/auth/token", json=body), 400, "validation-error")


async def test_complete_page_trades_the_code_under_a_strict_policy(auth: Client) -> None:
    response = await auth.get("/auth/complete")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'sha256-" in policy
    assert "connect-src 'self'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "/v1/auth/token" in response.text
    assert "Signed in as" in response.text
