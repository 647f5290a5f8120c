"""The HTTP edge of errors: every exception becomes an RFC 9457 problem+json response.

Our own errors carry their kind (`fluxforge.errors`); Litestar's (validation, unknown route,
wrong method, oversized body) are mapped here by status; anything unexpected becomes a 500
that reveals nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from fluxforge.errors import (
    PROBLEM_BASE,
    PROBLEM_KINDS,
    PROBLEM_MEDIA_TYPE,
    BadRequest,
    FieldError,
    InvalidRequest,
    Problem,
    ProblemError,
)
from fluxforge.telemetry import request_id_var

log = logging.getLogger("fluxforge.errors")

_HTTP_KINDS: dict[int, tuple[str, str]] = {
    kind.status: (kind.slug, kind.title)
    for kind in (
        PROBLEM_KINDS[slug]
        for slug in (
            "bad-request",
            "unauthorized",
            "forbidden",
            "not-found",
            "method-not-allowed",
            "not-acceptable",
            "payload-too-large",
            "unsupported-media-type",
            "rate-limited",
            "service-unavailable",
        )
    )
}

_AT_FIELD = re.compile(r"\s*-\s*at `\$((?:\.\w+|\[\d+\])*)`$")
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")


def _field_errors(extra: Any) -> list[FieldError]:
    """Name the offending field of a Litestar/msgspec validation error (`$.spec.slug`)."""
    errors: list[FieldError] = []
    for item in extra if isinstance(extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        key = str(item.get("key") or "")
        path = "" if key in ("", "data") else key  # Litestar puts the path of the bad value in `key`
        if match := _AT_FIELD.search(message):  # msgspec's own "- at `$.x`", when Litestar left it
            message = message[: match.start()]
            path = match.group(1).lstrip(".")
        if named := _NAMED_FIELD.search(message):  # a missing or unknown field inside that object
            path = f"{path}.{named.group(1)}" if path else named.group(1)
        field = path or "body"
        errors.append(FieldError(field=field, message=message))
    return errors


def problem_response(
    request: Request[Any, Any, Any] | None,
    *,
    kind: str,
    title: str,
    status: int,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(
        type=PROBLEM_BASE + kind,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path if request is not None else None,
        request_id=request_id_var.get(),
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def handle_problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[Problem]:
    return problem_response(
        request,
        kind=exc.kind,
        title=exc.title,
        status=exc.status,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    errors = _field_errors(exc.extra)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) if errors else str(exc.detail)
    return problem_response(
        request, kind=InvalidRequest.kind, title=InvalidRequest.title, status=400, detail=detail, errors=errors
    )


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    kind, title = _HTTP_KINDS.get(exc.status_code, ("http-error", PROBLEM_KINDS["http-error"].title))
    detail = exc.detail if exc.detail and exc.detail != title else None
    if isinstance(exc, NotFoundException) and detail == "Not Found":
        detail = f"no route matches {request.method} {request.url.path}"
    return problem_response(request, kind=kind, title=title, status=exc.status_code, detail=detail, headers=exc.headers)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return problem_response(
        request, kind=ProblemError.kind, title=ProblemError.title, status=HTTP_500_INTERNAL_SERVER_ERROR
    )


def handle_nul_text(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """PostgreSQL text cannot hold U+0000, so a NUL in any string a request carries (a JSON value,
    a query parameter) is refused when it reaches the database. That is the client's error, and
    the statement failed, so its transaction rolled back and nothing changed: 400, not 500."""
    return problem_response(
        request,
        kind=BadRequest.kind,
        title=BadRequest.title,
        status=400,
        detail="text must not contain NUL (U+0000) characters",
    )


EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    ProblemError: handle_problem,
    # SQLSTATE 22021 (a NUL in a bound text parameter) and 22P05 (\u0000 in JSON cast to jsonb).
    asyncpg.exceptions.CharacterNotInRepertoireError: handle_nul_text,
    asyncpg.exceptions.UntranslatableCharacterError: handle_nul_text,
    ValidationException: handle_validation,
    NotAuthorizedException: handle_http,
    PermissionDeniedException: handle_http,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}


_GENERIC_TITLES: dict[int, str] = {status: title for status, (_, title) in _HTTP_KINDS.items()} | {
    PROBLEM_KINDS[slug].status: PROBLEM_KINDS[slug].title
    for slug in ("conflict", "precondition-failed", "precondition-required", "internal-error")
}


AS_PUBLISHED_409 = ("invalid-invoice-transition",)
"""The 409 description these routes have published since the contract was first generated, when a
route's descriptions depended on which modules had been imported before it (an accident). Kept
so that the contract stays byte-for-byte equal; correcting it is a change of the contract."""
AS_PUBLISHED_502 = ("stripe-export-failed",)
"""The 502 description the sign-in routes published, for the same reason as AS_PUBLISHED_409."""


def problem_responses(*statuses: int, kinds: tuple[str, ...] = ()) -> dict[int, Any]:
    """OpenAPI entries documenting the problem+json a route can answer with.

    Each status is described by the title of its general kind, or of the kind named in `kinds`
    for that status (an invoice route's 409 is `invalid-invoice-transition`).
    """
    from litestar.openapi.datastructures import ResponseSpec

    titles = dict(_GENERIC_TITLES)
    titles.update({PROBLEM_KINDS[slug].status: PROBLEM_KINDS[slug].title for slug in kinds})
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=titles.get(status, "Error"),
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }
