"""SQL for plans, plan versions and subscriptions.

The catalog (plans, versions) is readable in every scope and writable only in platform scope
(row-level security); subscriptions are tenant-owned. Prices are stored as the JSON of
`pricing.Price` and decoded straight into it, whatever codecs the connection has.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from fluxforge.billing.catalog.models import PlanRecord, PlanStatus, SubscriptionChange, SubscriptionRecord
from fluxforge.billing.catalog.pricing import PlanVersion, Price, Segment, segments_for_period, subscription_history
from fluxforge.db import Connection
from fluxforge.errors import Conflict

_PLAN_COLUMNS = "id, key, name, description, currency, status, version, last_version, created_at, updated_at"
_VERSION_COLUMNS = """v.plan_id, p.key AS plan_key, v.version, p.currency, v.fixed_fee, v.minimum_commitment,
    v.prices::text AS prices, v.effective_from"""
_prices_decoder = msgspec.json.Decoder(list[Price])
_prices_encoder = msgspec.json.Encoder()


def _plan(row: asyncpg.Record) -> PlanRecord:
    return PlanRecord(**dict(row))


def _version(row: asyncpg.Record) -> PlanVersion:
    return PlanVersion(
        plan_id=row["plan_id"],
        plan_key=row["plan_key"],
        version=row["version"],
        currency=row["currency"],
        fixed_fee=row["fixed_fee"],
        minimum_commitment=row["minimum_commitment"],
        prices=_prices_decoder.decode(row["prices"]),
        effective_from=row["effective_from"],
    )


async def now(conn: Connection) -> datetime:
    """The database's time of this transaction: the one clock every "has it taken effect?" uses."""
    value: datetime = await conn.fetchval("SELECT now()")
    return value


# --- plans ----------------------------------------------------------------------------------------


async def insert_plan(
    conn: Connection, *, plan_id: uuid.UUID, key: str, name: str, description: str, currency: str
) -> PlanRecord:
    try:
        row = await conn.fetchrow(
            f"""
            INSERT INTO billing_plans (id, key, name, description, currency)
            VALUES ($1, $2, $3, $4, $5) RETURNING {_PLAN_COLUMNS}
            """,
            plan_id,
            key,
            name,
            description,
            currency,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a plan with key {key!r} already exists (plan keys are never reused)") from None
    assert row is not None
    return _plan(row)


async def get_plan(conn: Connection, ref: str, *, for_update: bool = False) -> PlanRecord | None:
    """By id, or by key when `ref` is not a UUID."""
    try:
        key: uuid.UUID | str = uuid.UUID(ref)
        column = "id"
    except ValueError:
        key, column = ref, "key"
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_PLAN_COLUMNS} FROM billing_plans WHERE {column} = $1{lock}", key)
    return _plan(row) if row is not None else None


async def list_plans(
    conn: Connection, *, after: uuid.UUID | None, limit: int, status: PlanStatus | None
) -> list[PlanRecord]:
    """Up to limit+1 plans in id (creation) order."""
    rows = await conn.fetch(
        f"""
        SELECT {_PLAN_COLUMNS} FROM billing_plans
        WHERE ($1::uuid IS NULL OR id > $1) AND ($2::text IS NULL OR status = $2)
        ORDER BY id LIMIT $3
        """,
        after,
        status,
        limit + 1,
    )
    return [_plan(row) for row in rows]


async def update_plan(conn: Connection, plan: PlanRecord, expected_version: int) -> PlanRecord:
    row = await conn.fetchrow(
        f"""
        UPDATE billing_plans SET name = $3, description = $4, status = $5, version = $6, updated_at = $7
        WHERE id = $1 AND version = $2
        RETURNING {_PLAN_COLUMNS}
        """,
        plan.id,
        expected_version,
        plan.name,
        plan.description,
        plan.status,
        plan.version,
        plan.updated_at,
    )
    if row is None:  # unreachable under FOR UPDATE, kept as the last line of defence
        raise Conflict("plan changed concurrently; read it again and retry")
    return _plan(row)


async def insert_version(
    conn: Connection,
    plan: PlanRecord,
    *,
    fixed_fee: int,
    minimum_commitment: int,
    prices: list[Price],
    effective_from: datetime,
    created_by: str,
) -> tuple[PlanRecord, PlanVersion]:
    """Add the plan's next version (the caller holds the plan's row lock) and bump the plan."""
    number = plan.last_version + 1
    row = await conn.fetchrow(
        f"""
        WITH added AS (
            INSERT INTO billing_plan_versions
                (plan_id, version, fixed_fee, minimum_commitment, prices, effective_from, created_by)
            VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7)
        )
        UPDATE billing_plans SET last_version = $2, version = version + 1, updated_at = now()
        WHERE id = $1 RETURNING {_PLAN_COLUMNS}
        """,
        plan.id,
        number,
        fixed_fee,
        minimum_commitment,
        _prices_encoder.encode(prices).decode(),
        effective_from,
        created_by,
    )
    assert row is not None
    version = PlanVersion(
        plan_id=plan.id,
        plan_key=plan.key,
        version=number,
        currency=plan.currency,
        fixed_fee=fixed_fee,
        minimum_commitment=minimum_commitment,
        prices=prices,
        effective_from=effective_from,
    )
    return _plan(row), version


async def withdraw_version(conn: Connection, plan: PlanRecord, number: int) -> PlanRecord:
    """Delete a scheduled version; row-level security refuses (deletes nothing) once it is effective."""
    row = await conn.fetchrow(
        f"""
        WITH gone AS (
            DELETE FROM billing_plan_versions WHERE plan_id = $1 AND version = $2 RETURNING 1
        )
        UPDATE billing_plans SET version = version + 1, updated_at = now()
        WHERE id = $1 AND EXISTS (SELECT FROM gone) RETURNING {_PLAN_COLUMNS}
        """,
        plan.id,
        number,
    )
    if row is None:
        raise Conflict(f"version {number} has taken effect meanwhile; effective versions are immutable")
    return _plan(row)


async def plan_versions(conn: Connection, plan_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[PlanVersion]]:
    """Every version of the given plans, oldest first."""
    rows = await conn.fetch(
        f"""
        SELECT {_VERSION_COLUMNS}
        FROM billing_plan_versions v JOIN billing_plans p ON p.id = v.plan_id
        WHERE v.plan_id = ANY($1::uuid[])
        ORDER BY v.plan_id, v.effective_from
        """,
        list(set(plan_ids)),
    )
    found: dict[uuid.UUID, list[PlanVersion]] = defaultdict(list)
    for row in rows:
        found[row["plan_id"]].append(_version(row))
    return dict(found)


# --- subscriptions --------------------------------------------------------------------------------

_SUBSCRIPTION_COLUMNS = "tenant_id, currency, version, created_at, updated_at"


async def lock_subscription(conn: Connection, tenant_id: uuid.UUID) -> SubscriptionRecord | None:
    """The tenant's subscription row, locked: changes to one tenant's subscription run one at a time."""
    row = await conn.fetchrow(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM billing_subscriptions WHERE tenant_id = $1 FOR UPDATE", tenant_id
    )
    return SubscriptionRecord(**dict(row)) if row is not None else None


async def get_subscription(conn: Connection, tenant_id: uuid.UUID) -> SubscriptionRecord | None:
    row = await conn.fetchrow(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM billing_subscriptions WHERE tenant_id = $1", tenant_id
    )
    return SubscriptionRecord(**dict(row)) if row is not None else None


async def create_subscription(conn: Connection, tenant_id: uuid.UUID, currency: str) -> SubscriptionRecord:
    """Make the tenant's subscription row (version 0, no changes yet) unless it exists, and lock it."""
    await conn.execute(
        "INSERT INTO billing_subscriptions (tenant_id, currency) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING",
        tenant_id,
        currency,
    )
    record = await lock_subscription(conn, tenant_id)
    assert record is not None
    return record


async def bump_subscription(conn: Connection, record: SubscriptionRecord) -> SubscriptionRecord:
    row = await conn.fetchrow(
        f"""
        UPDATE billing_subscriptions SET version = version + 1, updated_at = now()
        WHERE tenant_id = $1 AND version = $2 RETURNING {_SUBSCRIPTION_COLUMNS}
        """,
        record.tenant_id,
        record.version,
    )
    if row is None:  # unreachable under FOR UPDATE
        raise Conflict("subscription changed concurrently; read it again and retry")
    return SubscriptionRecord(**dict(row))


_CHANGE_COLUMNS = "c.id, c.plan_id, p.key AS plan_key, c.effective_at, c.created_at, c.created_by"


async def subscription_changes(conn: Connection, tenant_id: uuid.UUID) -> list[SubscriptionChange]:
    """The tenant's whole subscription history, oldest first (changes are few: people make them)."""
    rows = await conn.fetch(
        f"""
        SELECT {_CHANGE_COLUMNS}
        FROM billing_subscription_changes c LEFT JOIN billing_plans p ON p.id = c.plan_id
        WHERE c.tenant_id = $1 ORDER BY c.effective_at
        """,
        tenant_id,
    )
    return [SubscriptionChange(**dict(row)) for row in rows]


async def list_changes_page(
    conn: Connection, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[SubscriptionChange]:
    """Up to limit+1 changes in the order they were made (their ids are time-ordered)."""
    rows = await conn.fetch(
        f"""
        SELECT {_CHANGE_COLUMNS}
        FROM billing_subscription_changes c LEFT JOIN billing_plans p ON p.id = c.plan_id
        WHERE c.tenant_id = $1 AND ($2::uuid IS NULL OR c.id > $2)
        ORDER BY c.id LIMIT $3
        """,
        tenant_id,
        after,
        limit + 1,
    )
    return [SubscriptionChange(**dict(row)) for row in rows]


async def delete_scheduled_changes(conn: Connection, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """Drop replaced scheduled changes; row-level security keeps any that took effect meanwhile."""
    if not ids:
        return
    deleted = await conn.fetchval(
        """
        WITH gone AS (
            DELETE FROM billing_subscription_changes WHERE tenant_id = $1 AND id = ANY($2::uuid[]) RETURNING 1
        )
        SELECT count(*) FROM gone
        """,
        tenant_id,
        ids,
    )
    if deleted != len(ids):
        raise Conflict("a scheduled change took effect meanwhile and can no longer be replaced; retry")


async def insert_change(
    conn: Connection,
    *,
    tenant_id: uuid.UUID,
    change_id: uuid.UUID,
    plan_id: uuid.UUID | None,
    effective_at: datetime,
    created_by: str,
) -> SubscriptionChange:
    row = await conn.fetchrow(
        f"""
        WITH c AS (
            INSERT INTO billing_subscription_changes (tenant_id, id, effective_at, plan_id, created_by)
            VALUES ($1, $2, $3, $4, $5) RETURNING *
        )
        SELECT {_CHANGE_COLUMNS} FROM c LEFT JOIN billing_plans p ON p.id = c.plan_id
        """,
        tenant_id,
        change_id,
        effective_at,
        plan_id,
        created_by,
    )
    assert row is not None
    return SubscriptionChange(**dict(row))


# --- periods, for invoicing -------------------------------------------------------------------------


async def period_segments(
    conn: Connection, *, start: datetime, end: datetime, tenant_ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, list[Segment]]:
    """Every subscribed tenant's segments of [start, end) (platform scope; in tenant scope,
    row-level security narrows it to that tenant). Tenants with no plan in force at any
    instant of the period are left out.

    Two queries whatever the number of tenants: the changes that matter for the period (per
    tenant, the last one at or before `start` and every one before `end`), then every version
    of the plans they name; the pure `subscription_history` and `segments_for_period` do the rest.
    """
    rows = await conn.fetch(
        """
        SELECT tenant_id, effective_at, plan_id FROM (
            SELECT tenant_id, effective_at, plan_id,
                   row_number() OVER (PARTITION BY tenant_id, effective_at <= $1 ORDER BY effective_at DESC) AS nth
            FROM billing_subscription_changes
            WHERE effective_at < $2 AND ($3::uuid[] IS NULL OR tenant_id = ANY($3::uuid[]))
        ) relevant
        WHERE effective_at > $1 OR nth = 1
        ORDER BY tenant_id, effective_at
        """,
        start,
        end,
        tenant_ids,
    )
    changes: dict[uuid.UUID, list[tuple[datetime, uuid.UUID | None]]] = defaultdict(list)
    for row in rows:
        changes[row["tenant_id"]].append((row["effective_at"], row["plan_id"]))
    plan_ids = {plan_id for history in changes.values() for _, plan_id in history if plan_id is not None}
    versions = await _versions_before(conn, plan_ids, end) if plan_ids else {}
    result: dict[uuid.UUID, list[Segment]] = {}
    for tenant_id, tenant_changes in changes.items():
        segments = segments_for_period(subscription_history(tenant_changes, versions), start, end)
        if segments:
            result[tenant_id] = segments
    return result


async def _versions_before(conn: Connection, plan_ids: set[uuid.UUID], end: datetime) -> dict[uuid.UUID, Any]:
    rows = await conn.fetch(
        f"""
        SELECT {_VERSION_COLUMNS}
        FROM billing_plan_versions v JOIN billing_plans p ON p.id = v.plan_id
        WHERE v.plan_id = ANY($1::uuid[]) AND v.effective_from < $2
        """,
        list(plan_ids),
        end,
    )
    found: dict[uuid.UUID, list[PlanVersion]] = defaultdict(list)
    for row in rows:
        found[row["plan_id"]].append(_version(row))
    return found
