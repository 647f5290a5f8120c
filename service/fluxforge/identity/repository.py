"""SQL for users, their provider identities and refresh tokens.

These tables are platform-level (a person may belong to many tenants), so callers pass a
platform-scoped connection (fluxforge.db.Database.platform). Refresh tokens are stored only as
the SHA-256 of their secret: a copy of the table cannot be replayed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from fluxforge.db import Connection
from fluxforge.identity.models import ExternalIdentity, Identity, RefreshTokenRecord, User


async def lock_identity(conn: Connection, issuer: str, subject: str) -> None:
    """Serialize sign-ins of one provider account until commit, so its first two don't make two users."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"identity {issuer} {subject}")


async def touch_identity(conn: Connection, who: ExternalIdentity) -> tuple[uuid.UUID, bool] | None:
    """Record a sign-in of a known identity: its user's id and whether that user is disabled."""
    row = await conn.fetchrow(
        """
        WITH touched AS (
            UPDATE user_identities SET last_login_at = now(), email = $3
            WHERE issuer = $1 AND subject = $2
            RETURNING user_id
        )
        SELECT u.id, u.disabled_at IS NOT NULL AS disabled FROM touched t JOIN users u ON u.id = t.user_id
        """,
        who.issuer,
        who.subject,
        who.email,
    )
    return (row["id"], row["disabled"]) if row is not None else None


async def insert_user(conn: Connection, user_id: uuid.UUID, provider: str, who: ExternalIdentity) -> None:
    """A new user and the identity they signed in with, in one statement."""
    await conn.execute(
        """
        WITH new_user AS (
            INSERT INTO users (id, email, display_name) VALUES ($1, $2, $3) RETURNING id
        )
        INSERT INTO user_identities (issuer, subject, user_id, provider, email)
        SELECT $4, $5, id, $6, $2 FROM new_user
        """,
        user_id,
        who.email,
        who.name,
        who.issuer,
        who.subject,
        provider,
    )


async def user_is_active(conn: Connection, user_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT disabled_at IS NULL FROM users WHERE id = $1", user_id))


async def get_active_user(conn: Connection, user_id: uuid.UUID) -> User | None:
    """The user with their identities; None when unknown or disabled."""
    row = await conn.fetchrow(
        "SELECT id, email, display_name, created_at FROM users WHERE id = $1 AND disabled_at IS NULL", user_id
    )
    if row is None:
        return None
    identities = await conn.fetch(
        """
        SELECT provider, issuer, subject, email, created_at, last_login_at
        FROM user_identities WHERE user_id = $1 ORDER BY created_at, issuer, subject
        """,
        user_id,
    )
    return User(**dict(row), identities=[Identity(**dict(i)) for i in identities])


async def insert_refresh_token(
    conn: Connection,
    token_id: uuid.UUID,
    family_id: uuid.UUID,
    user_id: uuid.UUID,
    token_hash: bytes,
    ttl: timedelta,
) -> None:
    await conn.execute(
        """
        INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
        VALUES ($1, $2, $3, $4, now() + $5::interval)
        """,
        token_id,
        family_id,
        user_id,
        token_hash,
        ttl,
    )


async def spend_refresh_token(conn: Connection, token_hash: bytes) -> tuple[uuid.UUID, uuid.UUID] | None:
    """Mark a live token used and return (family_id, user_id); None when it is not live.

    The condition `used_at IS NULL` is re-checked after waiting on a concurrent spender's row
    lock, so of two simultaneous uses exactly one gets a row back.
    """
    row = await conn.fetchrow(
        """
        UPDATE refresh_tokens r SET used_at = now()
        FROM users u
        WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > now()
          AND u.id = r.user_id AND u.disabled_at IS NULL
        RETURNING r.family_id, r.user_id
        """,
        token_hash,
    )
    return (row["family_id"], row["user_id"]) if row is not None else None


async def find_refresh_token(conn: Connection, token_hash: bytes) -> RefreshTokenRecord | None:
    row = await conn.fetchrow(
        """
        SELECT family_id, user_id, used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked,
               expires_at <= now() AS expired
        FROM refresh_tokens WHERE token_hash = $1
        """,
        token_hash,
    )
    return RefreshTokenRecord(**dict(row)) if row is not None else None


async def revoke_family(conn: Connection, family_id: uuid.UUID) -> int:
    """Revoke every token of a session; returns how many were still unrevoked."""
    result = await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family_id
    )
    return int(result.split()[-1])
