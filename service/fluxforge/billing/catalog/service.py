"""Units of work on plans, their versions and tenants' subscriptions: each opens its
transaction, changes what it must, writes the audit row in that same transaction and returns
what changed. They take the database and an audit context, never a request; the controllers
turn HTTP into these calls and back.

Plans belong to no tenant: their audit events are filed under the nil UUID (platform scope);
a subscription's under its tenant.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from fluxforge.audit import repository as audit
from fluxforge.audit.models import PLATFORM_AUDIT_TENANT, AuditContext
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
from fluxforge.conventions import check_version, new_id, page_of
from fluxforge.db import Connection, Database
from fluxforge.errors import FieldError, NotFound
from fluxforge.idempotency import Once, StoredResponse, remember, replay

NO_SUBSCRIPTION = "this tenant has no subscription; subscribe with POST"


async def _plan_or_404(conn: Connection, ref: str, *, for_update: bool = False) -> PlanRecord:
    found = await repository.get_plan(conn, ref, for_update=for_update)
    if found is None:
        raise NotFound(f"no plan {ref!r}")
    return found


async def _plan_views(conn: Connection, records: list[PlanRecord]) -> list[Plan]:
    versions = await repository.plan_versions(conn, [r.id for r in records])
    now = await repository.now(conn)
    return [logic.plan_view(r, versions.get(r.id, []), now) for r in records]


async def _plan_page(conn: Connection, *, after: uuid.UUID | None, limit: int, status: PlanStatus | None) -> PlanPage:
    """A page of plans with their versions; the versions of the page's plans only."""
    rows = await repository.list_plans(conn, after=after, limit=limit, status=status)
    records, next_cursor = page_of(rows, limit)
    return PlanPage(items=await _plan_views(conn, records), next_cursor=next_cursor)


async def _versions_of(conn: Connection, plan: PlanRecord) -> list[PlanVersion]:
    return (await repository.plan_versions(conn, [plan.id])).get(plan.id, [])


def _version_numbered(plan: PlanRecord, versions: list[PlanVersion], number: int) -> PlanVersion:
    found = next((v for v in versions if v.version == number), None)
    if found is None:
        raise NotFound(f"plan {plan.key!r} has no version {number}")
    return found


# --- the platform admin's catalog ----------------------------------------------------------------


async def create_plan(
    db: Database, context: AuditContext, data: PlanCreate, once: Once[Plan] | None
) -> Plan | StoredResponse:
    """A plan with its first version (which may have taken effect in the past), or the first
    response to this key."""
    logic.validate_terms(data, data.currency)
    async with db.platform() as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
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
            created_by=context.actor,
        )
        plan = logic.plan_view(created, [first], now)
        await audit.record_change(conn, context, PLATFORM_AUDIT_TENANT, "plan.create", str(plan.id), None, plan)
        await remember(conn, once, plan)
    return plan


async def list_plans(db: Database, *, after: uuid.UUID | None, limit: int, status: PlanStatus | None) -> PlanPage:
    async with db.platform() as conn:
        return await _plan_page(conn, after=after, limit=limit, status=status)


async def get_plan(db: Database, ref: str) -> Plan:
    async with db.platform() as conn:
        (found,) = await _plan_views(conn, [await _plan_or_404(conn, ref)])
    return found


async def change_plan(db: Database, context: AuditContext, ref: str, data: PlanPatch, expected_version: int) -> Plan:
    """Rename, describe or retire a plan under If-Match; an unchanged one is neither written nor audited."""
    if isinstance(data.name, str):
        data.name = data.name.strip()
    async with db.platform() as conn:
        current = await _plan_or_404(conn, ref, for_update=True)
        check_version(expected_version, current.version)
        changed = logic.apply_plan_patch(current, data, await repository.now(conn))
        if changed is not current:
            changed = await repository.update_plan(conn, changed, current.version)
            await audit.record_change(
                conn, context, PLATFORM_AUDIT_TENANT, "plan.update", str(current.id), current, changed
            )
        (view,) = await _plan_views(conn, [changed])
    return view


async def add_plan_version(
    db: Database,
    context: AuditContext,
    ref: str,
    data: PlanTerms,
    expected_version: int | None,
    once: Once[PlanVersion] | None,
) -> PlanVersion | StoredResponse:
    """New terms of a plan from now or later, after every existing version; or the first
    response to this key."""
    logic.validate_terms(data)
    async with db.platform() as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        current = await _plan_or_404(conn, ref, for_update=True)
        check_version(expected_version, current.version)
        now = await repository.now(conn)
        effective_from = logic.effective_time(data.effective_from, now, "effective_from")
        logic.check_new_version(effective_from, await _versions_of(conn, current))
        _, added = await repository.insert_version(
            conn,
            current,
            fixed_fee=data.fixed_fee,
            minimum_commitment=data.minimum_commitment,
            prices=data.prices,
            effective_from=effective_from,
            created_by=context.actor,
        )
        target = f"{current.id}/versions/{added.version}"
        await audit.record_change(conn, context, PLATFORM_AUDIT_TENANT, "plan.version_add", target, None, added)
        await remember(conn, once, added)
    return added


async def get_plan_version(db: Database, ref: str, number: int) -> PlanVersion:
    async with db.platform() as conn:
        current = await _plan_or_404(conn, ref)
        return _version_numbered(current, await _versions_of(conn, current), number)


async def withdraw_plan_version(
    db: Database, context: AuditContext, ref: str, number: int, expected_version: int | None
) -> Plan:
    """Withdraw a version that has not taken effect; the plan as it is after."""
    async with db.platform() as conn:
        current = await _plan_or_404(conn, ref, for_update=True)
        check_version(expected_version, current.version)
        existing = await _versions_of(conn, current)
        target = _version_numbered(current, existing, number)
        logic.check_withdrawal(target, existing, await repository.now(conn))
        changed = await repository.withdraw_version(conn, current, number)
        await audit.record_change(
            conn,
            context,
            PLATFORM_AUDIT_TENANT,
            "plan.version_withdraw",
            f"{current.id}/versions/{number}",
            target,
            None,
        )
        (view,) = await _plan_views(conn, [changed])
    return view


# --- tenants: the catalog and their subscription ------------------------------------------------


async def list_catalog(db: Database, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> PlanPage:
    """The plans a tenant may subscribe to: the active ones."""
    async with db.tenant(tenant_id) as conn:
        return await _plan_page(conn, after=after, limit=limit, status="active")


async def get_catalog_plan(db: Database, tenant_id: uuid.UUID, ref: str) -> Plan:
    """A plan of the catalog, also a retired one (existing subscriptions may still be on it)."""
    async with db.tenant(tenant_id) as conn:
        (found,) = await _plan_views(conn, [await _plan_or_404(conn, ref)])
    return found


async def _subscription_view(
    conn: Connection, record: SubscriptionRecord, changes: list[SubscriptionChange], now: datetime
) -> Subscription:
    versions = await repository.plan_versions(conn, {c.plan_id for c in changes if c.plan_id is not None})
    return logic.subscription_view(record, changes, versions, now)


async def _change_subscription(
    conn: Connection,
    context: AuditContext,
    tenant_id: uuid.UUID,
    kind: logic.ChangeKind,
    *,
    plan_ref: str | None,
    requested_at: datetime | None,
    expected_version: int | None,
) -> Subscription:
    """Subscribe, change plan or cancel in the caller's transaction; a request that changes
    nothing writes and audits nothing."""
    now = await repository.now(conn)
    at = logic.effective_time(requested_at, now, "effective_at")
    plan: PlanRecord | None = None
    plan_versions: list[PlanVersion] = []
    if plan_ref is not None:
        plan = await repository.get_plan(conn, plan_ref)
        if plan is None:
            raise logic.invalid([FieldError(field="plan", message=f"no plan {plan_ref!r} in the catalog")])
        plan_versions = await _versions_of(conn, plan)
    current = await repository.lock_subscription(conn, tenant_id)
    if current is None:
        if kind != "subscribe" or plan is None:
            raise NotFound(NO_SUBSCRIPTION)
        current = await repository.create_subscription(conn, tenant_id, plan.currency)
    check_version(expected_version, current.version)
    changes = await repository.subscription_changes(conn, tenant_id)
    decision = logic.decide_change(kind, changes, at, plan.id if plan is not None else None)
    if plan is not None and decision.add:  # staying on the plan in force needs nothing of it
        logic.check_plan_available(plan, plan_versions, at, current.currency)
    if not decision.superseded and not decision.add:
        return await _subscription_view(conn, current, changes, now)
    superseded_ids = {c.id for c in decision.superseded}
    await repository.delete_scheduled_changes(conn, tenant_id, sorted(superseded_ids))
    remaining = [c for c in changes if c.id not in superseded_ids]
    added = None
    if decision.add:
        added = await repository.insert_change(
            conn,
            tenant_id=tenant_id,
            change_id=new_id(),
            plan_id=plan.id if plan is not None else None,
            effective_at=at,
            created_by=context.actor,
        )
        remaining.append(added)
    updated = await repository.bump_subscription(conn, current)
    before = {
        "plan": decision.in_force.plan_key if decision.in_force is not None else None,
        "replaced_changes": [msgspec.to_builtins(c) for c in decision.superseded],
    }
    action = {"subscribe": "subscription.create", "change": "subscription.change", "cancel": "subscription.cancel"}
    after = {"plan": added.plan_key, "change": msgspec.to_builtins(added)} if added is not None else None
    await audit.record_change(conn, context, tenant_id, action[kind], str(tenant_id), before, after)
    return await _subscription_view(conn, updated, remaining, now)


async def get_subscription(db: Database, tenant_id: uuid.UUID) -> Subscription:
    """The plan version in force now and the scheduled changes."""
    async with db.tenant(tenant_id) as conn:
        current = await repository.get_subscription(conn, tenant_id)
        if current is None:
            raise NotFound(NO_SUBSCRIPTION)
        changes = await repository.subscription_changes(conn, tenant_id)
        return await _subscription_view(conn, current, changes, await repository.now(conn))


async def subscribe(
    db: Database,
    context: AuditContext,
    tenant_id: uuid.UUID,
    data: SubscriptionRequest,
    once: Once[Subscription] | None,
) -> Subscription | StoredResponse:
    """Subscribe to a plan from now or later, or the first response to this key."""
    async with db.tenant(tenant_id) as conn:
        if (earlier := await replay(conn, once)) is not None:
            return earlier
        view = await _change_subscription(
            conn,
            context,
            tenant_id,
            "subscribe",
            plan_ref=data.plan,
            requested_at=data.effective_at,
            expected_version=None,
        )
        await remember(conn, once, view)
    return view


async def change_subscription_plan(
    db: Database, context: AuditContext, tenant_id: uuid.UUID, data: SubscriptionRequest, expected_version: int
) -> Subscription:
    async with db.tenant(tenant_id) as conn:
        return await _change_subscription(
            conn,
            context,
            tenant_id,
            "change",
            plan_ref=data.plan,
            requested_at=data.effective_at,
            expected_version=expected_version,
        )


async def cancel_subscription(
    db: Database, context: AuditContext, tenant_id: uuid.UUID, effective_at: datetime | None, expected_version: int
) -> Subscription:
    async with db.tenant(tenant_id) as conn:
        return await _change_subscription(
            conn,
            context,
            tenant_id,
            "cancel",
            plan_ref=None,
            requested_at=effective_at,
            expected_version=expected_version,
        )


async def list_subscription_changes(
    db: Database, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> SubscriptionChangePage:
    """The subscription's history of changes, in the order they were made."""
    async with db.tenant(tenant_id) as conn:
        rows = await repository.list_changes_page(conn, tenant_id, after=after, limit=limit)
    items, next_cursor = page_of(rows, limit)
    return SubscriptionChangePage(items=items, next_cursor=next_cursor)
