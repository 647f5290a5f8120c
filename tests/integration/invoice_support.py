"""What the invoice tests share: a billed tenant on a plan with usage in a period of its own,
closing that period over the admin API, and the constants they bill with. Plain helpers; the
`billing_meters` fixture is in tests/integration/conftest.py."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from fluxforge.conventions import new_id
from tests.conftest import ADMIN_TOKEN
from tests.support import Client, unique_slug

PROBLEM = "application/problem+json"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LONG_AGO = datetime(2019, 1, 1, tzinfo=UTC)
TenantOwner = tuple[str, dict[str, str]]

# Platform meters the tests bill for: a count and a sum.
CALLS, STORAGE = "inv.calls", "inv.storage-gb"
PRICES: list[dict[str, Any]] = [
    {"meter_key": CALLS, "model": "per_unit", "unit_price": "0.5", "included_quantity": "2"},
    {
        "meter_key": STORAGE,
        "model": "graduated",
        "tiers": [
            {"up_to": "10", "unit_price": "100", "flat_fee": 0},
            {"up_to": None, "unit_price": "50", "flat_fee": 25},
        ],
    },
]

_periods = itertools.count()


def next_period() -> tuple[datetime, datetime]:
    """A 30-day period in the past that no other test uses (closed periods may not overlap)."""
    start = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(days=31 * next(_periods))
    return start, start + timedelta(days=30)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def ensure_billing_meters(owner_conn: asyncpg.Connection) -> None:
    await owner_conn.execute(
        """
        INSERT INTO platform_meters (id, key, event_type, aggregation, value_property, unit)
        VALUES ($1, $2, 'inv.call', 'count', NULL, 'calls'), ($3, $4, 'inv.storage', 'sum', 'gb', 'GB')
        ON CONFLICT (key) DO NOTHING
        """,
        new_id(),
        CALLS,
        new_id(),
        STORAGE,
    )


async def insert_tenant(owner_conn: asyncpg.Connection, display_name: str = "Billed Co") -> uuid.UUID:
    tenant_id = new_id()
    await owner_conn.execute(
        "INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, $3)", tenant_id, unique_slug("iv"), display_name
    )
    return tenant_id


async def insert_plan(
    owner_conn: asyncpg.Connection,
    versions: list[tuple[datetime, int, int]],
    prices: list[dict[str, Any]] | None = None,
    currency: str = "USD",
) -> uuid.UUID:
    """A plan whose versions (effective_from, fixed_fee, minimum_commitment) took effect long ago."""
    plan_id = uuid.uuid4()
    await owner_conn.execute(
        "INSERT INTO billing_plans (id, key, name, currency, last_version) VALUES ($1, $2, 'Pro', $3, $4)",
        plan_id,
        unique_slug("ip"),
        currency,
        len(versions),
    )
    await owner_conn.executemany(
        """
        INSERT INTO billing_plan_versions
            (plan_id, version, fixed_fee, minimum_commitment, prices, effective_from, created_by)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6, 'test')
        """,
        [
            (plan_id, n, fee, minimum, msgspec.json.encode(prices or PRICES).decode(), at)
            for n, (at, fee, minimum) in enumerate(versions, start=1)
        ],
    )
    return plan_id


async def subscribe(
    owner_conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    changes: list[tuple[datetime, uuid.UUID | None]],
    currency: str = "USD",
) -> None:
    """Subscription history; tests end it inside their own period, so other periods never see it."""
    await owner_conn.execute(
        "INSERT INTO billing_subscriptions (tenant_id, currency) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        tenant_id,
        currency,
    )
    await owner_conn.executemany(
        """
        INSERT INTO billing_subscription_changes (tenant_id, id, effective_at, plan_id, created_by)
        VALUES ($1, $2, $3, $4, 'test')
        """,
        [(tenant_id, uuid.uuid4(), at, plan_id) for at, plan_id in changes],
    )


async def add_events(
    owner_conn: asyncpg.Connection, tenant_id: uuid.UUID, event_type: str, times: list[datetime], gb: str | None = None
) -> None:
    properties = "{}" if gb is None else f'{{"gb": {Decimal(gb)}}}'  # a JSON number, exactly as written
    rows = [(tenant_id, at, f"ev-{uuid.uuid4()}", event_type, "subject", properties) for at in times]
    await owner_conn.copy_records_to_table(
        "usage_events",
        records=rows,
        columns=["tenant_id", "occurred_at", "event_id", "type", "subject", "properties"],
    )


def spread(start: datetime, end: datetime, count: int) -> list[datetime]:
    step = (end - start) / (count + 1)
    return [start + step * (i + 1) for i in range(count)]


async def close(client: Client, start: datetime, end: datetime) -> dict[str, Any]:
    response = await client.post(
        "/v1/admin/billing/periods/close", json={"start": iso(start), "end": iso(end)}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def invoice_json(client: Client, invoice_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/admin/invoices/{invoice_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class Billed:
    """A tenant on a plan for one period, with usage in it (and around it)."""

    def __init__(self, tenant_id: uuid.UUID, start: datetime, end: datetime, plan_id: uuid.UUID) -> None:
        self.tenant_id, self.start, self.end, self.plan_id = tenant_id, start, end, plan_id


async def billed_tenant(
    owner_conn: asyncpg.Connection,
    start: datetime,
    end: datetime,
    *,
    calls: int = 12,
    gb: list[str] | None = None,
    fixed_fee: int = 2_000,
    minimum: int = 0,
    tenant_id: uuid.UUID | None = None,
) -> Billed:
    tenant_id = tenant_id or await insert_tenant(owner_conn)
    plan_id = await insert_plan(owner_conn, [(LONG_AGO, fixed_fee, minimum)])
    await subscribe(owner_conn, tenant_id, [(start, plan_id), (end, None)])
    await add_events(owner_conn, tenant_id, "inv.call", spread(start, end, calls))
    for value in gb or []:
        await add_events(owner_conn, tenant_id, "inv.storage", [start + timedelta(hours=5)], gb=value)
    # Outside the period: never billed in it.
    await add_events(owner_conn, tenant_id, "inv.call", [start - timedelta(seconds=1), end])
    return Billed(tenant_id, start, end, plan_id)


async def draft_for(client: Client, owner_conn: asyncpg.Connection, **kwargs: Any) -> dict[str, Any]:
    start, end = next_period()
    tenant = await billed_tenant(owner_conn, start, end, **kwargs)
    result = await close(client, start, end)
    mine: list[dict[str, Any]] = [i for i in result["invoices"] if i["tenant_id"] == str(tenant.tenant_id)]
    (invoice,) = mine
    return invoice
