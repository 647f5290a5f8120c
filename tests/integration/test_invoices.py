"""Invoices against real PostgreSQL (row-level security on): closing periods from real usage events
and subscriptions, the lifecycle with gapless numbering under concurrency, and the tenant routes
(JSON, CSV, PDF)."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from fluxforge.audit.models import AuditContext
from fluxforge.billing.invoices import logic, repository, service
from fluxforge.billing.invoices.models import InvoiceDraft, Issuer, LineDraft, LineSource
from fluxforge.config import Settings
from fluxforge.conventions import new_id
from fluxforge.db import Database, create_pool
from tests.conftest import ADMIN_TOKEN, make_user, unique_slug

PROBLEM = "application/problem+json"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CONTEXT = AuditContext(actor="test:invoices", request_id=None, client_ip=None)
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


@pytest.fixture(scope="session")
async def billing_meters(owner_conn: asyncpg.Connection) -> None:
    await ensure_billing_meters(owner_conn)


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


async def close(client: AsyncTestClient, start: datetime, end: datetime) -> dict[str, Any]:  # type: ignore[type-arg]
    response = await client.post(
        "/v1/admin/billing/periods/close", json={"start": iso(start), "end": iso(end)}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def invoice_json(client: AsyncTestClient, invoice_id: str) -> dict[str, Any]:  # type: ignore[type-arg]
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


# --- closing periods -----------------------------------------------------------------------------


async def test_closing_makes_one_draft_per_subscribed_tenant_from_its_usage(
    client: AsyncTestClient,  # type: ignore[type-arg]
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
    tiers = [(t["tier_index"], Decimal(t["quantity"]), Decimal(t["amount"])) for t in storage["tiers"]]
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
    cheap_fee = logic.prorate(3_000, 10 * 86_400, 30 * 86_400)
    dear_fee = logic.prorate(6_000, 20 * 86_400, 30 * 86_400)
    dear_minimum = logic.prorate(10_000, 20 * 86_400, 30 * 86_400)
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
    client: AsyncTestClient,  # type: ignore[type-arg]
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
    client: AsyncTestClient,  # type: ignore[type-arg]
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
    client: AsyncTestClient,  # type: ignore[type-arg]
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
    client: AsyncTestClient,  # type: ignore[type-arg]
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


# --- the lifecycle -------------------------------------------------------------------------------


async def draft_for(client: AsyncTestClient, owner_conn: asyncpg.Connection, **kwargs: Any) -> dict[str, Any]:  # type: ignore[type-arg]
    start, end = next_period()
    tenant = await billed_tenant(owner_conn, start, end, **kwargs)
    result = await close(client, start, end)
    (invoice,) = [i for i in result["invoices"] if i["tenant_id"] == str(tenant.tenant_id)]
    return invoice


async def test_lifecycle_over_the_admin_api(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    billing_meters: None,
) -> None:
    draft = await draft_for(client, owner_conn)
    base = f"/v1/admin/invoices/{draft['id']}"
    for action in ("void", "mark-paid"):
        refused = await client.post(f"{base}/{action}", headers=ADMIN)
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"].endswith("/invalid-invoice-transition")
    assert (await client.post(f"{base}/credit-notes", json={"reason": "x"}, headers=ADMIN)).status_code == 409
    stale = await client.post(f"{base}/finalize", headers={**ADMIN, "If-Match": '"99"'})
    assert stale.status_code == 412

    finalized = await client.post(f"{base}/finalize", headers={**ADMIN, "If-Match": '"1"'})
    assert finalized.status_code == 200, finalized.text
    body = finalized.json()
    assert body["status"] == "finalized"
    assert body["number"].startswith("INV-")
    assert body["issuer_name"] == "FluxForge"
    assert finalized.headers["etag"] == '"2"'
    issued = datetime.fromisoformat(body["issued_at"])
    assert datetime.fromisoformat(body["due_at"]) - issued == timedelta(days=30)
    again = await client.post(f"{base}/finalize", headers=ADMIN)
    assert again.status_code == 200
    assert again.json()["number"] == body["number"]
    assert again.json()["version"] == 2

    # Frozen: not even the owner can change what a finalized invoice says.
    with pytest.raises(asyncpg.CheckViolationError):
        await owner_conn.execute("UPDATE invoices SET total = total + 1 WHERE id = $1", uuid.UUID(draft["id"]))
    with pytest.raises(asyncpg.CheckViolationError):
        await owner_conn.execute("UPDATE invoice_lines SET amount = 0 WHERE invoice_id = $1", uuid.UUID(draft["id"]))

    credit_url = f"{base}/credit-notes"
    keyed = {**ADMIN, "Idempotency-Key": f"credit-{draft['id']}"}
    note = await client.post(credit_url, json={"reason": "Goodwill", "amount": 500}, headers=keyed)
    replay = await client.post(credit_url, json={"reason": "Goodwill", "amount": 500}, headers=keyed)
    assert note.status_code == replay.status_code == 201, note.text
    assert replay.json() == note.json()
    assert replay.headers["idempotency-replayed"] == "true"
    assert note.json()["number"].startswith("CN-")
    assert note.json()["amount"] == 500
    too_much = await client.post(credit_url, json={"reason": "All", "amount": body["total"]}, headers=ADMIN)
    assert too_much.status_code == 409
    assert too_much.json()["type"].endswith("/credit-exceeds-invoice")
    rest = await client.post(credit_url, json={"reason": "The rest"}, headers=ADMIN)
    assert rest.status_code == 201
    assert rest.json()["amount"] == body["total"] - 500

    paid = await client.post(f"{base}/mark-paid", headers=ADMIN)
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert paid.json()["paid_at"]
    assert paid.json()["credited"] == body["total"]
    assert [n["number"] for n in paid.json()["credit_notes"]] == [note.json()["number"], rest.json()["number"]]
    assert (await client.post(f"{base}/mark-paid", headers=ADMIN)).json()["version"] == paid.json()["version"]
    void_paid = await client.post(f"{base}/void", headers=ADMIN)
    assert void_paid.status_code == 409

    other = await draft_for(client, owner_conn)
    other_base = f"/v1/admin/invoices/{other['id']}"
    assert (await client.post(f"{other_base}/finalize", headers=ADMIN)).status_code == 200
    voided = await client.post(f"{other_base}/void", headers=ADMIN)
    assert voided.status_code == 200
    assert voided.json()["status"] == "void"
    assert (await client.post(f"{other_base}/mark-paid", headers=ADMIN)).status_code == 409
    assert (await client.post(f"/v1/admin/invoices/{uuid.uuid4()}/finalize", headers=ADMIN)).status_code == 404

    actions = await owner_conn.fetch(
        "SELECT action FROM audit_events WHERE target_id = $1 ORDER BY occurred_at, id", draft["id"]
    )
    assert [a["action"] for a in actions] == [
        "invoice.create",
        "invoice.finalize",
        "invoice.credit",
        "invoice.credit",
        "invoice.mark_paid",
    ]


@pytest.fixture
async def wide_db(settings: Settings) -> AsyncIterator[Database]:
    """A pool wide enough that many finalizations really run at once."""
    pool = await create_pool(settings.resolved_app_database_url(), min_size=1, max_size=24)
    try:
        yield Database(pool)
    finally:
        await pool.close()


async def synthetic_drafts(owner_conn: asyncpg.Connection, db: Database, count: int) -> list[uuid.UUID]:
    """Drafts written straight through the repository (no subscriptions needed)."""
    start, end = next_period()
    source = LineSource(window_start=start, window_end=end, plan_id=uuid.uuid4(), plan_key="p", plan_version=1)
    line = LineDraft(
        kind="fixed_fee",
        description="Base fee",
        meter_key=None,
        quantity=Decimal(1),
        billable_quantity=None,
        unit_price=Decimal(100),
        amount=100,
        tiers=[],
        source=source,
    )
    drafts = []
    for _ in range(count):
        tenant_id = await insert_tenant(owner_conn)
        draft = InvoiceDraft(
            tenant_id=tenant_id,
            period_start=start,
            period_end=end,
            currency="USD",
            lines=[line],
            subtotal=100,
            total=100,
        )
        drafts.append((new_id(), draft))
    async with db.platform() as conn:
        return await repository.insert_drafts(conn, drafts)


async def finalize_once(db: Database, invoice_id: uuid.UUID, issuer: Issuer, *, roll_back: bool = False) -> str | None:
    class RolledBack(Exception):
        pass

    try:
        async with db.platform() as conn:
            invoice = await service.finalize(conn, invoice_id, issuer=issuer, context=CONTEXT)
            if roll_back:
                raise RolledBack
    except RolledBack:
        return None
    return invoice.number


async def test_concurrent_finalization_numbers_are_exactly_one_to_n(
    owner_conn: asyncpg.Connection, wide_db: Database
) -> None:
    issuer = Issuer(f"Issuer {uuid.uuid4()}", "Somewhere 1")
    ids = await synthetic_drafts(owner_conn, wide_db, 40)
    # Each invoice finalized twice at once, and a few finalizations that roll back after taking a number.
    attempts = [finalize_once(wide_db, i, issuer) for i in ids * 2]
    attempts += [finalize_once(wide_db, i, issuer, roll_back=True) for i in ids[:5]]
    results = await asyncio.gather(*attempts)
    rows = await owner_conn.fetch(
        "SELECT id, number_seq, number FROM invoices WHERE issuer_name = $1 ORDER BY number_seq", issuer.name
    )
    assert sorted(r["number_seq"] for r in rows) == list(range(1, 41))
    assert {r["id"] for r in rows} == set(ids)
    numbers = {r["id"]: r["number"] for r in rows}
    for invoice_id, number in zip(ids * 2, results[: len(ids) * 2], strict=True):
        assert number == numbers[invoice_id]  # both concurrent calls saw the one number
    assert (
        await owner_conn.fetchval(
            "SELECT last_number FROM document_number_counters WHERE issuer_name = $1 AND series = 'invoice'",
            issuer.name,
        )
        == 40
    )


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    count=st.integers(1, 12),
    duplicates=st.lists(st.integers(0, 11), max_size=12),
    rollbacks=st.lists(st.integers(0, 11), max_size=6),
)
async def test_property_finalization_is_gapless_whatever_the_interleaving(
    owner_conn: asyncpg.Connection, wide_db: Database, count: int, duplicates: list[int], rollbacks: list[int]
) -> None:
    issuer = Issuer(f"Issuer {uuid.uuid4()}", "")
    ids = await synthetic_drafts(owner_conn, wide_db, count)
    attempts = [finalize_once(wide_db, i, issuer) for i in ids]
    attempts += [finalize_once(wide_db, ids[d % count], issuer) for d in duplicates]
    attempts += [finalize_once(wide_db, ids[r % count], issuer, roll_back=True) for r in rollbacks]
    await asyncio.gather(*attempts)
    numbers = await owner_conn.fetch("SELECT number_seq FROM invoices WHERE issuer_name = $1", issuer.name)
    assert sorted(r["number_seq"] for r in numbers) == list(range(1, count + 1))


# --- tenant routes -------------------------------------------------------------------------------


async def tenant_id_of(owner_conn: asyncpg.Connection, slug: str) -> uuid.UUID:
    tenant_id: uuid.UUID = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    return tenant_id


async def test_tenants_read_their_invoices_as_json_csv_and_pdf(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
    billing_meters: None,
) -> None:
    slug, owner = tenant_owner
    tenant_id = await tenant_id_of(owner_conn, slug)
    invoice_ids = []
    for _ in range(2):
        start, end = next_period()
        await billed_tenant(owner_conn, start, end, calls=30, gb=["12"], minimum=20_000, tenant_id=tenant_id)
        result = await close(client, start, end)
        (mine,) = [i for i in result["invoices"] if i["tenant_id"] == str(tenant_id)]
        invoice_ids.append(mine["id"])
    finalized = await client.post(f"/v1/admin/invoices/{invoice_ids[0]}/finalize", headers=ADMIN)
    assert finalized.status_code == 200

    url = f"/v1/tenants/{slug}/invoices"
    first = await client.get(url, params={"limit": 1}, headers=owner)
    assert first.status_code == 200, first.text
    assert [i["id"] for i in first.json()["items"]] == [invoice_ids[1]]  # newest first
    second = await client.get(url, params={"limit": 1, "cursor": first.json()["next_cursor"]}, headers=owner)
    assert [i["id"] for i in second.json()["items"]] == [invoice_ids[0]]
    assert second.json()["next_cursor"] is None
    drafts = await client.get(url, params={"status": "draft"}, headers=owner)
    assert [i["id"] for i in drafts.json()["items"]] == [invoice_ids[1]]

    one = f"{url}/{invoice_ids[0]}"
    as_json = await client.get(one, headers=owner)
    assert as_json.status_code == 200
    assert as_json.headers["etag"] == '"2"'
    invoice = as_json.json()
    assert [line["kind"] for line in invoice["lines"]] == ["fixed_fee", "usage", "usage", "minimum_commitment"]
    assert invoice["total"] == 20_000 == sum(line["amount"] for line in invoice["lines"])

    as_csv = await client.get(one, headers={**owner, "Accept": "text/csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert f'filename="invoice-{invoice["number"]}.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["kind"] for r in rows] == ["fixed_fee", "usage", "usage", "minimum_commitment", "subtotal", "total"]
    assert rows[-1]["amount"] == "200.00"
    assert rows[-1]["amount_minor"] == "20000"
    assert sum(int(r["amount_minor"]) for r in rows[:4]) == invoice["total"]

    as_pdf = await client.get(one, headers={**owner, "Accept": "application/pdf"})
    assert as_pdf.status_code == 200
    assert as_pdf.headers["content-type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF-")

    refused = await client.get(one, headers={**owner, "Accept": "text/html"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == PROBLEM
    assert (await client.get(f"{url}/{uuid.uuid4()}", headers=owner)).status_code == 404


async def test_invoices_are_the_tenants_own(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
    billing_meters: None,
) -> None:
    slug, owner = tenant_owner
    stranger = await make_user(client, owner_conn)
    draft = await draft_for(client, owner_conn)  # someone else's invoice
    assert (await client.get(f"/v1/tenants/{slug}/invoices/{draft['id']}", headers=owner)).status_code == 404
    listed = await client.get(f"/v1/tenants/{slug}/invoices", headers=owner)
    assert draft["id"] not in {i["id"] for i in listed.json()["items"]}
    viewer = await client.post(f"/v1/tenants/{slug}/api-keys", json={"name": "v", "role": "viewer"}, headers=owner)
    viewer_headers = {"Authorization": f"Bearer {viewer.json()['secret']}"}
    assert (await client.get(f"/v1/tenants/{slug}/invoices", headers=viewer_headers)).status_code == 403
    assert (await client.get(f"/v1/tenants/{slug}/invoices", headers=stranger.headers)).status_code == 404
    # Tenants cannot change invoices: the transitions are the platform operator's.
    assert (await client.post(f"/v1/admin/invoices/{draft['id']}/finalize", headers=owner)).status_code == 401


async def test_invoice_pdf_has_its_own_address_for_clients_that_cannot_negotiate(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
    billing_meters: None,
) -> None:
    slug, owner = tenant_owner
    tenant_id = await tenant_id_of(owner_conn, slug)
    start, end = next_period()
    await billed_tenant(owner_conn, start, end, calls=30, gb=["12"], minimum=20_000, tenant_id=tenant_id)
    (mine,) = [i for i in (await close(client, start, end))["invoices"] if i["tenant_id"] == str(tenant_id)]
    finalized = await client.post(f"/v1/admin/invoices/{mine['id']}/finalize", headers=ADMIN)
    assert finalized.status_code == 200, finalized.text
    number = finalized.json()["number"]

    url = f"/v1/tenants/{slug}/invoices/{mine['id']}/pdf"
    pdf = await client.get(url, headers={**owner, "Accept": "*/*"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["etag"] == finalized.headers["etag"]
    assert f'filename="invoice-{number}.pdf"' in pdf.headers["content-disposition"]
    assert pdf.content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert number in text
    negotiated = await client.get(
        f"/v1/tenants/{slug}/invoices/{mine['id']}", headers={**owner, "Accept": "application/pdf"}
    )
    assert negotiated.content == pdf.content  # one document, two addresses

    # The same rules as every invoice read: another tenant's invoice is not found, and a role
    # without billing:read is refused.
    others = await draft_for(client, owner_conn)
    missing = await client.get(f"/v1/tenants/{slug}/invoices/{others['id']}/pdf", headers=owner)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    viewer = await client.post(f"/v1/tenants/{slug}/api-keys", json={"name": "v", "role": "viewer"}, headers=owner)
    refused = await client.get(url, headers={"Authorization": f"Bearer {viewer.json()['secret']}"})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM


async def test_a_pdf_is_rendered_once_per_content_and_served_from_the_cache(
    client: AsyncTestClient,  # type: ignore[type-arg]
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
    billing_meters: None,
) -> None:
    slug, owner = tenant_owner
    tenant_id = await tenant_id_of(owner_conn, slug)
    start, end = next_period()
    await billed_tenant(owner_conn, start, end, calls=5, gb=["1"], minimum=0, tenant_id=tenant_id)
    (mine,) = [i for i in (await close(client, start, end))["invoices"] if i["tenant_id"] == str(tenant_id)]
    assert (await client.post(f"/v1/admin/invoices/{mine['id']}/finalize", headers=ADMIN)).status_code == 200
    url = f"/v1/tenants/{slug}/invoices/{mine['id']}/pdf"
    app_settings: Settings = client.app.state.settings
    redis = Redis.from_url(app_settings.redis_url or "")
    pattern = f"{app_settings.redis_key_prefix}invoice-pdf:{mine['id']}:*"
    try:
        first = await client.get(url, headers=owner)
        assert first.status_code == 200, first.text
        (key,) = [k async for k in redis.scan_iter(match=pattern)]
        assert await redis.get(key) == first.content
        assert 0 < await redis.ttl(key) <= 86_400

        # The next download is the stored document, not a new rendering.
        await redis.set(key, b"%PDF-from-the-cache", keepttl=True)
        again = await client.get(url, headers=owner)
        assert again.content == b"%PDF-from-the-cache"

        # Another content is another document: once paid, the invoice is rendered anew (stamped).
        assert (await client.post(f"/v1/admin/invoices/{mine['id']}/mark-paid", headers=ADMIN)).status_code == 200
        paid = await client.get(url, headers=owner)
        assert paid.content.startswith(b"%PDF-1")
        text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(paid.content)).pages)
        assert "PAID" in text
        assert len([k async for k in redis.scan_iter(match=pattern)]) == 2
    finally:
        await redis.aclose()
