"""`period_segments` for invoicing: which plan version was in force for each tenant over a
billing period, against real PostgreSQL with row-level security on."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from fluxforge.billing.catalog import repository
from fluxforge.billing.catalog.pricing import Price, Tier, price_quantity
from fluxforge.db import Database
from tests.support import unique_slug


async def insert_tenant(owner_conn: asyncpg.Connection) -> uuid.UUID:
    tenant_id = uuid.uuid4()
    await owner_conn.execute(
        "INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, 'Billed')", tenant_id, unique_slug("bt")
    )
    return tenant_id


async def insert_plan(owner_conn: asyncpg.Connection, versions: list[tuple[datetime, int]]) -> uuid.UUID:
    """A plan whose versions took effect in the past (the API never backdates a later version)."""
    plan_id = uuid.uuid4()
    await owner_conn.execute(
        "INSERT INTO billing_plans (id, key, name, currency, last_version) VALUES ($1, $2, 'Old', 'USD', $3)",
        plan_id,
        unique_slug("op"),
        len(versions),
    )
    prices = '[{"meter_key": "api.request", "model": "per_unit", "unit_price": "0.5"}]'
    await owner_conn.executemany(
        """
        INSERT INTO billing_plan_versions
            (plan_id, version, fixed_fee, minimum_commitment, prices, effective_from, created_by)
        VALUES ($1, $2, $3, 0, $4::jsonb, $5, 'test')
        """,
        [(plan_id, n, fee, prices, at) for n, (at, fee) in enumerate(versions, start=1)],
    )
    return plan_id


async def subscribe_directly(
    owner_conn: asyncpg.Connection, tenant_id: uuid.UUID, changes: list[tuple[datetime, uuid.UUID | None]]
) -> None:
    await owner_conn.execute("INSERT INTO billing_subscriptions (tenant_id, currency) VALUES ($1, 'USD')", tenant_id)
    await owner_conn.executemany(
        """
        INSERT INTO billing_subscription_changes (tenant_id, id, effective_at, plan_id, created_by)
        VALUES ($1, $2, $3, $4, 'test')
        """,
        [(tenant_id, uuid.uuid4(), at, plan_id) for at, plan_id in changes],
    )


MAY = datetime(2026, 5, 1, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, tzinfo=UTC)


async def test_period_segments_follow_changes_and_new_versions(
    owner_conn: asyncpg.Connection, app_db: Database
) -> None:
    pro = await insert_plan(owner_conn, [(MAY - timedelta(days=60), 1000), (MAY + timedelta(days=10), 2000)])
    team = await insert_plan(owner_conn, [(MAY - timedelta(days=60), 5000)])
    switcher, joiner, gone, later = [await insert_tenant(owner_conn) for _ in range(4)]
    await subscribe_directly(owner_conn, switcher, [(MAY - timedelta(days=40), pro), (MAY + timedelta(days=20), team)])
    await subscribe_directly(owner_conn, joiner, [(MAY + timedelta(days=15), pro), (MAY + timedelta(days=25), None)])
    await subscribe_directly(owner_conn, gone, [(MAY - timedelta(days=40), pro), (MAY - timedelta(days=1), None)])
    await subscribe_directly(owner_conn, later, [(JUNE, team)])
    ids = [switcher, joiner, gone, later]

    async with app_db.platform() as conn:
        found = await repository.period_segments(conn, start=MAY, end=JUNE, tenant_ids=ids)
    assert set(found) == {switcher, joiner}

    def shape(segments: list[Any]) -> list[tuple[str, int, int, datetime, datetime]]:
        return [(str(s.plan.plan_id), s.plan.version, s.plan.fixed_fee, s.start, s.end) for s in segments]

    assert shape(found[switcher]) == [
        (str(pro), 1, 1000, MAY, MAY + timedelta(days=10)),
        (str(pro), 2, 2000, MAY + timedelta(days=10), MAY + timedelta(days=20)),
        (str(team), 1, 5000, MAY + timedelta(days=20), JUNE),
    ]
    assert shape(found[joiner]) == [(str(pro), 2, 2000, MAY + timedelta(days=15), MAY + timedelta(days=25))]
    assert found[joiner][0].plan.prices == [Price(meter_key="api.request", model="per_unit", unit_price=Decimal("0.5"))]
    # In a tenant's scope, row-level security narrows it to that tenant.
    async with app_db.tenant(switcher) as conn:
        own = await repository.period_segments(conn, start=MAY, end=JUNE)
    assert set(own) == {switcher}
    async with app_db.platform() as conn:
        june = await repository.period_segments(conn, start=JUNE, end=JUNE + timedelta(days=30), tenant_ids=ids)
    assert {t: [s.plan.plan_id for s in segs] for t, segs in june.items()} == {switcher: [team], later: [team]}
    # Tiers survive the round trip through jsonb exactly.
    assert (
        price_quantity(
            Price(
                meter_key="x", model="graduated", tiers=[Tier(Decimal(1), Decimal("0.5")), Tier(None, Decimal("0.25"))]
            ),
            Decimal(3),
        ).amount
        == 1
    )


async def test_period_segments_for_a_thousand_tenants_in_two_queries(
    owner_conn: asyncpg.Connection, app_db: Database
) -> None:
    plans = [
        await insert_plan(owner_conn, [(MAY - timedelta(days=90), 1000 * n), (MAY + timedelta(days=n), 1500 * n)])
        for n in range(1, 4)
    ]
    tenants = [(uuid.uuid4(), unique_slug("bulk")) for _ in range(1000)]
    await owner_conn.copy_records_to_table(
        "tenants", records=[(t, s, "Bulk") for t, s in tenants], columns=["id", "slug", "display_name"]
    )
    ids = [t for t, _ in tenants]
    await owner_conn.copy_records_to_table(
        "billing_subscriptions", records=[(t, "USD") for t in ids], columns=["tenant_id", "currency"]
    )
    changes: list[tuple[uuid.UUID, uuid.UUID, datetime, uuid.UUID | None, str]] = []
    for n, tenant_id in enumerate(ids):
        changes.append((tenant_id, uuid.uuid4(), MAY - timedelta(days=30 + n % 7), plans[n % 3], "test"))
        changes.append((tenant_id, uuid.uuid4(), MAY - timedelta(days=60), plans[(n + 1) % 3], "test"))  # older
        if n % 2:
            changes.append(
                (tenant_id, uuid.uuid4(), MAY + timedelta(days=5 + n % 20, seconds=n), plans[(n + 1) % 3], "test")
            )
        if n % 10 == 0:
            changes.append((tenant_id, uuid.uuid4(), MAY + timedelta(days=27), None, "test"))
    await owner_conn.copy_records_to_table(
        "billing_subscription_changes",
        records=changes,
        columns=["tenant_id", "id", "effective_at", "plan_id", "created_by"],
    )

    statements: list[str] = []

    def log(record: Any) -> None:
        statements.append(record.query)

    try:
        async with app_db.platform() as conn:
            conn.add_query_logger(log)
            try:
                started = time.perf_counter()
                found = await repository.period_segments(conn, start=MAY, end=JUNE, tenant_ids=ids)
                elapsed = time.perf_counter() - started
            finally:
                conn.remove_query_logger(log)
    finally:  # a thousand tenants would otherwise crowd every later listing of tenants
        await owner_conn.execute("DELETE FROM billing_subscription_changes WHERE tenant_id = ANY($1)", ids)
        await owner_conn.execute("DELETE FROM billing_subscriptions WHERE tenant_id = ANY($1)", ids)
        await owner_conn.execute("DELETE FROM tenants WHERE id = ANY($1)", ids)
    assert len([q for q in statements if "billing_" in q]) == 2  # asyncpg may add its type introspection
    assert set(found) == set(ids)
    for n, tenant_id in enumerate(ids):
        segments = found[tenant_id]
        assert segments[0].start == MAY
        assert segments[-1].end == (MAY + timedelta(days=27) if n % 10 == 0 else JUNE)
        assert all(a.end == b.start for a, b in itertools.pairwise(segments))
    print(f"period_segments: 1,000 tenants, {len(changes)} changes, {elapsed * 1000:.1f} ms")
    assert elapsed < 1.0
