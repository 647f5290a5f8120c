"""Closing billing periods against real PostgreSQL (row-level security on): one draft invoice per
subscribed tenant from real usage events and subscriptions, idempotent under repetition and
concurrency, refused when bad or overlapping; a stored usage line recomputes from the raw events."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

import asyncpg
import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluxforge.billing.catalog.pricing import prorate
from fluxforge.billing.invoices import logic, repository, service
from fluxforge.db import Database
from tests.integration.invoice_support import (
    ADMIN,
    CALLS,
    LONG_AGO,
    PRICES,
    PROBLEM,
    STORAGE,
    add_events,
    billed_tenant,
    close,
    insert_plan,
    insert_tenant,
    invoice_json,
    iso,
    next_period,
    spread,
    subscribe,
)
from tests.support import Client


async def test_closing_makes_one_draft_per_subscribed_tenant_from_its_usage(
    client: Client,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
) -> None:
    start, end = next_period()
    steady = await billed_tenant(owner_conn, start, end, calls=12, gb=["4", "9.5"])  # 13.5 GB
    # A tenant that switches plans after 10 days: v1 then another plan, each priced on its own.
    switcher = await insert_tenant(owner_conn)
    change = start + timedelta(days=10)
    cheap = await insert_plan(owner_conn, [(LONG_AGO, 3_000, 0)])
    dear = await insert_plan(owner_conn, [(LONG_AGO, 6_000, 10_000)], prices=[{**PRICES[0], "unit_price": "3"}])
    await subscribe(owner_conn, switcher, [(start, cheap), (change, dear), (end, None)])
    await add_events(owner_conn, switcher, "inv.call", spread(start, change, 5) + spread(change, end, 7))
    unsubscribed = await insert_tenant(owner_conn)
    await add_events(owner_conn, unsubscribed, "inv.call", spread(start, end, 3))

    result = await close(client, start, end)
    assert result["created"] == 2
    by_tenant = {item["tenant_id"]: item for item in result["invoices"]}
    assert set(by_tenant) == {str(steady.tenant_id), str(switcher)}
    assert all(item["status"] == "draft" and item["number"] is None for item in result["invoices"])

    invoice = await invoice_json(client, by_tenant[str(steady.tenant_id)]["id"])
    lines = invoice["lines"]
    assert [(line["kind"], line["meter_key"]) for line in lines] == [
        ("fixed_fee", None),
        ("usage", CALLS),
        ("usage", STORAGE),
    ]
    fee, calls, storage = lines
    assert fee["amount"] == 2_000
    assert fee["quantity"] == "1"
    assert (calls["quantity"], calls["billable_quantity"], calls["unit_price"], calls["amount"]) == (
        "12",
        "10",
        "0.5",
        5,
    )
    assert calls["source"]["event_count"] == 12
    assert (calls["source"]["window_start"], calls["source"]["window_end"]) == (iso(start), iso(end))
    assert calls["source"]["plan_id"] == str(steady.plan_id)
    assert calls["source"]["plan_version"] == 1
    assert storage["quantity"] == "13.5"
    assert storage["unit_price"] is None
    tiers: list[tuple[object, ...]] = [
        (t["tier_index"], Decimal(t["quantity"]), Decimal(t["amount"])) for t in storage["tiers"]
    ]
    assert tiers == [(0, 10, 1000), (1, Decimal("3.5"), 200)]
    assert storage["amount"] == 1_200
    assert invoice["subtotal"] == invoice["total"] == 2_000 + 5 + 1_200 == sum(line["amount"] for line in lines)
    assert invoice["currency"] == "USD"
    assert invoice["customer_name"] == "Billed Co"

    switched = await invoice_json(client, by_tenant[str(switcher)]["id"])
    shape = [
        (line["kind"], line["source"]["plan_id"], line["source"]["window_start"], line["amount"])
        for line in switched["lines"]
    ]
    cheap_fee = prorate(3_000, 10 * 86_400, 30 * 86_400)
    dear_fee = prorate(6_000, 20 * 86_400, 30 * 86_400)
    dear_minimum = prorate(10_000, 20 * 86_400, 30 * 86_400)
    assert shape == [
        ("fixed_fee", str(cheap), iso(start), cheap_fee),
        ("usage", str(cheap), iso(start), 2),  # 5 calls, 2 included, 0.5 each
        ("fixed_fee", str(dear), iso(change), dear_fee),
        ("usage", str(dear), iso(change), 15),  # 7 calls, 2 included, 3 each
        ("minimum_commitment", str(dear), iso(change), dear_minimum - dear_fee - 15),
    ]
    assert switched["total"] == sum(line["amount"] for line in switched["lines"])
    assert switched["subtotal"] == switched["total"] - (dear_minimum - dear_fee - 15)


async def test_closing_again_returns_the_same_invoices_and_makes_none(
    client: Client,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
) -> None:
    start, end = next_period()
    tenants = [await billed_tenant(owner_conn, start, end, calls=3) for _ in range(3)]
    results = await asyncio.gather(*(close(client, start, end) for _ in range(4)))
    assert sorted(r["created"] for r in results)[-1] >= 1
    assert sum(r["created"] for r in results) == 3
    ids = {tuple(sorted(item["id"] for item in r["invoices"])) for r in results}
    assert len(ids) == 1
    assert len(next(iter(ids))) == 3
    again = await close(client, start, end)
    assert again["created"] == 0
    assert tuple(sorted(i["id"] for i in again["invoices"])) in ids
    for tenant in tenants:
        count = await owner_conn.fetchval("SELECT count(*) FROM invoices WHERE tenant_id = $1", tenant.tenant_id)
        assert count == 1
    # Usage ingest into the window is closed too (metering refuses later events).
    closed = await owner_conn.fetchval(
        "SELECT count(*) FROM usage_periods WHERE start_at = $1 AND end_at = $2", start, end
    )
    assert closed == 1


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tenants=st.integers(0, 4), repeats=st.integers(1, 4), concurrent=st.booleans())
async def test_property_closing_is_idempotent(
    client: Client,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
    tenants: int,
    repeats: int,
    concurrent: bool,
) -> None:
    start, end = next_period()
    for _ in range(tenants):
        await billed_tenant(owner_conn, start, end, calls=2)
    if concurrent:
        results = await asyncio.gather(*(close(client, start, end) for _ in range(repeats)))
    else:
        results = [await close(client, start, end) for _ in range(repeats)]
    assert sum(r["created"] for r in results) == tenants
    snapshots = {msgspec.json.encode(sorted(r["invoices"], key=lambda i: i["id"])) for r in results}
    assert len(snapshots) == 1
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM invoices WHERE period_start = $1 AND period_end = $2", start, end
        )
        == tenants
    )


async def test_bad_and_overlapping_periods_are_refused(
    client: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    start, end = next_period()
    url = "/v1/admin/billing/periods/close"
    for body in (
        {"start": iso(end), "end": iso(start)},
        {"start": iso(start), "end": "2999-01-01T00:00:00Z"},
        {"start": "2021-01-01T00:00:00", "end": iso(end)},  # no offset
        {"start": iso(start)},
    ):
        response = await client.post(url, json=body, headers=ADMIN)
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert (await client.post(url, json={"start": iso(start), "end": iso(end)})).status_code == 401
    await close(client, start, end)
    overlapping = await client.post(
        url, json={"start": iso(start + timedelta(days=1)), "end": iso(end + timedelta(days=1))}, headers=ADMIN
    )
    assert overlapping.status_code == 409, overlapping.text
    assert overlapping.json()["type"].endswith("/conflict")
    next_period()  # the overlap reached into the next slot; leave it unused


async def test_a_usage_line_recomputes_from_the_raw_events(
    client: Client,
    owner_conn: asyncpg.Connection,
    app_db: Database,
    billing_meters: None,
) -> None:
    start, end = next_period()
    tenant = await billed_tenant(owner_conn, start, end, calls=40, gb=["11", "0.25"])
    result = await close(client, start, end)
    (invoice,) = [i for i in result["invoices"] if i["tenant_id"] == str(tenant.tenant_id)]
    invoice_id = uuid.UUID(invoice["id"])
    async with app_db.tenant(tenant.tenant_id) as conn:  # the tenant's own scope suffices
        stored = await repository.get(conn, tenant.tenant_id, invoice_id)
        assert stored is not None
        usage_lines = [line for line in stored.lines if line.kind == "usage"]
        assert len(usage_lines) == 2
        for line in usage_lines:
            original, recomputed = await service.recompute_line(conn, tenant.tenant_id, invoice_id, line.position)
            assert recomputed == logic.as_draft(original)
