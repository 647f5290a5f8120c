"""The rules of the plan catalog and of subscription changes. Pure: no I/O.

History is never rewritten: a plan version or a subscription change that has taken effect is
immutable (the database refuses to update them, and to delete them once effective). New terms
and plan changes therefore take effect now or later, never earlier.

Times are whole seconds (a requested fraction rounds up), so proration works on whole seconds.
"Now" is the current second of the database's transaction time: a change without a time takes
effect at once, from the start of the current second. A change of that same second has not
covered any time yet, so a second change in the same second may still replace it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from fluxforge.billing.catalog.currency import UnknownCurrency, currency_exponent
from fluxforge.billing.catalog.models import (
    Plan,
    PlanPatch,
    PlanRecord,
    PlanTerms,
    Subscription,
    SubscriptionChange,
    SubscriptionRecord,
)
from fluxforge.billing.catalog.pricing import PlanVersion, plan_version_at, price_errors
from fluxforge.errors import Conflict, FieldError, InvalidRequest

SECOND = timedelta(seconds=1)
METER_KEY_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9._:-]{0,126}[a-z0-9])?$")
ChangeKind = Literal["subscribe", "change", "cancel"]


def ceil_second(at: datetime) -> datetime:
    """`at` rounded up to a whole second (a requested time never moves into the past)."""
    floored = at.replace(microsecond=0)
    return floored if floored == at else floored + SECOND


def effective_time(requested: datetime | None, now: datetime, field: str, *, allow_past: bool = False) -> datetime:
    """When a change takes effect: the requested time rounded up to a whole second, or the
    current second when none is given. Earlier seconds are refused unless allowed."""
    current = now.replace(microsecond=0)
    if requested is None:
        return current
    if requested.tzinfo is None or requested.utcoffset() is None:
        message = "must include a time zone offset, e.g. 2027-01-01T00:00:00Z"
        raise InvalidRequest(f"{field}: {message}", errors=[FieldError(field=field, message=message)])
    at = ceil_second(requested)
    if not allow_past and at < current:
        message = f"must not be in the past (now is {current.isoformat()}); what has taken effect is never changed"
        raise InvalidRequest(f"{field}: {message}", errors=[FieldError(field=field, message=message)])
    return at


def invalid(errors: list[FieldError]) -> InvalidRequest:
    return InvalidRequest("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def validate_terms(terms: PlanTerms, currency: str | None = None) -> None:
    """Refuse terms that cannot be priced, or an unknown currency, naming every offending field."""
    errors: list[FieldError] = []
    if currency is not None:
        try:
            currency_exponent(currency)
        except UnknownCurrency as exc:
            errors.append(FieldError(field="currency", message=str(exc)))
    seen: dict[str, int] = {}
    for index, price in enumerate(terms.prices):
        if not METER_KEY_PATTERN.match(price.meter_key):
            errors.append(
                FieldError(
                    field=f"prices[{index}].meter_key",
                    message="must be 1-128 lowercase letters, digits, '.', '_', ':' or '-', "
                    "starting and ending with a letter or digit (e.g. api.request)",
                )
            )
        elif price.meter_key in seen:
            errors.append(
                FieldError(
                    field=f"prices[{index}].meter_key",
                    message=f"{price.meter_key!r} is already priced by prices[{seen[price.meter_key]}]; "
                    "a plan version has one price per meter",
                )
            )
        else:
            seen[price.meter_key] = index
        errors.extend(FieldError(field=f"prices[{index}].{f}", message=m) for f, m in price_errors(price))
    if errors:
        raise invalid(errors)


def check_new_version(effective_from: datetime, existing: Sequence[PlanVersion]) -> None:
    """A later version must take effect after every existing one (versions ascend in time)."""
    latest = max(existing, key=lambda v: v.effective_from, default=None)
    if latest is not None and effective_from <= latest.effective_from:
        raise Conflict(
            f"effective_from must be after version {latest.version}'s ({latest.effective_from.isoformat()}); "
            "withdraw that version first if it should not take effect"
        )


def check_withdrawal(target: PlanVersion, existing: Sequence[PlanVersion], now: datetime) -> None:
    """Only a scheduled version may be withdrawn, and never the first (retire the plan instead)."""
    if target.effective_from <= now:
        raise Conflict(
            f"version {target.version} took effect at {target.effective_from.isoformat()}; "
            "effective versions are immutable: add a new version instead"
        )
    if min(existing, key=lambda v: v.effective_from) is target:
        raise Conflict("the first version of a plan cannot be withdrawn; retire the plan instead")


def plan_view(record: PlanRecord, versions: Sequence[PlanVersion], now: datetime) -> Plan:
    """A plan with its versions, oldest first, and the number of the one in force at `now`."""
    ordered = sorted(versions, key=lambda v: v.effective_from)
    in_force = plan_version_at(ordered, now)
    return Plan(
        id=record.id,
        key=record.key,
        name=record.name,
        description=record.description,
        currency=record.currency,
        status=record.status,
        version=record.version,
        current_version=in_force.version if in_force is not None else None,
        versions=ordered,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def apply_plan_patch(current: PlanRecord, patch: PlanPatch, now: datetime) -> PlanRecord:
    """The plan after a merge patch; the very same object when nothing changes (nothing to write)."""
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(patch).items()
        if value is not msgspec.UNSET and getattr(current, name) != value
    }
    if not changes:
        return current
    return msgspec.structs.replace(current, **changes, version=current.version + 1, updated_at=now)


def check_plan_available(
    plan: PlanRecord, versions: Sequence[PlanVersion], at: datetime, currency: str | None
) -> PlanVersion:
    """The version a subscription to `plan` from `at` starts on; refused (Conflict) when the plan is
    retired, priced in another currency than the tenant's, or has no version in force yet."""
    if plan.status != "active":
        raise Conflict(f"plan {plan.key!r} is retired and takes no new subscriptions")
    if currency is not None and plan.currency != currency:
        raise Conflict(
            f"plan {plan.key!r} is priced in {plan.currency}, this tenant is billed in {currency}; "
            "a tenant's subscriptions stay in one currency so that each invoice has one"
        )
    version = plan_version_at(versions, at)
    if version is None:
        first = min((v.effective_from for v in versions), default=None)
        when = f"its first version takes effect at {first.isoformat()}" if first else "it has no versions"
        raise Conflict(f"plan {plan.key!r} has no version in force at {at.isoformat()}: {when}")
    return version


class ChangeDecision(msgspec.Struct, frozen=True):
    """What a requested change does: which scheduled changes it replaces, and whether it adds one."""

    in_force: SubscriptionChange | None  # the change in force at the requested time, as things stand
    superseded: list[SubscriptionChange]
    add: bool


def _latest(changes: Iterable[SubscriptionChange]) -> SubscriptionChange | None:
    return max(changes, key=lambda c: c.effective_at, default=None)


def decide_change(
    kind: ChangeKind, changes: Sequence[SubscriptionChange], at: datetime, plan_id: uuid.UUID | None
) -> ChangeDecision:
    """Apply the subscription rules to a request to subscribe, change plan or cancel from `at`
    (`plan_id` is the target plan, None to cancel). As things stand at `at`:

    - subscribe: no plan may be in force (never subscribed, or cancelled);
    - change and cancel: a plan must be in force;
    - every change at or after `at` is replaced: the latest decision wins (they are all
      scheduled, or of this very second, so no billed time changes); a change for exactly
      `at` to the same target is kept, so repeating a request changes nothing;
    - a new change is added only when it differs from what is in force just before `at`
      once those are replaced (a move back to that plan only drops the replaced changes).
    """
    in_force = _latest(c for c in changes if c.effective_at <= at)
    subscribed = in_force is not None and in_force.plan_id is not None
    when = at.isoformat()
    if kind == "subscribe" and in_force is not None and in_force.plan_id is not None:
        raise Conflict(f"already subscribed to {in_force.plan_key!r} at {when}; change plans with PUT")
    if kind in ("change", "cancel") and not subscribed:
        raise Conflict(f"no subscription is in force at {when}; subscribe with POST")
    # A change already made for this very instant and target stays as it is (a repeat is a no-op).
    keep = in_force is not None and in_force.effective_at == at and in_force.plan_id == plan_id
    superseded = sorted(
        (c for c in changes if c.effective_at > at or (c.effective_at == at and not keep)),
        key=lambda c: c.effective_at,
    )
    previous = _latest(c for c in changes if c.effective_at < at)
    add = not keep and (previous.plan_id if previous is not None else None) != plan_id
    return ChangeDecision(in_force=in_force, superseded=superseded, add=add)


def subscription_view(
    record: SubscriptionRecord,
    changes: Sequence[SubscriptionChange],
    versions: Mapping[uuid.UUID, Sequence[PlanVersion]],
    now: datetime,
) -> Subscription:
    """The subscription as of `now`: the version in force, and what is scheduled."""
    current = max((c for c in changes if c.effective_at <= now), key=lambda c: c.effective_at, default=None)
    plan = None
    if current is not None and current.plan_id is not None:
        plan = plan_version_at(versions.get(current.plan_id, ()), now)
    scheduled = sorted((c for c in changes if c.effective_at > now), key=lambda c: c.effective_at)
    status: Literal["active", "scheduled", "cancelled"]
    if plan is not None:
        status = "active"
    elif any(c.plan_id is not None for c in scheduled):
        status = "scheduled"
    else:
        status = "cancelled"
    return Subscription(
        tenant_id=record.tenant_id,
        status=status,
        currency=record.currency,
        plan=plan,
        scheduled_changes=scheduled,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
