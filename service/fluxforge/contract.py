"""What the OpenAPI contract declares beyond the routes themselves: tags and security schemes.

Tags become the modules of generated SDKs (`fluxforge_client.api.role_bindings`), so every route
carries exactly one, named in PascalCase, and each is declared here with a description; the
contract test refuses a route whose tag is not in this list.
"""

from __future__ import annotations

from litestar.openapi.spec import Tag

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
