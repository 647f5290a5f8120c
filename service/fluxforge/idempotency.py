"""Idempotency-Key for creating POSTs: a replay returns the first response.

The key is claimed with an INSERT in the same transaction as the creation it guards, so a
concurrent duplicate waits on the key's row lock and then sees the committed first response,
and a creation that rolls back releases the key with it.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.params import HeaderParameter

from fluxforge.db import Connection
from fluxforge.errors import BadRequest, IdempotencyKeyReused

IDEMPOTENCY_KEY_PATTERN = r"^[\x20-\x7e]{1,255}$"
"""1-255 printable ASCII characters, as `_check_key` demands."""
IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Makes the request safe to retry: a repeat with the same key and body "
        "returns the first response; the same key with another body is refused (409).",
    ),
]


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


async def replay_or_claim(
    conn: Connection,
    request: Request[Any, Any, Any],
    key: str | None,
    operation: str,
    payload: object,
    body_type: type[T],
) -> Response[T] | None:
    """The first response again when this key already created something; None to go ahead.

    Call inside the transaction that creates, then `remember` the response in it: the claim and
    the creation commit or roll back together. The caller is `request.state.principal`, set by
    the route's guard, so keys of different callers never meet.
    """
    if key is None:
        return None
    earlier = await claim(
        conn,
        principal=request.state.principal,
        key=key,
        operation=operation,
        fingerprint=request_fingerprint(operation, payload),
        ttl=timedelta(hours=request.app.state.settings.idempotency_ttl_hours),
    )
    if earlier is None:
        return None
    body = msgspec.json.decode(earlier.body, type=body_type)
    headers = {**earlier.headers, "Idempotency-Replayed": "true"}
    return Response(body, status_code=earlier.status_code, headers=headers)


async def remember(conn: Connection, request: Request[Any, Any, Any], key: str | None, response: Response[T]) -> None:
    """Store the response a replay of this key returns (its status, body and headers)."""
    if key is None:
        return
    assert response.status_code is not None, "creating routes answer with an explicit status"
    stored = StoredResponse(response.status_code, msgspec.json.encode(response.content), dict(response.headers))
    await record(conn, principal=request.state.principal, key=key, response=stored)
