"""Plans and subscriptions as the API shows and accepts them.

The rate-card terms themselves (`Tier`, `Price`, `PlanVersion`) are the pure pricing module's
structs, so what an admin posts is exactly what invoicing prices with.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from fluxforge.billing.catalog.pricing import PlanVersion, Price

PLAN_KEY_PATTERN = r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$"
PlanKey = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=40,
        pattern=PLAN_KEY_PATTERN,
        description="The plan's stable name in URLs and on invoices: 3-40 lowercase letters, digits "
        "and hyphens, starting with a letter. Never reused.",
        examples=["pro"],
    ),
]
CurrencyCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of the plan's currency; all its money is in this currency's minor units.",
        examples=["USD"],
    ),
]
MinorUnits = Annotated[
    int,
    msgspec.Meta(ge=0, lt=10**15, description="Integer minor units of the plan's currency (cents for USD)."),
]
PlanName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S", examples=["Pro"])]
PlanDescription = Annotated[str, msgspec.Meta(max_length=2000)]
PlanStatus = Literal["active", "retired"]
Instant = Annotated[datetime, msgspec.Meta(tz=True)]
PlanRef = Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="The plan's key or id.")]


class PlanTerms(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new version of a plan's terms.

    `effective_from` defaults to now; times are kept to the second (a fraction rounds up). A
    later version must not take effect in the past, and must take effect after every existing one."""

    fixed_fee: MinorUnits = 0
    minimum_commitment: MinorUnits = 0
    prices: Annotated[list[Price], msgspec.Meta(max_length=100)] = []
    effective_from: Instant | None = None


class PlanCreate(PlanTerms, kw_only=True, forbid_unknown_fields=True):
    """A new plan with its first version's terms (which may take effect at any time)."""

    key: PlanKey
    name: PlanName
    description: PlanDescription = ""
    currency: CurrencyCode


class PlanPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """JSON merge patch of a plan's description. Terms change only through new versions; a
    retired plan takes no new subscriptions (existing ones continue)."""

    name: PlanName | msgspec.UnsetType = msgspec.UNSET
    description: PlanDescription | msgspec.UnsetType = msgspec.UNSET
    status: PlanStatus | msgspec.UnsetType = msgspec.UNSET


class PlanRecord(msgspec.Struct, kw_only=True, frozen=True):
    """A plan's own row, without its versions."""

    id: uuid.UUID
    key: str
    name: str
    description: str
    currency: str
    status: PlanStatus
    version: int
    last_version: int
    created_at: datetime
    updated_at: datetime


class Plan(msgspec.Struct, kw_only=True):
    """A plan and all its versions, oldest first. `version` is the ETag of the plan resource
    (it moves with every change, new versions included); `current_version` is the number of
    the version in force now (null before the first takes effect)."""

    id: uuid.UUID
    key: str
    name: str
    description: str
    currency: str
    status: PlanStatus
    version: int
    current_version: int | None
    versions: list[PlanVersion]
    created_at: datetime
    updated_at: datetime


class PlanPage(msgspec.Struct, kw_only=True):
    items: list[Plan]
    next_cursor: str | None


class SubscriptionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Subscribe to, or change to, a plan. `effective_at` defaults to now (the current second)
    and must not lie in the past (history is never rewritten); a later time schedules the
    change. A change replaces every change scheduled at or after its own time."""

    plan: PlanRef
    effective_at: Instant | None = None


class SubscriptionChange(msgspec.Struct, kw_only=True):
    """From `effective_at` on, the tenant is on `plan_key` (null: the subscription is cancelled)."""

    id: uuid.UUID
    plan_id: uuid.UUID | None
    plan_key: str | None
    effective_at: datetime
    created_at: datetime
    created_by: str


class SubscriptionChangePage(msgspec.Struct, kw_only=True):
    items: list[SubscriptionChange]
    next_cursor: str | None


SubscriptionStatus = Literal["active", "scheduled", "cancelled"]


class SubscriptionRecord(msgspec.Struct, kw_only=True, frozen=True):
    tenant_id: uuid.UUID
    currency: str
    version: int
    created_at: datetime
    updated_at: datetime


class Subscription(msgspec.Struct, kw_only=True):
    """A tenant's subscription now. `plan` is the plan version in force at this moment;
    `status` is `active` (a plan is in force), `scheduled` (none yet, one is scheduled) or
    `cancelled`. The currency is fixed by the first subscription: every plan the tenant moves
    to must be priced in it, so that each invoice has one currency. `version` is the ETag."""

    tenant_id: uuid.UUID
    status: SubscriptionStatus
    currency: str
    plan: PlanVersion | None
    scheduled_changes: list[SubscriptionChange]
    version: int
    created_at: datetime
    updated_at: datetime
