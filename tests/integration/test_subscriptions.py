"""Tenants' subscriptions through the HTTP API against real PostgreSQL with row-level security on:
subscribe, change plan and cancel, now or later, under If-Match, audited."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg

from tests.integration.catalog_support import TenantOwner, create_plan, db_now, iso
from tests.support import Client


async def test_subscription_lifecycle(
    client: Client,
    admin: dict[str, str],
    tenant_owner: TenantOwner,
    owner_conn: asyncpg.Connection,
) -> None:
    slug, owner = tenant_owner
    pro = await create_plan(client, admin)
    team = await create_plan(client, admin, name="Team", fixed_fee=9900)
    url = f"/v1/tenants/{slug}/subscription"
    assert (await client.get(url, headers=owner)).status_code == 404
    assert (await client.put(url, json={"plan": team["key"]}, headers={**owner, "If-Match": '"1"'})).status_code == 404

    created = await client.post(url, json={"plan": pro["key"]}, headers=owner)
    assert created.status_code == 201, created.text
    sub = created.json()
    assert (sub["status"], sub["currency"], sub["version"], sub["scheduled_changes"]) == ("active", "USD", 1, [])
    assert (sub["plan"]["plan_key"], sub["plan"]["version"]) == (pro["key"], 1)
    assert created.headers["etag"] == '"1"'
    assert (await client.get(url, headers=owner)).json() == sub
    again = await client.post(url, json={"plan": team["key"]}, headers=owner)
    assert again.status_code == 409
    assert "PUT" in again.json()["detail"]

    # Changing plans needs the current version.
    assert (await client.put(url, json={"plan": team["key"]}, headers=owner)).status_code == 428
    assert (await client.put(url, json={"plan": team["key"]}, headers={**owner, "If-Match": '"7"'})).status_code == 412
    now = await db_now(owner_conn)
    next_month = (now + timedelta(days=30)).replace(microsecond=0)
    scheduled = await client.put(
        url, json={"plan": team["key"], "effective_at": iso(next_month)}, headers={**owner, "If-Match": '"1"'}
    )
    assert scheduled.status_code == 200, scheduled.text
    body = scheduled.json()
    assert (body["status"], body["plan"]["plan_key"], body["version"]) == ("active", pro["key"], 2)
    assert [(c["plan_key"], c["effective_at"]) for c in body["scheduled_changes"]] == [(team["key"], iso(next_month))]
    # A scheduled cancellation before it replaces the scheduled move.
    in_a_week = (now + timedelta(days=7)).replace(microsecond=0)
    cancelled = await client.delete(url, params={"effective_at": iso(in_a_week)}, headers={**owner, "If-Match": '"2"'})
    assert cancelled.status_code == 200, cancelled.text
    assert [c["plan_key"] for c in cancelled.json()["scheduled_changes"]] == [None]
    # An earlier change replaces the scheduled cancellation too; repeating it changes nothing.
    in_two_days = {"plan": team["key"], "effective_at": iso((now + timedelta(days=2)).replace(microsecond=0))}
    moved = await client.put(url, json=in_two_days, headers={**owner, "If-Match": '"3"'})
    assert moved.status_code == 200
    assert (moved.json()["plan"]["plan_key"], moved.json()["version"]) == (pro["key"], 4)
    assert [c["plan_key"] for c in moved.json()["scheduled_changes"]] == [team["key"]]
    unchanged = await client.put(url, json=in_two_days, headers={**owner, "If-Match": '"4"'})
    assert unchanged.json() == moved.json()  # nothing written

    history = (await client.get(f"{url}/changes", params={"limit": 1}, headers=owner)).json()
    assert len(history["items"]) == 1
    rest_response = await client.get(f"{url}/changes", params={"cursor": history["next_cursor"]}, headers=owner)
    assert rest_response.status_code == 200, rest_response.text
    rest = rest_response.json()
    assert [c["plan_key"] for c in history["items"] + rest["items"]] == [pro["key"], team["key"]]
    assert rest["next_cursor"] is None

    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    actions = await owner_conn.fetch(
        """
        SELECT action FROM audit_events WHERE tenant_id = $1 AND action LIKE 'subscription.%'
        ORDER BY occurred_at, id
        """,
        tenant_id,
    )
    assert [a["action"] for a in actions] == [
        "subscription.create",
        "subscription.change",
        "subscription.cancel",
        "subscription.change",
    ]


async def test_subscription_refusals(
    client: Client,
    admin: dict[str, str],
    tenant_owner: TenantOwner,
    owner_conn: asyncpg.Connection,
) -> None:
    slug, owner = tenant_owner
    url = f"/v1/tenants/{slug}/subscription"
    now = await db_now(owner_conn)
    usd = await create_plan(client, admin)
    eur = await create_plan(client, admin, currency="EUR")
    later = await create_plan(client, admin, effective_from=iso(now + timedelta(days=3)))

    unknown = await client.post(url, json={"plan": "no-such-plan"}, headers=owner)
    assert (unknown.status_code, [e["field"] for e in unknown.json()["errors"]]) == (400, ["plan"])
    past = await client.post(
        url, json={"plan": usd["key"], "effective_at": iso(now - timedelta(days=1))}, headers=owner
    )
    assert (past.status_code, [e["field"] for e in past.json()["errors"]]) == (400, ["effective_at"])
    early = await client.post(url, json={"plan": later["key"]}, headers=owner)
    assert early.status_code == 409
    assert "no version in force" in early.json()["detail"]
    assert (await client.post(url, json={"plan": usd["key"], "extra": 1}, headers=owner)).status_code == 400
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    assert await owner_conn.fetchval("SELECT count(*) FROM billing_subscriptions WHERE tenant_id = $1", tenant_id) == 0

    assert (await client.post(url, json={"plan": usd["key"]}, headers=owner)).status_code == 201
    other_currency = await client.put(url, json={"plan": eur["key"]}, headers={**owner, "If-Match": '"1"'})
    assert other_currency.status_code == 409
    assert "one currency" in other_currency.json()["detail"]
    # Cancelled, then subscribing again is allowed (in the same currency).
    assert (await client.delete(url, headers={**owner, "If-Match": '"1"'})).status_code == 200
    status = (await client.get(url, headers=owner)).json()
    assert (status["status"], status["plan"]) == ("cancelled", None)
    assert (await client.delete(url, headers={**owner, "If-Match": '"2"'})).status_code == 409
    assert (await client.post(url, json={"plan": usd["key"]}, headers=owner)).status_code == 201

    # A viewer reads nothing of billing, and an API key with the billing role may read and write.
    viewer_key = await api_key(client, slug, owner, "viewer")
    assert (await client.get(url, headers=viewer_key)).status_code == 403
    assert (await client.get(f"/v1/tenants/{slug}/plans", headers=viewer_key)).status_code == 403
    billing_key = await api_key(client, slug, owner, "billing")
    assert (await client.get(url, headers=billing_key)).status_code == 200


async def api_key(client: Client, slug: str, owner: dict[str, str], role: str) -> dict[str, str]:
    created = await client.post(f"/v1/tenants/{slug}/api-keys", json={"name": role, "role": role}, headers=owner)
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['secret']}"}


async def test_subscribing_is_idempotent_and_serialized(
    client: Client,
    admin: dict[str, str],
    tenant_owner: TenantOwner,
    owner_conn: asyncpg.Connection,
) -> None:
    slug, owner = tenant_owner
    pro = await create_plan(client, admin)
    team = await create_plan(client, admin)
    url = f"/v1/tenants/{slug}/subscription"
    keyed = {**owner, "Idempotency-Key": "subscribe-once"}
    first = await client.post(url, json={"plan": pro["key"]}, headers=keyed)
    replay = await client.post(url, json={"plan": pro["key"]}, headers=keyed)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay.headers["idempotency-replayed"] == "true"
    # Two changes based on the same version: exactly one wins, the other learns it is stale.
    results = await asyncio.gather(
        *(
            client.put(url, json={"plan": key}, headers={**owner, "If-Match": '"1"'})
            for key in (team["key"], pro["key"])
        )
    )
    codes = sorted(r.status_code for r in results)
    assert codes in ([200, 412], [200, 200]), codes  # the second may see nothing to change (already on pro)
    tenant_id = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    rows = await owner_conn.fetch(
        "SELECT effective_at FROM billing_subscription_changes WHERE tenant_id = $1 ORDER BY effective_at", tenant_id
    )
    assert len(rows) == len({r["effective_at"] for r in rows})
