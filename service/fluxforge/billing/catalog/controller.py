"""Plans and subscriptions over HTTP.

The platform admin defines plans and their versions (/v1/admin/plans, bootstrap admin token);
tenants read the catalog and manage their subscription (/v1/tenants/{tenant}/plans and
/subscription, with billing:read / billing:write). Changes to plans are audited under the
platform's audit id (the nil UUID), changes to a subscription under the tenant.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import ResponseHeader, State
from litestar.params import JSONBody, PathParameter, QueryParameter

from fluxforge.audit import repository as audit
from fluxforge.billing.catalog import logic, repository
from fluxforge.billing.catalog.models import (
    Plan,
    PlanCreate,
    PlanPage,
    PlanPatch,
    PlanRecord,
    PlanStatus,
    PlanTerms,
    Subscription,
    SubscriptionChange,
    SubscriptionChangePage,
    SubscriptionRecord,
    SubscriptionRequest,
)
from fluxforge.billing.catalog.pricing import PlanVersion
from fluxforge.conventions import (
    DEFAULT_LIMIT,
    check_version,
    decode_cursor,
    etag,
    new_id,
    optional_version,
    page_of,
    required_version,
)
from fluxforge.db import Connection
from fluxforge.errors import FieldError, NotFound
from fluxforge.web.access import access_of, audit_context, require, require_admin
from fluxforge.web.contract import ADMIN_SECURITY, TENANT_SECURITY
from fluxforge.web.idempotency import remember, replay_or_claim
from fluxforge.web.params import Cursor, IdempotencyKeyHeader, IfMatchOptional, IfMatchRequired, Limit, TenantPath
from fluxforge.web.problems import problem_responses

PLATFORM_AUDIT_TENANT = uuid.UUID(int=0)
"""Plans belong to no tenant: their audit events are filed under the nil UUID (platform scope)."""

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


async def _plan_or_404(conn: Connection, ref: str, *, for_update: bool = False) -> PlanRecord:
    found = await repository.get_plan(conn, ref, for_update=for_update)
    if found is None:
        raise NotFound(f"no plan {ref!r}")
    return found


async def _plan_views(conn: Connection, records: list[PlanRecord]) -> list[Plan]:
    versions = await repository.plan_versions(conn, [r.id for r in records])
    now = await repository.now(conn)
    return [logic.plan_view(r, versions.get(r.id, []), now) for r in records]


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
        state: State,
        data: JSONBody[PlanCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Plan]:
        logic.validate_terms(data, data.currency)
        async with state.db.platform() as conn:
            replay = await replay_or_claim(conn, request, idempotency_key, "createPlan", data, Plan)
            if replay is not None:
                return replay
            now = await repository.now(conn)
            effective_from = logic.effective_time(data.effective_from, now, "effective_from", allow_past=True)
            created = await repository.insert_plan(
                conn,
                plan_id=new_id(),
                key=data.key,
                name=data.name.strip(),
                description=data.description,
                currency=data.currency,
            )
            created, first = await repository.insert_version(
                conn,
                created,
                fixed_fee=data.fixed_fee,
                minimum_commitment=data.minimum_commitment,
                prices=data.prices,
                effective_from=effective_from,
                created_by=request.state.principal,
            )
            plan = logic.plan_view(created, [first], now)
            await audit.record_change(
                conn, audit_context(request), PLATFORM_AUDIT_TENANT, "plan.create", str(plan.id), None, plan
            )
            response = plan_response(plan, 201)
            await remember(conn, request, idempotency_key, response)
        return response

    @get(operation_id="AdminListPlans", summary="List plans", responses=problem_responses(400, 401))
    async def list_plans(
        self,
        state: State,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        status: Annotated[PlanStatus | None, QueryParameter(description="Only plans in this status.")] = None,
    ) -> PlanPage:
        after = decode_cursor(cursor)
        async with state.db.platform() as conn:
            rows = await repository.list_plans(conn, after=after, limit=limit, status=status)
            records, next_cursor = page_of(rows, limit)
            items = await _plan_views(conn, records)
        return PlanPage(items=items, next_cursor=next_cursor)

    @get(
        "/{plan:str}",
        operation_id="AdminGetPlan",
        summary="Get a plan with all its versions",
        responses=problem_responses(400, 401, 404),
        response_headers=PLAN_ETAG,
    )
    async def get_plan(self, state: State, plan: PlanPath) -> Response[Plan]:
        async with state.db.platform() as conn:
            (found,) = await _plan_views(conn, [await _plan_or_404(conn, plan)])
        return plan_response(found)

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
        state: State,
        plan: PlanPath,
        data: JSONBody[PlanPatch],
        if_match: IfMatchRequired = None,
    ) -> Response[Plan]:
        expected = required_version(if_match)
        if isinstance(data.name, str):
            data.name = data.name.strip()
        async with state.db.platform() as conn:
            current = await _plan_or_404(conn, plan, for_update=True)
            check_version(expected, current.version)
            changed = logic.apply_plan_patch(current, data, await repository.now(conn))
            if changed is not current:
                changed = await repository.update_plan(conn, changed, current.version)
                await audit.record_change(
                    conn,
                    audit_context(request),
                    PLATFORM_AUDIT_TENANT,
                    "plan.update",
                    str(current.id),
                    current,
                    changed,
                )
            (view,) = await _plan_views(conn, [changed])
        return plan_response(view)

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
        state: State,
        plan: PlanPath,
        data: JSONBody[PlanTerms],
        if_match: IfMatchOptional = None,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[PlanVersion]:
        expected = optional_version(if_match)
        logic.validate_terms(data)
        async with state.db.platform() as conn:
            replay = await replay_or_claim(
                conn, request, idempotency_key, "createPlanVersion", {"plan": plan, "terms": data}, PlanVersion
            )
            if replay is not None:
                return replay
            current = await _plan_or_404(conn, plan, for_update=True)
            check_version(expected, current.version)
            now = await repository.now(conn)
            effective_from = logic.effective_time(data.effective_from, now, "effective_from")
            existing = (await repository.plan_versions(conn, [current.id])).get(current.id, [])
            logic.check_new_version(effective_from, existing)
            _, added = await repository.insert_version(
                conn,
                current,
                fixed_fee=data.fixed_fee,
                minimum_commitment=data.minimum_commitment,
                prices=data.prices,
                effective_from=effective_from,
                created_by=request.state.principal,
            )
            await audit.record_change(
                conn,
                audit_context(request),
                PLATFORM_AUDIT_TENANT,
                "plan.version_add",
                f"{current.id}/versions/{added.version}",
                None,
                added,
            )
            response = Response(
                added,
                status_code=201,
                headers={"Location": f"/v1/admin/plans/{current.id}/versions/{added.version}"},
            )
            await remember(conn, request, idempotency_key, response)
        return response

    @get(
        "/{plan:str}/versions/{version:int}",
        operation_id="AdminGetPlanVersion",
        summary="Get one version of a plan's terms",
        responses=problem_responses(400, 401, 404),
    )
    async def get_version(self, state: State, plan: PlanPath, version: VersionPath) -> PlanVersion:
        async with state.db.platform() as conn:
            return await _version_or_404(conn, plan, version)

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
        state: State,
        plan: PlanPath,
        version: VersionPath,
        if_match: IfMatchOptional = None,
    ) -> Response[Plan]:
        expected = optional_version(if_match)
        async with state.db.platform() as conn:
            current = await _plan_or_404(conn, plan, for_update=True)
            check_version(expected, current.version)
            existing = (await repository.plan_versions(conn, [current.id])).get(current.id, [])
            target = next((v for v in existing if v.version == version), None)
            if target is None:
                raise NotFound(f"plan {current.key!r} has no version {version}")
            logic.check_withdrawal(target, existing, await repository.now(conn))
            changed = await repository.withdraw_version(conn, current, version)
            await audit.record_change(
                conn,
                audit_context(request),
                PLATFORM_AUDIT_TENANT,
                "plan.version_withdraw",
                f"{current.id}/versions/{version}",
                target,
                None,
            )
            (view,) = await _plan_views(conn, [changed])
        return plan_response(view)


async def _version_or_404(conn: Connection, plan: str, version: int) -> PlanVersion:
    current = await _plan_or_404(conn, plan)
    existing = (await repository.plan_versions(conn, [current.id])).get(current.id, [])
    found = next((v for v in existing if v.version == version), None)
    if found is None:
        raise NotFound(f"plan {current.key!r} has no version {version}")
    return found


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
        state: State,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> PlanPage:
        access = access_of(request)
        after = decode_cursor(cursor)
        async with state.db.tenant(access.tenant_id) as conn:
            rows = await repository.list_plans(conn, after=after, limit=limit, status="active")
            records, next_cursor = page_of(rows, limit)
            items = await _plan_views(conn, records)
        return PlanPage(items=items, next_cursor=next_cursor)

    @get(
        "/{plan:str}",
        operation_id="GetCatalogPlan",
        summary="Get a plan of the catalog (also a retired one, which existing subscriptions may still be on)",
        guards=[require("billing:read")],
        responses=problem_responses(400, 401, 403, 404, 429),
    )
    async def get_catalog_plan(
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath, plan: PlanPath
    ) -> Plan:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            (found,) = await _plan_views(conn, [await _plan_or_404(conn, plan)])
        return found


def subscription_response(subscription: Subscription, status_code: int = 200) -> Response[Subscription]:
    headers = {"ETag": etag(subscription.version)}
    if status_code == 201:
        headers["Location"] = f"/v1/tenants/{subscription.tenant_id}/subscription"
    return Response(subscription, status_code=status_code, headers=headers)


async def _subscription_view(
    conn: Connection, record: SubscriptionRecord, changes: list[SubscriptionChange], now: datetime
) -> Subscription:
    versions = await repository.plan_versions(conn, {c.plan_id for c in changes if c.plan_id is not None})
    return logic.subscription_view(record, changes, versions, now)


async def _change_subscription(
    request: Request[Any, Any, Any],
    conn: Connection,
    kind: logic.ChangeKind,
    *,
    plan_ref: str | None,
    requested_at: datetime | None,
    expected_version: int | None,
) -> tuple[Subscription, bool]:
    """Subscribe, change plan or cancel in the caller's unit of work; (the result, whether it changed)."""
    access = access_of(request)
    now = await repository.now(conn)
    at = logic.effective_time(requested_at, now, "effective_at")
    plan: PlanRecord | None = None
    plan_versions: list[PlanVersion] = []
    if plan_ref is not None:
        plan = await repository.get_plan(conn, plan_ref)
        if plan is None:
            raise logic.invalid([FieldError(field="plan", message=f"no plan {plan_ref!r} in the catalog")])
        plan_versions = (await repository.plan_versions(conn, [plan.id])).get(plan.id, [])
    current = await repository.lock_subscription(conn, access.tenant_id)
    if current is None:
        if kind != "subscribe" or plan is None:
            raise NotFound("this tenant has no subscription; subscribe with POST")
        current = await repository.create_subscription(conn, access.tenant_id, plan.currency)
    check_version(expected_version, current.version)
    changes = await repository.subscription_changes(conn, access.tenant_id)
    decision = logic.decide_change(kind, changes, at, plan.id if plan is not None else None)
    if plan is not None and decision.add:  # staying on the plan in force needs nothing of it
        logic.check_plan_available(plan, plan_versions, at, current.currency)
    if not decision.superseded and not decision.add:
        return await _subscription_view(conn, current, changes, now), False
    superseded_ids = {c.id for c in decision.superseded}
    await repository.delete_scheduled_changes(conn, access.tenant_id, sorted(superseded_ids))
    remaining = [c for c in changes if c.id not in superseded_ids]
    added = None
    if decision.add:
        added = await repository.insert_change(
            conn,
            tenant_id=access.tenant_id,
            change_id=new_id(),
            plan_id=plan.id if plan is not None else None,
            effective_at=at,
            created_by=access.principal.actor,
        )
        remaining.append(added)
    updated = await repository.bump_subscription(conn, current)
    before = {
        "plan": decision.in_force.plan_key if decision.in_force is not None else None,
        "replaced_changes": [msgspec.to_builtins(c) for c in decision.superseded],
    }
    action = {"subscribe": "subscription.create", "change": "subscription.change", "cancel": "subscription.cancel"}
    after = {"plan": added.plan_key, "change": msgspec.to_builtins(added)} if added is not None else None
    await audit.record_change(
        conn, audit_context(request), access.tenant_id, action[kind], str(access.tenant_id), before, after
    )
    return await _subscription_view(conn, updated, remaining, now), True


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
        self, request: Request[Any, Any, Any], state: State, tenant: TenantPath
    ) -> Response[Subscription]:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            current = await repository.get_subscription(conn, access.tenant_id)
            if current is None:
                raise NotFound("this tenant has no subscription; subscribe with POST")
            changes = await repository.subscription_changes(conn, access.tenant_id)
            view = await _subscription_view(conn, current, changes, await repository.now(conn))
        return subscription_response(view)

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
        state: State,
        tenant: TenantPath,
        data: JSONBody[SubscriptionRequest],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Subscription]:
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            payload = {"tenant": str(access.tenant_id), "request": data}
            replay = await replay_or_claim(conn, request, idempotency_key, "subscribe", payload, Subscription)
            if replay is not None:
                return replay
            view, _ = await _change_subscription(
                request, conn, "subscribe", plan_ref=data.plan, requested_at=data.effective_at, expected_version=None
            )
            response = subscription_response(view, 201)
            await remember(conn, request, idempotency_key, response)
        return response

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
        state: State,
        tenant: TenantPath,
        data: JSONBody[SubscriptionRequest],
        if_match: IfMatchRequired = None,
    ) -> Response[Subscription]:
        expected = required_version(if_match)
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            view, _ = await _change_subscription(
                request, conn, "change", plan_ref=data.plan, requested_at=data.effective_at, expected_version=expected
            )
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
        state: State,
        tenant: TenantPath,
        effective_at: Annotated[
            datetime | None,
            QueryParameter(description="When the cancellation takes effect (default: now); not in the past."),
        ] = None,
        if_match: IfMatchRequired = None,
    ) -> Response[Subscription]:
        expected = required_version(if_match)
        access = access_of(request)
        async with state.db.tenant(access.tenant_id) as conn:
            view, _ = await _change_subscription(
                request, conn, "cancel", plan_ref=None, requested_at=effective_at, expected_version=expected
            )
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
        state: State,
        tenant: TenantPath,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> SubscriptionChangePage:
        access = access_of(request)
        after = decode_cursor(cursor)
        async with state.db.tenant(access.tenant_id) as conn:
            rows = await repository.list_changes_page(conn, access.tenant_id, after=after, limit=limit)
        items, next_cursor = page_of(rows, limit)
        return SubscriptionChangePage(items=items, next_cursor=next_cursor)
