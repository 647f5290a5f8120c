"""Plans and subscriptions over HTTP.

The platform admin defines plans and their versions (/v1/admin/plans, bootstrap admin token);
tenants read the catalog and manage their subscription (/v1/tenants/{tenant}/plans and
/subscription, with billing:read / billing:write). Changes to plans are audited under the
platform's audit id (the nil UUID), changes to a subscription under the tenant.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import ResponseHeader
from litestar.params import JSONBody, PathParameter, QueryParameter

from fluxforge.billing.catalog import service
from fluxforge.billing.catalog.models import (
    Plan,
    PlanCreate,
    PlanPage,
    PlanPatch,
    PlanStatus,
    PlanTerms,
    Subscription,
    SubscriptionChangePage,
    SubscriptionRequest,
)
from fluxforge.billing.catalog.pricing import PlanVersion
from fluxforge.conventions import DEFAULT_LIMIT, decode_cursor, etag, optional_version, required_version
from fluxforge.web.access import access_of, audit_context, require, require_admin
from fluxforge.web.contract import ADMIN_SECURITY, TENANT_SECURITY
from fluxforge.web.idempotency import answer, once
from fluxforge.web.params import Cursor, IdempotencyKeyHeader, IfMatchOptional, IfMatchRequired, Limit, TenantPath
from fluxforge.web.problems import problem_responses
from fluxforge.web.services import Services

PlanPath = Annotated[str, PathParameter(description="The plan's key or id.", max_length=64)]
VersionPath = Annotated[int, PathParameter(description="The plan version's number.", ge=1)]
PLAN_ETAG = [
    ResponseHeader(name="ETag", description="The plan's version; send it back in If-Match.", documentation_only=True)
]
SUBSCRIPTION_ETAG = [
    ResponseHeader(
        name="ETag", description="The subscription's version; send it back in If-Match.", documentation_only=True
    )
]


def plan_response(plan: Plan, status_code: int = 200) -> Response[Plan]:
    headers = {"ETag": etag(plan.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/admin/plans/{plan.id}"
    return Response(plan, status_code=status_code, headers=headers)


def created_version_response(added: PlanVersion) -> Response[PlanVersion]:
    location = f"/v1/admin/plans/{added.plan_id}/versions/{added.version}"
    return Response(added, status_code=201, headers={"Location": location})


class PlanAdminController(Controller):
    path = "/v1/admin/plans"
    tags = ["AdminPlans"]
    guards = [require_admin]
    security = ADMIN_SECURITY

    @post(
        operation_id="AdminCreatePlan",
        summary="Create a plan with its first version",
        status_code=201,
        responses=problem_responses(400, 401, 409, 413),
        response_headers=[
            *PLAN_ETAG,
            ResponseHeader(name="Location", description="URL of the new plan.", documentation_only=True),
        ],
    )
    async def create_plan(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        data: JSONBody[PlanCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Plan]:
        respond = partial(plan_response, status_code=201)
        key = once(request, idempotency_key, "createPlan", data, respond)
        created = await service.create_plan(services.db, audit_context(request), data, key)
        return answer(created, Plan, respond)

    @get(operation_id="AdminListPlans", summary="List plans", responses=problem_responses(400, 401))
    async def list_plans(
        self,
        services: Services,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        status: Annotated[PlanStatus | None, QueryParameter(description="Only plans in this status.")] = None,
    ) -> PlanPage:
        return await service.list_plans(services.db, after=decode_cursor(cursor), limit=limit, status=status)

    @get(
        "/{plan:str}",
        operation_id="AdminGetPlan",
        summary="Get a plan with all its versions",
        responses=problem_responses(400, 401, 404),
        response_headers=PLAN_ETAG,
    )
    async def get_plan(self, services: Services, plan: PlanPath) -> Response[Plan]:
        return plan_response(await service.get_plan(services.db, plan))

    @patch(
        "/{plan:str}",
        operation_id="AdminUpdatePlan",
        summary="Rename, describe or retire a plan (JSON merge patch; needs If-Match)",
        responses=problem_responses(400, 401, 404, 409, 412, 413, 428),
        response_headers=PLAN_ETAG,
    )
    async def update_plan(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        plan: PlanPath,
        data: JSONBody[PlanPatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Plan]:
        expected = required_version(if_match)
        return plan_response(await service.change_plan(services.db, audit_context(request), plan, data, expected))

    @post(
        "/{plan:str}/versions",
        operation_id="AdminCreatePlanVersion",
        summary="Add a version of a plan's terms, in force from its effective_from (If-Match optional)",
        status_code=201,
        responses=problem_responses(400, 401, 404, 409, 412, 413),
        response_headers=[
            ResponseHeader(name="Location", description="URL of the new version.", documentation_only=True)
        ],
    )
    async def create_version(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        plan: PlanPath,
        data: JSONBody[PlanTerms],
        if_match: IfMatchOptional = None,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[PlanVersion]:
        expected = optional_version(if_match)
        payload = {"plan": plan, "terms": data}
        key = once(request, idempotency_key, "createPlanVersion", payload, created_version_response)
        added = await service.add_plan_version(services.db, audit_context(request), plan, data, expected, key)
        return answer(added, PlanVersion, created_version_response)

    @get(
        "/{plan:str}/versions/{version:int}",
        operation_id="AdminGetPlanVersion",
        summary="Get one version of a plan's terms",
        responses=problem_responses(400, 401, 404),
    )
    async def get_version(self, services: Services, plan: PlanPath, version: VersionPath) -> PlanVersion:
        return await service.get_plan_version(services.db, plan, version)

    @delete(
        "/{plan:str}/versions/{version:int}",
        operation_id="AdminWithdrawPlanVersion",
        summary="Withdraw a version that has not taken effect yet (If-Match optional)",
        status_code=200,
        responses=problem_responses(400, 401, 404, 409, 412),
        response_headers=PLAN_ETAG,
    )
    async def withdraw_version(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        plan: PlanPath,
        version: VersionPath,
        if_match: IfMatchOptional = None,
    ) -> Response[Plan]:
        expected = optional_version(if_match)
        view = await service.withdraw_plan_version(services.db, audit_context(request), plan, version, expected)
        return plan_response(view)


# --- tenants: the catalog and their subscription ------------------------------------------------


class CatalogController(Controller):
    path = "/v1/tenants/{tenant:str}/plans"
    tags = ["Plans"]
    security = TENANT_SECURITY

    @get(
        operation_id="ListCatalogPlans",
        summary="The plans a tenant may subscribe to (active plans, with their versions)",
        guards=[require("billing:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_catalog(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> PlanPage:
        tenant_id = access_of(request).tenant_id
        return await service.list_catalog(services.db, tenant_id, after=decode_cursor(cursor), limit=limit)

    @get(
        "/{plan:str}",
        operation_id="GetCatalogPlan",
        summary="Get a plan of the catalog (also a retired one, which existing subscriptions may still be on)",
        guards=[require("billing:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def get_catalog_plan(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath, plan: PlanPath
    ) -> Plan:
        return await service.get_catalog_plan(services.db, access_of(request).tenant_id, plan)


def subscription_response(subscription: Subscription, status_code: int = 200) -> Response[Subscription]:
    headers = {"ETag": etag(subscription.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/tenants/{subscription.tenant_id}/subscription"
    return Response(subscription, status_code=status_code, headers=headers)


class SubscriptionController(Controller):
    path = "/v1/tenants/{tenant:str}/subscription"
    tags = ["Subscriptions"]
    security = TENANT_SECURITY

    @get(
        operation_id="GetSubscription",
        summary="The tenant's subscription: the plan version in force now and the scheduled changes",
        guards=[require("billing:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
        response_headers=SUBSCRIPTION_ETAG,
    )
    async def get_subscription(
        self, request: Request[Any, Any, Any], services: Services, tenant: TenantPath
    ) -> Response[Subscription]:
        return subscription_response(await service.get_subscription(services.db, access_of(request).tenant_id))

    @post(
        operation_id="Subscribe",
        summary="Subscribe to a plan, now or from a later time",
        status_code=201,
        guards=[require("billing:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 413, 429),
        response_headers=[
            *SUBSCRIPTION_ETAG,
            ResponseHeader(name="Location", description="URL of the subscription.", documentation_only=True),
        ],
    )
    async def subscribe(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        data: JSONBody[SubscriptionRequest],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Subscription]:
        tenant_id = access_of(request).tenant_id
        respond = partial(subscription_response, status_code=201)
        payload = {"tenant": str(tenant_id), "request": data}
        key = once(request, idempotency_key, "subscribe", payload, respond)
        created = await service.subscribe(services.db, audit_context(request), tenant_id, data, key)
        return answer(created, Subscription, respond)

    @put(
        operation_id="ChangeSubscriptionPlan",
        summary="Move to another plan, now or from a later time (needs If-Match)",
        guards=[require("billing:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 428, 429),
        response_headers=SUBSCRIPTION_ETAG,
    )
    async def change_plan(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        data: JSONBody[SubscriptionRequest],
        if_match: IfMatchRequired = None,
    ) -> Response[Subscription]:
        expected = required_version(if_match)
        tenant_id = access_of(request).tenant_id
        view = await service.change_subscription_plan(services.db, audit_context(request), tenant_id, data, expected)
        return subscription_response(view)

    @delete(
        operation_id="CancelSubscription",
        summary="Cancel the subscription, now or from a later time (needs If-Match)",
        status_code=200,
        guards=[require("billing:write")],
        responses=problem_responses(400, 401, 403, 404, 409, 412, 428, 429),
        response_headers=SUBSCRIPTION_ETAG,
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        effective_at: Annotated[
            datetime | None,
            QueryParameter(description="When the cancellation takes effect (default: now); not in the past."),
        ] = None,
        if_match: IfMatchRequired = None,
    ) -> Response[Subscription]:
        expected = required_version(if_match)
        tenant_id = access_of(request).tenant_id
        view = await service.cancel_subscription(services.db, audit_context(request), tenant_id, effective_at, expected)
        return subscription_response(view)

    @get(
        "/changes",
        operation_id="ListSubscriptionChanges",
        summary="The subscription's history of changes, in the order they were made",
        guards=[require("billing:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def list_changes(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> SubscriptionChangePage:
        tenant_id = access_of(request).tenant_id
        return await service.list_subscription_changes(services.db, tenant_id, after=decode_cursor(cursor), limit=limit)
