"""Idempotency-Key for creating POSTs: a replay returns the first response.

The key is claimed with an INSERT in the same transaction as the creation it guards, so a
concurrent duplicate waits on the key's row lock and then sees the committed first response,
and a creation that rolls back releases the key with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

import msgspec

from fluxforge.db import Connection
from fluxforge.errors import BadRequest, IdempotencyKeyReused

IDEMPOTENCY_KEY_PATTERN = r"^[\x20-\x7e]{1,255}$"
"""1-255 printable ASCII characters, as `_check_key` demands."""


class StoredResponse(msgspec.Struct, frozen=True):
    status_code: int
    body: bytes
    headers: dict[str, str]


def request_fingerprint(operation: str, payload: object) -> bytes:
    """Hash of what was asked, insensitive to JSON whitespace and key order of the input."""
    return hashlib.sha256(operation.encode() + b"\0" + msgspec.json.encode(payload)).digest()


def _check_key(key: str) -> None:
    if not (1 <= len(key) <= 255) or not key.isascii() or not key.isprintable():
        raise BadRequest("Idempotency-Key must be 1-255 printable ASCII characters")


async def claim(
    conn: Connection, *, principal: str, key: str, operation: str, fingerprint: bytes, ttl: timedelta
) -> StoredResponse | None:
    """Claim the key for this request, or return the response recorded for it earlier."""
    _check_key(key)
    claimed = await conn.fetchval(
        """
        INSERT INTO idempotency_keys (principal, key, operation, request_hash)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (principal, key) DO UPDATE
            SET operation = EXCLUDED.operation, request_hash = EXCLUDED.request_hash,
                status_code = NULL, response_body = NULL, headers = NULL, created_at = now()
            WHERE idempotency_keys.created_at < now() - $5::interval
        RETURNING true
        """,
        principal,
        key,
        operation,
        fingerprint,
        ttl,
    )
    if claimed:
        return None
    row = await conn.fetchrow(
        """
        SELECT operation, request_hash, status_code, response_body, headers
        FROM idempotency_keys WHERE principal = $1 AND key = $2
        """,
        principal,
        key,
    )
    assert row is not None
    assert row["status_code"] is not None  # written in the transaction that claimed the key
    if row["operation"] != operation or bytes(row["request_hash"]) != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request; use a new key for a new request"
        )
    return StoredResponse(row["status_code"], bytes(row["response_body"]), dict(row["headers"]))


async def record(conn: Connection, *, principal: str, key: str, response: StoredResponse) -> None:
    await conn.execute(
        """
        UPDATE idempotency_keys SET status_code = $3, response_body = $4, headers = $5
        WHERE principal = $1 AND key = $2
        """,
        principal,
        key,
        response.status_code,
        response.body,
        response.headers,
    )


async def purge_expired(conn: Connection, ttl: timedelta) -> int:
    deleted = await conn.fetchval(
        """
        WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval RETURNING 1)
        SELECT count(*) FROM gone
        """,
        ttl,
    )
    return int(deleted)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Once(Generic[T]):
    """A creating request's Idempotency-Key, bound to its caller, operation and body.

    A service claims it in the transaction that creates and remembers the first response in
    it, so the claim and the creation commit or roll back together. `first_response` is how the
    HTTP edge answers a creation (status, body, ETag, Location): stored, it is what a replay
    returns, headers included.
    """

    principal: str
    key: str
    operation: str
    fingerprint: bytes
    ttl: timedelta
    first_response: Callable[[T], StoredResponse]

    async def claim(self, conn: Connection) -> StoredResponse | None:
        """None to go ahead and create; else the response this key already created."""
        return await claim(
            conn,
            principal=self.principal,
            key=self.key,
            operation=self.operation,
            fingerprint=self.fingerprint,
            ttl=self.ttl,
        )

    async def remember(self, conn: Connection, created: T) -> None:
        await record(conn, principal=self.principal, key=self.key, response=self.first_response(created))


async def replay(conn: Connection, once: Once[Any] | None) -> StoredResponse | None:
    """The first response when `once` already created something; None to go ahead (or no key)."""
    return None if once is None else await once.claim(conn)


async def remember(conn: Connection, once: Once[T] | None, created: T) -> None:
    if once is not None:
        await once.remember(conn, created)
