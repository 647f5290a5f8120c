"""FluxForge sessions: what happens between a provider saying who someone is and the API trusting them.

- A started sign-in keeps its `state`, `nonce` and PKCE verifier in Redis under the hash of
  `state`, for FLUXFORGE_LOGIN_TTL_SECONDS, and the callback takes it with GETDEL: single use,
  and the secrets never leave the server.
- A provider account, named by (issuer, subject), belongs to one user; its first sign-in creates
  that user. Accounts are never linked by email address: a provider that lets anyone claim any
  address would otherwise hand over someone else's user.
- The browser gets its tokens through a one-time login code (Redis, hashed, 60 s, single use)
  that the /auth/complete page trades at POST /v1/auth/token; see fluxforge.identity.controller.
- Access tokens are short-lived JWTs from fluxforge.identity.tokens. Refresh tokens are opaque
  random secrets kept only as SHA-256 hashes; each use spends one and mints its child in the
  same family. Presenting a spent token again means two parties hold it (one of them stole it),
  so the whole family is revoked and both must sign in again (OAuth 2.0 Security BCP 4.14).

Sign-ins, detected reuse and logouts are logged (JSON lines), not audited: audit rows belong to
a tenant and users are platform-level. Tokens, codes and secrets are never logged.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import msgspec
from redis.asyncio import Redis

from fluxforge.conventions import new_id
from fluxforge.credentials import new_secret, secret_hash
from fluxforge.db import Connection, Database
from fluxforge.errors import BadRequest, Forbidden
from fluxforge.identity import repository
from fluxforge.identity.errors import InvalidGrant
from fluxforge.identity.models import ExternalIdentity, LoginState, RefreshTokenRecord, TokenResponse
from fluxforge.identity.tokens import TokenService

log = logging.getLogger("fluxforge.identity")

LOGIN_CODE_TTL_SECONDS = 60
REFRESH_TOKEN_PREFIX = "ffrt_"  # noqa: S105 - a prefix that lets secret scanners spot leaked tokens
RETURN_TO_MAX_LENGTH = 512


# Pure helpers (no I/O).


def login_state_key(prefix: str, state: str) -> str:
    return f"{prefix}auth:login:{secret_hash(state).hex()}"


def login_code_key(prefix: str, code: str) -> str:
    return f"{prefix}auth:code:{secret_hash(code).hex()}"


def safe_return_to(value: str | None) -> str | None:
    """A return_to that can only lead back into this site: a relative path, never a URL.

    `//host/x` and `/\\host/x` are refused because browsers read both as another host.
    """
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if (
        len(value) > RETURN_TO_MAX_LENGTH
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or parts.scheme
        or parts.netloc
        or not value.isprintable()
        or any(c.isspace() for c in value)
    ):
        raise BadRequest("return_to must be a path on this site starting with a single '/', for example /dashboard")
    return value


class Refusal(msgspec.Struct, frozen=True):
    """Why a refresh token cannot be spent, and whether its family must be revoked."""

    detail: str
    reuse: bool = False


def refusal_for(record: RefreshTokenRecord | None) -> Refusal:
    """Judge a refresh token that the conditional spend did not accept."""
    if record is None:
        return Refusal("the refresh token is not known; sign in again")
    if record.revoked:
        return Refusal("the refresh token was revoked (logout or detected reuse); sign in again")
    if record.used:
        return Refusal(
            "the refresh token was already used; every token of its session is now revoked, sign in again",
            reuse=True,
        )
    if record.expired:
        return Refusal("the refresh token expired; sign in again")
    return Refusal("the account is disabled")


def invalid_grant(detail: str) -> InvalidGrant:
    return InvalidGrant(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


# Short-lived sign-in state in Redis.


class SignInStore:
    """Pending sign-ins and one-time login codes; every key expires and is taken with GETDEL."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def save_login(self, state: str, pending: LoginState, ttl_seconds: int) -> None:
        await self._redis.set(login_state_key(self._prefix, state), msgspec.json.encode(pending), ex=ttl_seconds)

    async def take_login(self, state: str) -> LoginState | None:
        raw = await self._redis.getdel(login_state_key(self._prefix, state))
        if raw is None:
            return None
        try:
            return msgspec.json.decode(raw, type=LoginState)
        except msgspec.DecodeError:
            return None

    async def issue_code(self, user_id: uuid.UUID) -> str:
        code = new_secret()
        await self._redis.set(login_code_key(self._prefix, code), str(user_id), ex=LOGIN_CODE_TTL_SECONDS)
        return code

    async def redeem_code(self, code: str) -> uuid.UUID | None:
        raw = await self._redis.getdel(login_code_key(self._prefix, code))
        if raw is None:
            return None
        return uuid.UUID(raw.decode() if isinstance(raw, bytes) else raw)


# Users and refresh tokens in PostgreSQL.


class Sessions:
    """Signs users in and keeps their sessions: token pairs, rotation, reuse detection, logout."""

    def __init__(self, db: Database, tokens: TokenService, refresh_ttl: timedelta) -> None:
        self._db = db
        self._tokens = tokens
        self._refresh_ttl = refresh_ttl

    async def sign_in(self, provider: str, who: ExternalIdentity) -> uuid.UUID:
        """The user behind a provider account, created at its first sign-in."""
        async with self._db.platform() as conn:
            await repository.lock_identity(conn, who.issuer, who.subject)
            known = await repository.touch_identity(conn, who)
            if known is None:
                user_id, disabled, created = new_id(), False, True
                await repository.insert_user(conn, user_id, provider, who)
            else:
                (user_id, disabled), created = known, False
        if disabled:
            log.warning("sign-in refused: user disabled", extra={"event": "auth.sign_in_refused", "user_id": user_id})
            raise Forbidden("this account is disabled")
        log.info(
            "user signed in",
            extra={"event": "auth.sign_in", "user_id": user_id, "provider": provider, "new_user": created},
        )
        return user_id

    async def start(self, user_id: uuid.UUID) -> TokenResponse:
        """A new session (refresh token family) and its first token pair."""
        async with self._db.platform() as conn:
            if not await repository.user_is_active(conn, user_id):
                raise invalid_grant("the account is disabled")
            secret = await self._mint(conn, new_id(), user_id)
        return await self._pair(user_id, secret)

    async def refresh(self, presented: str) -> TokenResponse:
        """Spend a refresh token for a new pair; a spent one presented again revokes its family."""
        digest = secret_hash(presented)
        refusal: Refusal | None = None
        async with self._db.platform() as conn:
            spent = await repository.spend_refresh_token(conn, digest)
            if spent is not None:
                family_id, user_id = spent
                secret = await self._mint(conn, family_id, user_id)
            else:
                record = await repository.find_refresh_token(conn, digest)
                refusal = refusal_for(record)
                if refusal.reuse and record is not None:
                    await repository.revoke_family(conn, record.family_id)
        if refusal is not None:  # raised after COMMIT, so that a revocation is kept
            if refusal.reuse and record is not None:
                log.warning(
                    "refresh token reused; session revoked",
                    extra={"event": "auth.refresh_reuse", "user_id": record.user_id, "family_id": record.family_id},
                )
            raise invalid_grant(refusal.detail)
        return await self._pair(user_id, secret)

    async def logout(self, presented: str) -> None:
        """End the session the refresh token belongs to, whichever of its tokens it is."""
        async with self._db.platform() as conn:
            record = await repository.find_refresh_token(conn, secret_hash(presented))
            revoked = await repository.revoke_family(conn, record.family_id) if record is not None else 0
        if record is not None and revoked:
            log.info(
                "user logged out",
                extra={"event": "auth.logout", "user_id": record.user_id, "family_id": record.family_id},
            )

    async def _mint(self, conn: Connection, family_id: uuid.UUID, user_id: uuid.UUID) -> str:
        secret = REFRESH_TOKEN_PREFIX + new_secret()
        await repository.insert_refresh_token(
            conn, new_id(), family_id, user_id, secret_hash(secret), self._refresh_ttl
        )
        return secret

    async def _pair(self, user_id: uuid.UUID, refresh_secret: str) -> TokenResponse:
        access, ttl = await self._tokens.issue(user_id)
        return TokenResponse(access_token=access, expires_in=ttl, refresh_token=refresh_secret)
