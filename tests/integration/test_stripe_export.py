"""Export to Stripe and Stripe's webhooks, against a real local Stripe (tests/peers/stripe:
localstripe behind a front that adds idempotency keys, one-off invoices and failure injection)."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from fluxforge.app import create_app
from fluxforge.config import Settings
from tests.integration.invoice_support import ADMIN, billed_tenant, close, next_period
from tests.peers.stripe import StripePeer, running_peer, sign_webhook
from tests.support import Client

PROBLEM = "application/problem+json"
WEBHOOK_SECRET = "whsec_" + secrets.token_hex(16)


@pytest.fixture(scope="module")
def stripe_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StripePeer]:
    with running_peer(tmp_path_factory.mktemp("stripe-peer")) as peer:
        yield peer


@pytest.fixture(scope="module")
async def stripe_client(settings: Settings, stripe_peer: StripePeer) -> AsyncIterator[Client]:
    """The app configured for the local Stripe, with a webhook secret and an issuer of its own."""
    configured = msgspec.structs.replace(
        settings,
        stripe_api_key=stripe_peer.api_key,
        stripe_api_base=stripe_peer.base_url,
        stripe_webhook_secret=WEBHOOK_SECRET,
        invoice_issuer_name=f"FluxForge Stripe {uuid.uuid4().hex[:6]}",
        invoice_issuer_address="1 Forge Street\nBerlin",
    )
    async with AsyncTestClient(create_app(configured), timeout=30) as client:
        yield client


async def issued_invoice(client: Client, owner_conn: asyncpg.Connection, **kwargs: Any) -> dict[str, Any]:
    start, end = next_period()
    tenant = await billed_tenant(owner_conn, start, end, calls=25, gb=["3", "14"], **kwargs)
    result = await close(client, start, end)
    (draft,) = [i for i in result["invoices"] if i["tenant_id"] == str(tenant.tenant_id)]
    finalized = await client.post(f"/v1/admin/invoices/{draft['id']}/finalize", headers=ADMIN)
    assert finalized.status_code == 200, finalized.text
    body: dict[str, Any] = finalized.json()
    return body


async def export(client: Client, invoice_id: str) -> Any:
    return await client.post(f"/v1/admin/invoices/{invoice_id}/stripe-export", headers=ADMIN)


def items_of(peer: StripePeer, stripe_invoice_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = peer.get("/v1/invoiceitems", invoice=stripe_invoice_id)["data"]
    return items


async def test_export_makes_the_customer_items_and_a_finalized_invoice(
    stripe_client: Client,
    stripe_peer: StripePeer,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
) -> None:
    invoice = await issued_invoice(stripe_client, owner_conn, minimum=50_000)
    posts_before = len(stripe_peer.posts())
    response = await export(stripe_client, invoice["id"])
    assert response.status_code == 200, response.text
    exported = response.json()
    stripe_ref = exported["stripe"]
    assert stripe_ref["invoice_id"].startswith("in_")
    assert stripe_ref["customer_id"].startswith("cus_")
    assert stripe_ref["status"] == "open"
    assert stripe_ref["exported_at"]
    assert all(line["stripe_invoice_item_id"] for line in exported["lines"] if line["amount"])

    at_stripe = stripe_peer.get(f"/v1/invoices/{stripe_ref['invoice_id']}")
    assert at_stripe["status"] == "open"
    assert at_stripe["total"] == invoice["total"] == 50_000
    assert at_stripe["number"] == invoice["number"]
    assert at_stripe["currency"] == "usd"
    assert at_stripe["metadata"]["fluxforge_invoice_id"] == invoice["id"]
    items = items_of(stripe_peer, stripe_ref["invoice_id"])
    assert sorted(i["amount"] for i in items) == sorted(line["amount"] for line in invoice["lines"] if line["amount"])
    customer = stripe_peer.get(f"/v1/customers/{stripe_ref['customer_id']}")
    assert customer["name"] == invoice["customer_name"]
    assert customer["metadata"]["fluxforge_tenant_id"] == invoice["tenant_id"]
    # Every call carried an idempotency key made from our ids.
    posts = stripe_peer.posts()[posts_before:]
    assert posts
    assert all((p["idempotency_key"] or "").startswith("fluxforge-") for p in posts)
    assert f"fluxforge-invoice-{invoice['id']}" in {p["idempotency_key"] for p in posts}

    # Exporting again changes nothing and calls Stripe for nothing.
    again = await export(stripe_client, invoice["id"])
    assert again.status_code == 200
    assert again.json()["stripe"] == stripe_ref
    assert len(stripe_peer.posts()) == posts_before + len(posts)


@pytest.mark.parametrize("crash_at", ["/v1/customers", "/v1/invoices", "/v1/invoiceitems", "/v1/invoices/"])
async def test_an_export_that_died_midway_finishes_and_makes_nothing_twice(
    stripe_client: Client,
    stripe_peer: StripePeer,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
    crash_at: str,
) -> None:
    invoice = await issued_invoice(stripe_client, owner_conn)
    # Stripe does the work and the answer is lost, on the first try and on the SDK's two retries.
    stripe_peer.inject_fault(crash_at, times=3)
    try:
        failed = await export(stripe_client, invoice["id"])
    finally:
        stripe_peer.clear_faults()
    assert failed.status_code == 502, failed.text
    assert failed.json()["type"].endswith("/stripe-export-failed")

    finished = await export(stripe_client, invoice["id"])
    assert finished.status_code == 200, finished.text
    stripe_ref = finished.json()["stripe"]
    assert stripe_ref["status"] == "open"
    customers = stripe_peer.get("/v1/customers", limit=100)["data"]
    assert [c["id"] for c in customers if c["metadata"].get("fluxforge_tenant_id") == invoice["tenant_id"]] == [
        stripe_ref["customer_id"]
    ]
    invoices = stripe_peer.get("/v1/invoices", customer=stripe_ref["customer_id"])["data"]
    assert [i["id"] for i in invoices] == [stripe_ref["invoice_id"]]
    items = items_of(stripe_peer, stripe_ref["invoice_id"])
    assert len(items) == len([line for line in invoice["lines"] if line["amount"]])
    assert invoices[0]["total"] == invoice["total"]


async def test_export_refuses_drafts_and_needs_stripe_configured(
    client: Client,
    stripe_client: Client,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
) -> None:
    start, end = next_period()
    tenant = await billed_tenant(owner_conn, start, end)
    result = await close(stripe_client, start, end)
    (draft,) = [i for i in result["invoices"] if i["tenant_id"] == str(tenant.tenant_id)]
    refused = await export(stripe_client, draft["id"])
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/invalid-invoice-transition")
    unconfigured = await export(client, draft["id"])  # the session app has no Stripe key
    assert unconfigured.status_code == 503
    assert unconfigured.json()["type"].endswith("/stripe-not-configured")


async def test_the_customer_follows_the_tenants_name(
    stripe_client: Client,
    stripe_peer: StripePeer,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
) -> None:
    first = await issued_invoice(stripe_client, owner_conn)
    customer_id = (await export(stripe_client, first["id"])).json()["stripe"]["customer_id"]
    tenant_id = uuid.UUID(first["tenant_id"])
    await owner_conn.execute("UPDATE tenants SET display_name = 'Renamed GmbH' WHERE id = $1", tenant_id)
    second = await issued_invoice(stripe_client, owner_conn, tenant_id=tenant_id)
    assert second["customer_name"] == "Renamed GmbH"
    exported = await export(stripe_client, second["id"])
    assert exported.status_code == 200, exported.text
    assert exported.json()["stripe"]["customer_id"] == customer_id
    assert stripe_peer.get(f"/v1/customers/{customer_id}")["name"] == "Renamed GmbH"


# --- webhooks ------------------------------------------------------------------------------------


def event(event_type: str, stripe_invoice: dict[str, Any], event_id: str | None = None) -> bytes:
    body = {
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": stripe_invoice},
    }
    return msgspec.json.encode(body)


async def deliver(client: Client, payload: bytes, secret: str = WEBHOOK_SECRET, **sign: Any) -> Any:
    headers = {"Stripe-Signature": sign_webhook(payload, secret, **sign), "Content-Type": "application/json"}
    return await client.post("/v1/webhooks/stripe", content=payload, headers=headers)


async def exported_invoice(client: Client, owner_conn: asyncpg.Connection) -> tuple[dict[str, Any], dict[str, Any]]:
    invoice = await issued_invoice(client, owner_conn)
    exported = (await export(client, invoice["id"])).json()
    stripe_invoice = {
        "id": exported["stripe"]["invoice_id"],
        "object": "invoice",
        "metadata": {"fluxforge_invoice_id": invoice["id"]},
    }
    return exported, stripe_invoice


async def status_of(client: Client, invoice_id: str) -> str:
    status: str = (await client.get(f"/v1/admin/invoices/{invoice_id}", headers=ADMIN)).json()["status"]
    return status


async def test_payment_webhooks_mark_invoices_once(
    stripe_client: Client,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
) -> None:
    invoice, stripe_invoice = await exported_invoice(stripe_client, owner_conn)
    failed = event("invoice.payment_failed", stripe_invoice)
    first = await deliver(stripe_client, failed)
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False
    assert first.json()["outcome"].startswith("applied")
    assert await status_of(stripe_client, invoice["id"]) == "payment_failed"

    paid = event("invoice.paid", stripe_invoice)
    deliveries = await asyncio.gather(*(deliver(stripe_client, paid) for _ in range(5)))
    assert [d.status_code for d in deliveries] == [200] * 5
    assert sorted(d.json()["duplicate"] for d in deliveries) == [False, True, True, True, True]
    assert await status_of(stripe_client, invoice["id"]) == "paid"
    # A late failure (or the failure redelivered) cannot un-pay it; both are acknowledged.
    late = await deliver(stripe_client, event("invoice.payment_failed", stripe_invoice))
    assert late.status_code == 200
    assert late.json()["outcome"].startswith("ignored")
    redelivered = await deliver(stripe_client, failed)
    assert redelivered.json() == {"received": True, "duplicate": True, "outcome": first.json()["outcome"]}
    assert await status_of(stripe_client, invoice["id"]) == "paid"
    audit = await owner_conn.fetch(
        "SELECT action, actor FROM audit_events WHERE target_id = $1 AND actor = 'stripe:webhook'", invoice["id"]
    )
    assert sorted(a["action"] for a in audit) == ["invoice.mark_paid", "invoice.mark_payment_failed"]


async def test_webhooks_find_invoices_by_metadata_and_ignore_what_they_cannot_apply(
    stripe_client: Client,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
) -> None:
    invoice = await issued_invoice(stripe_client, owner_conn)  # never exported: no Stripe id stored
    by_metadata = {"id": "in_unknown", "object": "invoice", "metadata": {"fluxforge_invoice_id": invoice["id"]}}
    applied = await deliver(stripe_client, event("invoice.payment_succeeded", by_metadata))
    assert applied.json()["outcome"].startswith("applied")
    assert await status_of(stripe_client, invoice["id"]) == "paid"
    unknown = await deliver(
        stripe_client, event("invoice.paid", {"id": "in_nope", "object": "invoice", "metadata": {}})
    )
    assert unknown.status_code == 200
    assert unknown.json()["outcome"] == "ignored: no such invoice"
    other = await deliver(stripe_client, event("customer.created", {"id": "cus_x", "object": "customer"}))
    assert other.status_code == 200
    assert other.json()["outcome"] == "ignored: event type not handled"


async def test_webhooks_need_a_valid_signature(
    client: Client,
    stripe_client: Client,
    owner_conn: asyncpg.Connection,
    billing_meters: None,
) -> None:
    invoice, stripe_invoice = await exported_invoice(stripe_client, owner_conn)
    payload = event("invoice.paid", stripe_invoice)
    tampered = payload.replace(b'"invoice.paid"', b'"invoice.paid" ')
    for response in (
        await deliver(stripe_client, payload, secret="whsec_wrong"),
        await deliver(stripe_client, payload, timestamp=int(time.time()) - 3600),  # a replay from long ago
        await stripe_client.post(
            "/v1/webhooks/stripe", content=tampered, headers={"Stripe-Signature": sign_webhook(payload, WEBHOOK_SECRET)}
        ),
        await stripe_client.post("/v1/webhooks/stripe", content=payload),
    ):
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"].endswith("/invalid-webhook-signature")
    assert await status_of(stripe_client, invoice["id"]) == "finalized"
    not_json = b"not json"
    garbage = await stripe_client.post(
        "/v1/webhooks/stripe", content=not_json, headers={"Stripe-Signature": sign_webhook(not_json, WEBHOOK_SECRET)}
    )
    assert garbage.status_code == 400
    disabled = await deliver(client, payload)  # the session app has no webhook secret
    assert disabled.status_code == 503
    assert disabled.json()["type"].endswith("/webhooks-disabled")


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"[]",
        b'"invoice.paid"',
        b'{"id": 1, "type": "invoice.paid", "data": {"object": {}}}',
        b'{"id": "evt_shape", "type": "invoice.paid"}',
        b'{"id": "evt_shape", "type": "invoice.paid", "data": null}',
        b'{"id": "evt_shape", "type": "invoice.paid", "data": {"object": []}}',
        b"\xff\xfe{}",
        b'{"id": "evt_nul", "type": "invoice.paid\\u0000", "data": {"object": {}}}',  # PostgreSQL text has no NUL
    ],
)
async def test_signed_bodies_that_are_not_events_are_refused_with_400(
    stripe_client: Client,
    owner_conn: asyncpg.Connection,
    body: bytes,
) -> None:
    """Found by the fuzzer: a correctly signed `null` reached the SDK and answered 500."""
    before = await owner_conn.fetchval("SELECT count(*) FROM stripe_webhook_events")
    response = await stripe_client.post(
        "/v1/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": sign_webhook(body, WEBHOOK_SECRET), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/bad-request")
    assert await owner_conn.fetchval("SELECT count(*) FROM stripe_webhook_events") == before
