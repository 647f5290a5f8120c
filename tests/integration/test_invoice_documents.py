"""The tenant routes of invoices: listing, and reading one as JSON, CSV or PDF (by the Accept header
or at the PDF's own address), confined to the tenant and its billing:read role; PDFs cached per content."""

from __future__ import annotations

import csv
import io
import uuid

import asyncpg
import pypdf
from redis.asyncio import Redis

from fluxforge.config import Settings
from fluxforge.web.services import services_of
from tests.conftest import make_user
from tests.integration.invoice_support import (
    ADMIN,
    PROBLEM,
    TenantOwner,
    billed_tenant,
    close,
    draft_for,
    next_period,
)
from tests.support import Client


async def tenant_id_of(owner_conn: asyncpg.Connection, slug: str) -> uuid.UUID:
    tenant_id: uuid.UUID = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    return tenant_id


async def test_tenants_read_their_invoices_as_json_csv_and_pdf(
    client: Client,
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
    client: Client,
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
    client: Client,
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
    client: Client,
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
    app_settings: Settings = services_of(client.app).settings
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
