"""RFC 9457 problem details for every error the API can return.

Each kind of error has a stable `type` URI so that clients branch on it, never on prose.
Handlers here cover our own errors, Litestar's (validation, unknown route, wrong method,
oversized body) and anything unexpected, which becomes a 500 that reveals nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from fluxforge.telemetry import request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://fluxforge.dev/problems/"
log = logging.getLogger("fluxforge.errors")


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """The problem+json body (RFC 9457) with FluxForge's extension members."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raise to answer with a problem; subclasses fix the kind and status."""

    kind = "internal-error"
    title = "Internal server error"
    status = 500

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class BadRequest(ProblemError):
    kind, title, status = "bad-request", "Bad request", 400


class InvalidRequest(ProblemError):
    kind, title, status = "validation-error", "Request validation failed", 400


class Unauthorized(ProblemError):
    kind, title, status = "unauthorized", "Authentication required", 401


class Forbidden(ProblemError):
    kind, title, status = "forbidden", "Permission denied", 403


class NotFound(ProblemError):
    kind, title, status = "not-found", "Resource not found", 404


class Conflict(ProblemError):
    kind, title, status = "conflict", "Conflict", 409


class IdempotencyKeyReused(ProblemError):
    kind, title, status = "idempotency-key-reused", "Idempotency key reused with a different request", 409


class PreconditionFailed(ProblemError):
    kind, title, status = "precondition-failed", "Resource version does not match If-Match", 412


class PreconditionRequired(ProblemError):
    kind, title, status = "precondition-required", "If-Match header required", 428


_HTTP_KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Permission denied"),
    404: ("not-found", "Resource not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
    503: ("service-unavailable", "Service unavailable"),
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
    kind, title = _HTTP_KINDS.get(exc.status_code, ("http-error", "HTTP error"))
    detail = exc.detail if exc.detail and exc.detail != title else None
    if isinstance(exc, NotFoundException) and detail == "Not Found":
        detail = f"no route matches {request.method} {request.url.path}"
    return problem_response(request, kind=kind, title=title, status=exc.status_code, detail=detail, headers=exc.headers)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return problem_response(
        request, kind="internal-error", title="Internal server error", status=HTTP_500_INTERNAL_SERVER_ERROR
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


def problem_responses(*statuses: int) -> dict[int, Any]:
    """OpenAPI entries documenting the problem+json a route can answer with."""
    from litestar.openapi.datastructures import ResponseSpec

    kinds = {cls.status: cls.title for cls in _all_problem_classes()}
    kinds.update({status: title for status, (_, title) in _HTTP_KINDS.items()})
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=kinds.get(status, "Error"),
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }


def _all_problem_classes() -> list[type[ProblemError]]:
    found: list[type[ProblemError]] = []
    pending = list(ProblemError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
