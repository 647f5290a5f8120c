"""FluxForge's own access tokens: short-lived JWTs signed with rotating Ed25519 keys.

Keys live in PostgreSQL so every process signs and verifies with the same set. The newest
unretired key signs; when it is older than the rotation period a new one is made and the old
one retired, but retired keys stay published (`/.well-known/jwks.json`) and accepted until
every token they signed has expired. Verification needs no I/O: the key set is cached in
process and reloaded when a token names a key it does not know (at most once a second).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import msgspec
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from fluxforge.db import Connection, Database
from fluxforge.errors import Unauthorized

ALGORITHM = "Ed25519"  # RFC 9864's fully specified name for EdDSA over Ed25519
AUDIENCE = "fluxforge"
RELOAD_AT_MOST_EVERY_SECONDS = 1.0
VERIFIED_CACHE_SIZE = 10_000


class AccessClaims(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    expires_at: int


class SigningKey(msgspec.Struct, frozen=True):
    kid: str
    private_jwk: dict[str, Any]
    public_jwk: dict[str, Any]
    age_seconds: float
    retired: bool


async def load_keys(conn: Connection, keep_retired_for: timedelta) -> list[SigningKey]:
    rows = await conn.fetch(
        """
        SELECT kid, private_jwk, public_jwk, extract(epoch FROM now() - created_at) AS age,
               retired_at IS NOT NULL AS retired
        FROM signing_keys
        WHERE retired_at IS NULL OR retired_at > now() - $1::interval
        ORDER BY created_at DESC
        """,
        keep_retired_for,
    )
    return [SigningKey(r["kid"], r["private_jwk"], r["public_jwk"], float(r["age"]), r["retired"]) for r in rows]


async def rotate_if_due(conn: Connection, rotation: timedelta) -> bool:
    """Make a new signing key when none is active or the active one is due; retire the old one.

    Serialized by a transaction-scoped advisory lock so concurrent processes make one key.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('fluxforge.signing_keys'))")
    due = await conn.fetchval(
        """
        SELECT NOT EXISTS (
            SELECT 1 FROM signing_keys WHERE retired_at IS NULL AND created_at > now() - $1::interval
        )
        """,
        rotation,
    )
    if not due:
        return False
    kid = uuid.uuid4().hex
    key = OKPKey.generate_key("Ed25519", parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
    await conn.execute("UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL")
    await conn.execute(
        "INSERT INTO signing_keys (kid, algorithm, private_jwk, public_jwk) VALUES ($1, $2, $3, $4)",
        kid,
        ALGORITHM,
        dict(key.as_dict(private=True)),
        dict(key.as_dict(private=False)),
    )
    return True


class TokenService:
    """Issues and verifies access tokens with the key set kept in PostgreSQL."""

    def __init__(self, db: Database, issuer: str, ttl_seconds: int, rotation: timedelta) -> None:
        self._db = db
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        self._rotation = rotation
        self._keys: list[SigningKey] = []
        self._key_set = KeySet([])
        self._signing: OKPKey | None = None
        self._loaded_at = 0.0
        self._verified: dict[str, AccessClaims] = {}
        self._claims = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": AUDIENCE},
            sub={"essential": True},
            exp={"essential": True},
        )

    @property
    def keep_retired_for(self) -> timedelta:
        return timedelta(seconds=self.ttl_seconds * 2 + 60)

    async def start(self) -> None:
        """Make sure a signing key exists, then load the published set."""
        async with self._db.platform() as conn:
            await rotate_if_due(conn, self._rotation)
        await self.reload()

    async def reload(self) -> None:
        async with self._db.platform() as conn:
            keys = await load_keys(conn, self.keep_retired_for)
        self._keys = keys
        self._key_set = KeySet([OKPKey.import_key(k.public_jwk) for k in keys])
        active = next((k for k in keys if not k.retired), None)
        self._signing = OKPKey.import_key(active.private_jwk) if active else None
        self._loaded_at = time.monotonic()

    def jwks(self) -> dict[str, Any]:
        """Public keys: the current one and those retired recently enough to still verify."""
        return {"keys": [k.public_jwk for k in self._keys]}

    async def issue(self, user_id: uuid.UUID) -> tuple[str, int]:
        """An access token for the user and its lifetime in seconds."""
        if self._signing is None or time.monotonic() - self._loaded_at > 60:
            await self.reload()  # picks up keys rotated by other processes
        if self._signing is None:
            raise RuntimeError("no signing key; TokenService.start() was not run")
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        header = {"alg": ALGORITHM, "kid": self._signing.kid, "typ": "at+jwt"}
        return jwt.encode(header, claims, self._signing, algorithms=[ALGORITHM]), self.ttl_seconds

    async def verify(self, token: str) -> AccessClaims:
        """The token's claims; a token already verified is not verified again until it expires.

        Signature checks are the costliest step of an authenticated request, and a client sends
        the same token many times over its short life.
        """
        known = self._verified.get(token)
        if known is not None and known.expires_at > time.time():
            return known
        claims = await self._verify_signature_and_claims(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = claims
        return claims

    async def _verify_signature_and_claims(self, token: str) -> AccessClaims:
        kid = kid_of(token)
        unknown_key = kid is not None and not any(k.kid == kid for k in self._keys)
        if unknown_key and time.monotonic() - self._loaded_at > RELOAD_AT_MOST_EVERY_SECONDS:
            await self.reload()
        try:
            decoded = jwt.decode(token, self._key_set, algorithms=[ALGORITHM])
            self._claims.validate(decoded.claims)
            return AccessClaims(uuid.UUID(decoded.claims["sub"]), int(decoded.claims["exp"]))
        except (JoseError, ValueError, KeyError):
            raise Unauthorized(
                "the access token is invalid or expired; refresh it or sign in again",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None


def kid_of(token: str) -> str | None:
    """The key id in a compact JWS header, read without verifying anything."""
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError):
        return None
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None
