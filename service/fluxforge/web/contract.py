"""What the OpenAPI contract declares beyond the routes themselves: tags and security schemes.

Security requirements mirror the guards (the contract test checks each route against its guard):
`require(permission)` takes a user's access token or an API key, `require_user` only a user's
access token, `require_admin` only the platform admin token.

Tags become the modules of generated SDKs (`fluxforge_client.api.role_bindings`), so every route
carries exactly one, named in PascalCase, and each is declared here with a description; the
contract test refuses a route whose tag is not in this list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from litestar.openapi.spec import (
    OAuthFlow,
    OAuthFlows,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
    Tag,
)

if TYPE_CHECKING:
    from litestar import Litestar

TAGS: dict[str, str] = {
    "Health": "Liveness and readiness probes for load balancers and orchestrators; no authentication.",
    "Auth": "Sign-in with an OpenID Connect provider, token refresh and logout, the signing keys (JWKS) "
    "and the signed-in user.",
    "Tenants": "The tenants the caller belongs to: self-service creation, settings and deletion.",
    "Namespaces": "Namespaces partition a tenant's resources; role bindings may be scoped to one.",
    "Members": "The users who belong to a tenant.",
    "Invitations": "Invite people into a tenant by email, and accept an invitation as the invited user.",
    "Roles": "Named sets of permissions, built in or defined by the tenant.",
    "RoleBindings": "Grants of a role to a user or API key, at tenant or namespace scope.",
    "ApiKeys": "Long-lived `ffk_...` credentials for machines, each bound to a role.",
    "Audit": "The tenant's append-only record of who changed what.",
    "Meters": "What the tenant measures: event type, aggregation, value property and dimensions.",
    "Usage": "Ingest usage events (idempotent per event id) and read aggregates by meter and window.",
    "Workflows": "Declarative DAGs of steps, versioned; validated on every write.",
    "Runs": "Executions of a workflow version: submit, follow, cancel, replay and compare traces.",
    "Plans": "The price catalog a tenant can subscribe to.",
    "Subscriptions": "The tenant's plan, plan changes (prorated by time) and cancellation.",
    "Invoices": "The tenant's invoices as JSON, CSV or PDF.",
    "Webhooks": "Inbound webhooks from third parties (Stripe), verified by signature.",
    "AdminTenants": "Platform administration of all tenants (admin token).",
    "AdminMeters": "The meters FluxForge defines for its own billable actions (admin token).",
    "AdminPlans": "Plans and their versioned rate cards (admin token).",
    "AdminBilling": "Closing billing periods and the invoice lifecycle: finalize, pay, void, credit, "
    "export to Stripe (admin token).",
    "AdminScheduler": "The scheduler's admission state across all tenants (admin token).",
}


def openapi_tags() -> list[Tag]:
    return [Tag(name=name, description=description) for name, description in TAGS.items()]


Security = list[dict[str, list[str]]]
TENANT_SECURITY: Security = [{"userToken": []}, {"oidcSignIn": []}, {"apiKey": []}]
"""Routes guarded by `require(permission)`: a signed-in user's access token or a tenant's API key."""
USER_SECURITY: Security = [{"userToken": []}, {"oidcSignIn": []}]
"""Routes guarded by `require_user`: people only, never an API key."""
ADMIN_SECURITY: Security = [{"adminToken": []}]
"""Routes guarded by `require_admin` (everything under /v1/admin)."""


def security_schemes() -> dict[str, SecurityScheme | Reference]:
    return {
        "userToken": SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="A user's access token: an RS256 JWT from POST /v1/auth/token, verifiable with the keys "
            "at /.well-known/jwks.json; short-lived, renewed with the refresh token.",
        ),
        "oidcSignIn": SecurityScheme(
            type="oauth2",
            description="How a person obtains a userToken. FluxForge signs people in with an OpenID Connect "
            "provider (authorization code flow with PKCE S256, state and nonce): open "
            "/v1/auth/login/{provider} in a browser; after the provider's redirect to "
            "/v1/auth/callback/{provider}, the browser lands on /auth/complete?code=<one-time login code>; "
            'trade it at POST /v1/auth/token with the JSON body {"grant_type": "login_code", "code": ...} '
            'for an access and a refresh token; renew with {"grant_type": "refresh_token", ...}. The '
            "token request is JSON, not a form, and there are no scopes: permissions come from role bindings.",
            flows=OAuthFlows(
                authorization_code=OAuthFlow(
                    authorization_url="/v1/auth/login/{provider}",
                    token_url="/v1/auth/token",  # noqa: S106 - a path, not a secret
                    refresh_url="/v1/auth/token",
                    scopes={},
                )
            ),
        ),
        "apiKey": SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="ffk_<prefix>_<secret>",
            description="A tenant's API key, sent as 'Authorization: Bearer ffk_...'. Works only in the tenant that "
            "issued it, with the permissions of the role it is bound to.",
        ),
        "adminToken": SecurityScheme(
            type="http",
            scheme="bearer",
            description="The platform operator's bootstrap admin token (FLUXFORGE_ADMIN_TOKEN, or the ffadm_... "
            "token generated at first start); accepted only under /v1/admin.",
        ),
    }


# Headers the app sends with these problems, whichever route answers (see errors.py and the guards).
PROBLEM_HEADERS: dict[str, dict[str, OpenAPIHeader]] = {
    "401": {
        "WWW-Authenticate": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING),
            description='The scheme to authenticate with, e.g. Bearer realm="fluxforge" (RFC 9110); sent when '
            "the bearer credential is missing or invalid.",
        )
    },
    "412": {
        "ETag": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING),
            required=True,
            description="The resource's current version: read it again, or retry with this If-Match.",
        )
    },
    "429": {
        "Retry-After": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
            required=True,
            description="Whole seconds to wait before the next call fits the rate limit.",
        )
    },
}
REPLAYED_HEADER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
    description="Present when this is the stored response of an earlier request with the same Idempotency-Key.",
)


@dataclass
class EventStreamMediaType(OpenAPIMediaType):
    """A text/event-stream whose `itemSchema` describes each event and `schema` (empty) the stream.

    That is OpenAPI 3.2's reading, which schemathesis applies to every event; an SDK generator
    for 3.1 sees an untyped text response (a model in `schema` made it parse the whole stream
    as one JSON object).
    """

    item_schema: Schema | Reference | None = None


EVENT_STREAM = "text/event-stream"


@dataclass
class ContractOperation(Operation):
    """An operation that also documents the headers the app's shared machinery adds.

    Litestar's ResponseSpec cannot carry headers, and these come from code every route shares
    (guards, the rate limiter, If-Match checks, the idempotency store), so they are added here
    once instead of on every route.
    """

    def __post_init__(self) -> None:
        for status, response in (self.responses or {}).items():
            if not isinstance(response, OpenAPIResponse):
                continue
            extra = dict(PROBLEM_HEADERS.get(status, {}))
            if status.startswith("2") and any(
                getattr(p, "name", None) == "Idempotency-Key" for p in self.parameters or []
            ):
                extra["Idempotency-Replayed"] = REPLAYED_HEADER
            if extra:
                response.headers = {**(response.headers or {}), **extra}
            stream = (response.content or {}).get(EVENT_STREAM)
            if stream is not None and not isinstance(stream, EventStreamMediaType):
                response.content = {
                    **(response.content or {}),
                    EVENT_STREAM: EventStreamMediaType(schema=Schema(), item_schema=stream.schema),
                }


def document_contract(app: Litestar) -> None:
    """Route every handler's OpenAPI operation through ContractOperation (done before the
    schema is first built, which happens lazily)."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.operation_class is Operation:
                handler.operation_class = ContractOperation
            elif not issubclass(handler.operation_class, ContractOperation):
                raise TypeError(f"{handler.operation_id}: operation_class must extend ContractOperation")
