"""The invoice lifecycle against real PostgreSQL: finalizing, voiding, paying and crediting over the
admin API (If-Match, Idempotency-Key, frozen issued invoices, audit trail), and gapless numbering
when finalizations run concurrently or roll back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluxforge.audit.models import AuditContext
from fluxforge.billing.invoices import repository, service
from fluxforge.billing.invoices.models import InvoiceDraft, Issuer, LineDraft, LineSource
from fluxforge.config import Settings
from fluxforge.conventions import new_id
from fluxforge.db import Database, create_pool
from tests.integration.invoice_support import (
    ADMIN,
    draft_for,
    insert_tenant,
    next_period,
)
from tests.support import Client

CONTEXT = AuditContext(actor="test:invoices", request_id=None, client_ip=None)


async def test_lifecycle_over_the_admin_api(
    client: Client,
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
