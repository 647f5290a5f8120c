"""Idempotency-Key at the HTTP edge: bind the header to the caller, answer a replay.

The claim itself happens in the service's transaction (`fluxforge.idempotency.Once`); here the
request names who asks, and the route says how its first response looks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response

from fluxforge.idempotency import Once, StoredResponse, request_fingerprint
from fluxforge.web.services import services_of

T = TypeVar("T")
B = TypeVar("B")


def stored(response: Response[Any]) -> StoredResponse:
    """A response as a replay of its key returns it (status, body and headers)."""
    assert response.status_code is not None, "creating routes answer with an explicit status"
    return StoredResponse(response.status_code, msgspec.json.encode(response.content), dict(response.headers))


def once(
    request: Request[Any, Any, Any],
    key: str | None,
    operation: str,
    payload: object,
    respond: Callable[[T], Response[Any]],
) -> Once[T] | None:
    """The request's Idempotency-Key for `operation`, or None when it sent none.

    The caller is `request.state.principal`, set by the route's guard, so keys of different
    callers never meet.
    """
    if key is None:
        return None
    return Once(
        principal=request.state.principal,
        key=key,
        operation=operation,
        fingerprint=request_fingerprint(operation, payload),
        ttl=timedelta(hours=services_of(request.app).settings.idempotency_ttl_hours),
        first_response=lambda created: stored(respond(created)),
    )


def answer(result: T | StoredResponse, body_type: type[B], respond: Callable[[T], Response[B]]) -> Response[B]:
    """The response to a creation: the first one again on a replay, else `respond(created)`.

    The created thing and the body usually are one type; they differ when the service also
    says how it created (a workflow made anew answers 201, a live one found again 200)."""
    if isinstance(result, StoredResponse):
        body = msgspec.json.decode(result.body, type=body_type)
        headers = {**result.headers, "Idempotency-Replayed": "true"}
        return Response(body, status_code=result.status_code, headers=headers)
    return respond(result)
