"""The problem kinds of the API and the errors code raises to answer with one.

Each kind of error has a stable `type` URI so that clients branch on it, never on prose. Code
in every layer (pure modules, repositories, services) raises these errors; it never builds an
HTTP response. `fluxforge.web.problems` is the one place that turns them, Litestar's own
errors and anything unexpected into RFC 9457 problem+json responses.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://fluxforge.dev/problems/"


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """The problem+json body (RFC 9457) with FluxForge's extension members."""

    type: Annotated[
        str,
        msgspec.Meta(
            description="Stable URI of the kind of error (https://fluxforge.dev/problems/<kind>); every kind is "
            "listed in docs/errors.md. Branch on this, never on title or detail."
        ),
    ]
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ProblemKind(msgspec.Struct, frozen=True):
    """One kind of error: its `type` URI is PROBLEM_BASE + slug, and never changes once published."""

    slug: str
    title: str
    status: int
    description: str

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug


def _kinds(*kinds: ProblemKind) -> dict[str, ProblemKind]:
    return {kind.slug: kind for kind in kinds}


PROBLEM_KINDS: dict[str, ProblemKind] = _kinds(
    # --- any route: the request itself ---------------------------------------------------------
    ProblemKind(
        "bad-request",
        "Bad request",
        400,
        "The request is malformed in a way the schema cannot express: a cursor that is not one we issued, an "
        "If-Match that is not an ETag, an Idempotency-Key with control characters, a return path off this site. "
        "`detail` says what to change.",
    ),
    ProblemKind(
        "validation-error",
        "Request validation failed",
        400,
        "The body, a parameter or a header does not match the schema, or a value breaks a rule of the resource "
        "(unknown role, cyclic workflow). `errors` lists each offending field as a JSON path with its message.",
    ),
    ProblemKind(
        "payload-too-large",
        "Request body too large",
        413,
        "The body exceeds the server's limit (FLUXFORGE_MAX_BODY_BYTES, or the route's own, such as a workflow "
        "manifest's). Send less, or split a usage batch.",
    ),
    ProblemKind(
        "unsupported-media-type",
        "Unsupported media type",
        415,
        "The route reads JSON (or, for workflow manifests, JSON or YAML) and the Content-Type names something else.",
    ),
    ProblemKind(
        "not-acceptable",
        "Not acceptable",
        406,
        "The Accept header names no representation the route offers (invoices: application/json, text/csv, "
        "application/pdf).",
    ),
    ProblemKind("method-not-allowed", "Method not allowed", 405, "The path exists but does not take this HTTP method."),
    ProblemKind(
        "http-error",
        "HTTP error",
        400,
        "An HTTP-level refusal without a more specific kind; `status` carries the code. Reported so that no "
        "response is ever without a type.",
    ),
    # --- who is calling ------------------------------------------------------------------------
    ProblemKind(
        "unauthorized",
        "Authentication required",
        401,
        "No credential, or one that is not valid: an expired or tampered access token, an unknown, expired or "
        "revoked API key, a wrong admin token. The WWW-Authenticate header names the scheme.",
    ),
    ProblemKind(
        "forbidden",
        "Permission denied",
        403,
        "The caller is known in the tenant but its roles do not grant the permission the route needs (named in "
        "`detail`), the tenant is suspended, or an API key called a route only people may call. Refused "
        "attempts to change something are audited.",
    ),
    ProblemKind(
        "rate-limited",
        "Too many requests",
        429,
        "The tenant's or the API key's request budget is spent. Retry-After says how many seconds to wait.",
    ),
    # --- the resource --------------------------------------------------------------------------
    ProblemKind(
        "not-found",
        "Resource not found",
        404,
        "No such resource, or none the caller may see: a tenant the caller has no role in answers exactly like a "
        "tenant that does not exist, so existence is never revealed. Also unknown routes.",
    ),
    ProblemKind(
        "conflict",
        "Conflict",
        409,
        "The change contradicts the current state: the name or key is taken, the resource is still in use, or "
        "its state does not allow the operation.",
    ),
    ProblemKind(
        "idempotency-key-reused",
        "Idempotency key reused with a different request",
        409,
        "The Idempotency-Key was already used by this caller for a different operation or body. A retry must "
        "repeat the same request; a new request needs a new key.",
    ),
    ProblemKind(
        "precondition-failed",
        "Resource version does not match If-Match",
        412,
        "The resource changed since the version named in If-Match. The ETag header carries the current version: "
        "read the resource again, re-apply the change, retry.",
    ),
    ProblemKind(
        "precondition-required",
        "If-Match header required",
        428,
        "This update must name the version it is based on: send If-Match with the resource's ETag.",
    ),
    # --- sign-in -------------------------------------------------------------------------------
    ProblemKind(
        "invalid-login-state",
        "Sign-in state is invalid, expired or already used",
        400,
        "The provider's callback carried a `state` that is missing, unknown, expired, already used or issued for "
        "another provider. Start the sign-in again.",
    ),
    ProblemKind(
        "sign-in-refused",
        "The identity provider refused the sign-in",
        400,
        "The provider answered with an error (the user declined, for example), named another issuer, or refused "
        "to exchange the authorization code.",
    ),
    ProblemKind(
        "invalid-id-token",
        "The identity provider's ID token is not valid",
        400,
        "The provider's ID token failed a check: signature, issuer, audience, expiry or nonce.",
    ),
    ProblemKind(
        "invalid-grant",
        "The refresh token or login code is invalid, expired or already used",
        401,
        "POST /v1/auth/token refused the login code or refresh token. Presenting a refresh token that was "
        "already used revokes its whole session: sign in again.",
    ),
    ProblemKind(
        "identity-provider-unavailable",
        "The identity provider is unavailable",
        502,
        "The OpenID Connect provider could not be reached or did not answer like one. Retry later.",
    ),
    # --- runs and billing ----------------------------------------------------------------------
    ProblemKind(
        "scheduler-draining",
        "The scheduler is draining; new runs are refused",
        503,
        "The platform operator put the scheduler in drain mode (maintenance): queued and running work "
        "continues, new runs are refused. Retry later.",
    ),
    ProblemKind(
        "invalid-invoice-transition",
        "The invoice's state does not allow this",
        409,
        "The invoice lifecycle is draft -> finalized -> paid / void; this action is not allowed from the "
        "invoice's current status.",
    ),
    ProblemKind(
        "credit-exceeds-invoice",
        "The credit note exceeds what the invoice has left to credit",
        409,
        "The credit notes of an invoice never add up to more than its total.",
    ),
    ProblemKind(
        "stripe-not-configured",
        "Stripe export is not configured",
        503,
        "Set FLUXFORGE_STRIPE_API_KEY to export invoices to Stripe.",
    ),
    ProblemKind(
        "stripe-export-failed",
        "Stripe refused or did not answer",
        502,
        "The export stopped at a Stripe call; every call carries an idempotency key, so retrying the export is "
        "safe and continues where it stopped.",
    ),
    ProblemKind(
        "webhooks-disabled",
        "Stripe webhooks are not configured",
        503,
        "Set FLUXFORGE_STRIPE_WEBHOOK_SECRET to accept Stripe webhooks.",
    ),
    ProblemKind(
        "invalid-webhook-signature",
        "The Stripe-Signature header does not verify",
        400,
        "The Stripe-Signature header is missing, does not match the body with the endpoint's secret, or is older "
        "than five minutes.",
    ),
    # --- the server ----------------------------------------------------------------------------
    ProblemKind(
        "service-unavailable",
        "Service unavailable",
        503,
        "The service cannot serve the request right now (a dependency is down). Retry later.",
    ),
    ProblemKind(
        "internal-error",
        "Internal server error",
        500,
        "A fault on our side. The body reveals nothing; quote `request_id` when reporting it.",
    ),
)


class ProblemError(Exception):
    """Raise to answer with a problem. A subclass names its kind; its title and status come from
    PROBLEM_KINDS, the one registry, so a kind's status is written in exactly one place."""

    kind: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"
    status: ClassVar[int] = 500

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every kind of problem is registered, so its type is documented; a class may restate its
        title and status, but never contradict the registry."""
        super().__init_subclass__(**kwargs)
        registered = PROBLEM_KINDS.get(cls.kind)
        declared = (cls.__dict__.get("title", None), cls.__dict__.get("status", None))
        if registered is None or declared not in (
            (None, None),
            (registered.title, registered.status),
            (registered.title, None),
        ):
            raise TypeError(f"{cls.__name__}: register {cls.kind!r} with its title and status in PROBLEM_KINDS")
        cls.title, cls.status = registered.title, registered.status

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
    kind = "bad-request"


class InvalidRequest(ProblemError):
    kind = "validation-error"


class Unauthorized(ProblemError):
    kind = "unauthorized"


class Forbidden(ProblemError):
    kind = "forbidden"


class NotFound(ProblemError):
    kind = "not-found"


class Conflict(ProblemError):
    kind = "conflict"


class IdempotencyKeyReused(ProblemError):
    kind = "idempotency-key-reused"


class PreconditionFailed(ProblemError):
    kind = "precondition-failed"


class PreconditionRequired(ProblemError):
    kind = "precondition-required"


def all_problem_classes() -> list[type[ProblemError]]:
    found: list[type[ProblemError]] = []
    pending = list(ProblemError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def errors_markdown() -> str:
    """docs/errors.md: every problem type the API can answer with (`fluxforge errors` prints it)."""
    lines = [
        "# Error types",
        "",
        "<!-- Generated from fluxforge.errors.PROBLEM_KINDS by `fluxforge errors` (run by `make openapi`); "
        "do not edit. -->",
        "",
        "Every error is an RFC 9457 `application/problem+json` body: `type`, `title`, `status`, and where useful "
        "`detail`, `instance`, `request_id` and `errors` (one entry per invalid field). Branch on `type`, never on "
        "`title` or `detail`: a type URI never changes once published, titles and details may be reworded.",
        "",
        "| type | status | title |",
        "|---|---|---|",
    ]
    ordered = sorted(PROBLEM_KINDS.values(), key=lambda k: (k.status, k.slug))
    lines += [f"| [`{k.slug}`](#{k.slug}) | {k.status} | {k.title} |" for k in ordered]
    for kind in ordered:
        lines += ["", f"## {kind.slug}", "", f"`{kind.type_uri}` — {kind.status} {kind.title}", "", kind.description]
    return "\n".join(lines) + "\n"
