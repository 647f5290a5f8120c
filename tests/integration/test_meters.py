"""Meters against real PostgreSQL (row-level security on): a tenant's own, versioned and audited,
beside the platform's, which apply to every tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from tests.integration.metering_support import ADMIN, PROBLEM, TenantOwner, event, post_usage, tenant_id_of
from tests.support import Client


async def test_tenant_meters_are_versioned_audited_and_beside_the_platforms(
    client: Client,
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    base = f"/v1/tenants/{slug}/meters"
    body = {"key": "tokens.used", "event_type": "llm.call", "aggregation": "sum", "value_property": "tokens"}
    created = await client.post(base, json={**body, "group_by": ["model"], "unit": "tokens"}, headers=owner)
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"{base}/tokens.used"
    meter = created.json()
    assert (meter["scope"], meter["group_by"], meter["version"]) == ("tenant", ["model"], 1)

    listed = (await client.get(f"{base}?limit=200", headers=owner)).json()["items"]
    scopes = {m["key"]: m["scope"] for m in listed}
    assert listed[0]["key"] == "api.requests"  # seeded first
    assert (scopes["api.requests"], scopes["tokens.used"]) == ("platform", "tenant")
    assert [m["key"] for m in listed if m["scope"] == "tenant"] == ["tokens.used"]
    assert (await client.get(f"{base}/api.requests", headers=owner)).json()["aggregation"] == "count"

    again = await client.post(base, json=body, headers=owner)
    assert again.status_code == 409
    taken = await client.post(base, json={**body, "key": "api.requests"}, headers=owner)
    assert taken.status_code == 409
    assert "platform meter" in taken.json()["detail"]

    unversioned = await client.patch(f"{base}/tokens.used", json={"unit": "k"}, headers=owner)
    assert unversioned.status_code == 428
    stale = await client.patch(f"{base}/tokens.used", json={"unit": "k"}, headers={**owner, "If-Match": '"7"'})
    assert stale.status_code == 412
    changed = await client.patch(
        f"{base}/tokens.used", json={"aggregation": "max", "unit": "k"}, headers={**owner, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["aggregation"], changed.json()["version"], changed.headers["etag"]) == ("max", 2, '"2"')
    same = await client.patch(f"{base}/tokens.used", json={"unit": "k"}, headers={**owner, "If-Match": '"2"'})
    assert same.json()["version"] == 2  # nothing changed, nothing written
    to_count = await client.patch(
        f"{base}/tokens.used", json={"aggregation": "count"}, headers={**owner, "If-Match": '"2"'}
    )
    assert (to_count.json()["aggregation"], to_count.json()["value_property"]) == ("count", None)

    platform = await client.patch(f"{base}/api.requests", json={"unit": "x"}, headers={**owner, "If-Match": '"1"'})
    assert platform.status_code == 403
    assert (await client.delete(f"{base}/tokens.used", headers={**owner, "If-Match": '"1"'})).status_code == 412
    assert (await client.delete(f"{base}/tokens.used", headers=owner)).status_code == 204
    assert (await client.get(f"{base}/tokens.used", headers=owner)).status_code == 404

    tenant_id = await tenant_id_of(owner_conn, slug)
    actions = await owner_conn.fetch(
        "SELECT action FROM audit_events WHERE tenant_id = $1 AND target_type = 'meter' ORDER BY occurred_at, id",
        tenant_id,
    )
    assert [a["action"] for a in actions] == ["meter.create", "meter.update", "meter.update", "meter.delete"]


async def test_meter_definitions_must_compute(
    client: Client,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    base = f"/v1/tenants/{slug}/meters"
    cases = [
        ({"key": "m1", "event_type": "e", "aggregation": "sum"}, "value_property"),
        ({"key": "m2", "event_type": "e", "aggregation": "count", "value_property": "v"}, "value_property"),
        (
            {"key": "m3", "event_type": "e", "aggregation": "max", "value_property": "v", "group_by": ["a", "a"]},
            "group_by",
        ),
        ({"key": "Bad Key", "event_type": "e", "aggregation": "count"}, "key"),
        ({"key": "m4", "event_type": "e", "aggregation": "median", "value_property": "v"}, "aggregation"),
    ]
    for body, field in cases:
        response = await client.post(base, json=body, headers=owner)
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert field in response.text


async def test_meter_creation_is_idempotent_and_needs_usage_write(
    client: Client,
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    base = f"/v1/tenants/{slug}/meters"
    body = {"key": "seats", "event_type": "seat.count", "aggregation": "latest", "value_property": "n"}
    first = await client.post(base, json=body, headers={**owner, "Idempotency-Key": "seats-1"})
    replay = await client.post(base, json=body, headers={**owner, "Idempotency-Key": "seats-1"})
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotency-replayed"] == "true"
    assert first.json() == replay.json()

    key = await client.post(f"/v1/tenants/{slug}/api-keys", json={"name": "finance", "role": "billing"}, headers=owner)
    billing = {"Authorization": f"Bearer {key.json()['secret']}"}
    assert (await client.get(base, headers=billing)).status_code == 200
    assert (await client.post(base, json={**body, "key": "seats2"}, headers=billing)).status_code == 403
    assert (await client.post(f"/v1/tenants/{slug}/usage", json={"events": []}, headers=billing)).status_code == 403


async def test_platform_meters_apply_to_every_tenant(
    client: Client,
    owner_conn: asyncpg.Connection,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    key = f"plat.{uuid.uuid4().hex[:8]}"
    body = {"key": key, "event_type": f"{key}.evt", "aggregation": "unique_count", "value_property": "user"}
    assert (await client.post("/v1/admin/meters", json=body)).status_code == 401
    created = await client.post("/v1/admin/meters", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["scope"] == "platform"
    assert (await client.get(f"/v1/admin/meters/{key}", headers=ADMIN)).json()["key"] == key
    assert (await client.get(f"/v1/tenants/{slug}/meters/{key}", headers=owner)).json()["scope"] == "platform"

    # A tenant cannot take the key, nor report the platform's event type.
    mine = await client.post(f"/v1/tenants/{slug}/meters", json=body, headers=owner)
    assert mine.status_code == 409
    reserved = await post_usage(client, slug, owner, {"events": [event("r1", datetime.now(UTC), type=f"{key}.evt")]})
    assert reserved["rejected"][0]["code"] == "reserved_type"

    # The platform cannot take a key a tenant uses.
    tenant_key = f"own.{uuid.uuid4().hex[:8]}"
    await client.post(f"/v1/tenants/{slug}/meters", json={**body, "key": tenant_key, "event_type": "x"}, headers=owner)
    clash = await client.post("/v1/admin/meters", json={**body, "key": tenant_key}, headers=ADMIN)
    assert clash.status_code == 409

    patched = await client.patch(
        f"/v1/admin/meters/{key}", json={"description": "who"}, headers={**ADMIN, "If-Match": '"1"'}
    )
    assert patched.json()["version"] == 2
    keys = [m["key"] for m in (await client.get("/v1/admin/meters?limit=200", headers=ADMIN)).json()["items"]]
    assert "api.requests" in keys
    assert key in keys
    assert (await client.delete(f"/v1/admin/meters/{key}", headers=ADMIN)).status_code == 204
    assert (await client.get(f"/v1/admin/meters/{key}", headers=ADMIN)).status_code == 404
    audited = await owner_conn.fetchval(
        "SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND target_type = 'meter' AND actor = 'admin:bootstrap'"
        " AND target_id = $2",
        uuid.UUID(int=0),
        created.json()["id"],
    )
    assert audited == 3
