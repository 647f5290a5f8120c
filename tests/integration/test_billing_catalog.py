"""Plans, versions and subscriptions through the HTTP API, and `period_segments` for invoicing,
against real PostgreSQL with row-level security on."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from fluxforge.billing.catalog import repository
from fluxforge.billing.catalog.pricing import PlanVersion, Price, Tier, price_quantity
from fluxforge.db import Database
from tests.conftest import unique_slug

PROBLEM = "application/problem+json"
TenantOwner = tuple[str, dict[str, str]]
NIL = uuid.UUID(int=0)

PRO_PRICES: list[dict[str, Any]] = [
    {"meter_key": "api.request", "model": "per_unit", "unit_price": "0.04", "included_quantity": "10000"},
    {
        "meter_key": "compute.seconds",
        "model": "graduated",
        "tiers": [
            {"up_to": "3600", "unit_price": "0", "flat_fee": 0},
            {"up_to": "36000", "unit_price": "0.5", "flat_fee": 100},
            {"up_to": None, "unit_price": "0.25"},
        ],
    },
    {
        "meter_key": "storage.gb",
        "model": "volume",
        "tiers": [{"up_to": "100", "unit_price": "20"}, {"up_to": None, "unit_price": "15", "flat_fee": 500}],
    },
    {"meter_key": "export.rows", "model": "package", "package_size": "1000", "package_price": 25},
]


def plan_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": unique_slug("pl"),
        "name": "Pro",
        "description": "For teams",
        "currency": "USD",
        "fixed_fee": 2900,
        "minimum_commitment": 5000,
        "prices": PRO_PRICES,
    }
    body.update(changes)
    return body


async def create_plan(client: AsyncTestClient, admin: dict[str, str], **changes: Any) -> dict[str, Any]:  # type: ignore[type-arg]
    response = await client.post("/v1/admin/plans", json=plan_body(**changes), headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def db_now(owner_conn: asyncpg.Connection) -> datetime:
    value: datetime = await owner_conn.fetchval("SELECT now()")
    return value


# --- the admin's catalog ---------------------------------------------------------------------------


async def test_create_and_read_a_plan_with_every_charge_model(
    client: AsyncTestClient,  # type: ignore[type-arg]
    admin: dict[str, str],
    owner_conn: asyncpg.Connection,
) -> None:
    body = plan_body()
    response = await client.post("/v1/admin/plans", json=body, headers={**admin, "X-Request-Id": "plan-req-1"})
    assert response.status_code == 201, response.text
    plan = response.json()
    assert response.headers["etag"] == f'"{plan["version"]}"'
    assert response.headers["location"] == f"/v1/admin/plans/{plan['id']}"
    assert (plan["key"], plan["currency"], plan["status"], plan["current_version"]) == (body["key"], "USD", "active", 1)
    (first,) = plan["versions"]
    assert (first["version"], first["fixed_fee"], first["minimum_commitment"]) == (1, 2900, 5000)
    assert first["plan_key"] == body["key"]
    assert first["prices"][0] == {**PRO_PRICES[0], "tiers": [], "package_size": None, "package_price": None}
    assert first["prices"][1]["tiers"][2] == {"up_to": None, "unit_price": "0.25", "flat_fee": 0}
    # Stored terms price exactly what was posted.
    decoded = msgspec.convert(first, PlanVersion)
    assert price_quantity(decoded.prices[1], Decimal(40_000)).amount == 100 + 16_200 + 1_000
    for ref in (plan["id"], body["key"]):
        fetched = await client.get(f"/v1/admin/plans/{ref}", headers=admin)
        assert fetched.status_code == 200
        assert fetched.json() == plan
    version = await client.get(f"/v1/admin/plans/{body['key']}/versions/1", headers=admin)
    assert version.json() == first
    assert (await client.get(f"/v1/admin/plans/{body['key']}/versions/2", headers=admin)).status_code == 404
    assert (await client.get("/v1/admin/plans/no-such-plan", headers=admin)).status_code == 404
    row = await owner_conn.fetchrow(
        "SELECT tenant_id, actor, action, target_id, request_id FROM audit_events WHERE target_id = $1", plan["id"]
    )
    assert row is not None
    assert dict(row) == {
        "tenant_id": NIL,
        "actor": "admin:bootstrap",
        "action": "plan.create",
        "target_id": plan["id"],
        "request_id": "plan-req-1",
    }


async def test_plans_need_the_admin_token(client: AsyncTestClient, tenant_owner: TenantOwner) -> None:  # type: ignore[type-arg]
    _, owner = tenant_owner
    for headers in ({}, owner):
        response = await client.post("/v1/admin/plans", json=plan_body(), headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM


def prices_with(index: int, **changes: Any) -> list[dict[str, Any]]:
    prices = [dict(p) for p in PRO_PRICES]
    prices[index] = {**prices[index], **changes}
    return prices


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "usd"}, "currency"),
        ({"fixed_fee": -1}, "fixed_fee"),
        ({"minimum_commitment": 10**15}, "minimum_commitment"),
        ({"key": "Pro Plan"}, "key"),
        ({"colour": "blue"}, "colour"),
        ({"effective_from": "2027-01-01T00:00:00"}, "effective_from"),
        ({"prices": prices_with(0, unit_price="-0.01")}, "prices[0].unit_price"),
        ({"prices": prices_with(0, unit_price="NaN")}, "prices[0].unit_price"),
        ({"prices": prices_with(0, unit_price=None)}, "prices[0].unit_price"),
        ({"prices": prices_with(0, included_quantity="-5")}, "prices[0].included_quantity"),
        ({"prices": prices_with(0, model="flat")}, "prices[0].model"),
        ({"prices": prices_with(0, meter_key="API Requests")}, "prices[0].meter_key"),
        ({"prices": prices_with(1, meter_key="api.request")}, "prices[1].meter_key"),
        (
            {
                "prices": prices_with(
                    1,
                    tiers=[
                        {"up_to": "10", "unit_price": "1"},
                        {"up_to": "5", "unit_price": "1"},
                        {"up_to": None, "unit_price": "1"},
                    ],
                )
            },
            "prices[1].tiers[1].up_to",
        ),
        ({"prices": prices_with(1, tiers=[{"up_to": "10", "unit_price": "1"}])}, "prices[1].tiers[0].up_to"),
        (
            {"prices": prices_with(1, tiers=[{"up_to": None, "unit_price": "1", "flat_fee": -3}])},
            "prices[1].tiers[0].flat_fee",
        ),
        ({"prices": prices_with(1, tiers=[])}, "prices[1].tiers"),
        (
            {"prices": prices_with(2, tiers=[{"up_to": None, "unit_price": "1"}, {"up_to": None, "unit_price": "1"}])},
            "prices[2].tiers[0].up_to",
        ),
        ({"prices": prices_with(3, package_size="0")}, "prices[3].package_size"),
        ({"prices": prices_with(3, package_price=-1)}, "prices[3].package_price"),
        ({"prices": prices_with(3, unit_price="1")}, "prices[3].unit_price"),
    ],
)
async def test_bad_plans_are_refused_naming_the_field_and_change_nothing(
    client: AsyncTestClient,  # type: ignore[type-arg]
    admin: dict[str, str],
    owner_conn: asyncpg.Connection,
    changes: dict[str, Any],
    field: str,
) -> None:
    before = await owner_conn.fetchval("SELECT count(*) FROM billing_plans")
    response = await client.post("/v1/admin/plans", json=plan_body(**changes), headers=admin)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "https://fluxforge.dev/problems/validation-error"
    assert [e["field"] for e in problem["errors"]] == [field]
    assert await owner_conn.fetchval("SELECT count(*) FROM billing_plans") == before


async def test_keys_are_unique_and_creation_is_idempotent(
    client: AsyncTestClient,  # type: ignore[type-arg]
    admin: dict[str, str],
    owner_conn: asyncpg.Connection,
) -> None:
    body = plan_body()
    headers = {**admin, "Idempotency-Key": f"plan-{uuid.uuid4()}"}
    first = await client.post("/v1/admin/plans", json=body, headers=headers)
    replay = await client.post("/v1/admin/plans", json=body, headers=headers)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay.headers["idempotency-replayed"] == "true"
    assert replay.headers["etag"] == first.headers["etag"]
    reused = await client.post("/v1/admin/plans", json={**body, "name": "Other"}, headers=headers)
    assert reused.status_code == 409
    assert await owner_conn.fetchval("SELECT count(*) FROM billing_plans WHERE key = $1", body["key"]) == 1
    duplicate = await client.post("/v1/admin/plans", json=body, headers=admin)
    assert duplicate.status_code == 409
    assert duplicate.json()["type"].endswith("/conflict")


async def test_versions_supersede_by_date_and_effective_ones_are_immutable(
    client: AsyncTestClient,  # type: ignore[type-arg]
    admin: dict[str, str],
    owner_conn: asyncpg.Connection,
    app_db: Database,
) -> None:
    now = await db_now(owner_conn)
    plan = await create_plan(client, admin, effective_from=iso(now - timedelta(days=30)))
    base = f"/v1/admin/plans/{plan['key']}"
    terms = {"fixed_fee": 3900, "prices": PRO_PRICES[:1]}

    past = await client.post(
        f"{base}/versions", json={**terms, "effective_from": iso(now - timedelta(hours=1))}, headers=admin
    )
    assert past.status_code == 400
    assert [e["field"] for e in past.json()["errors"]] == ["effective_from"]

    in_a_week = (now + timedelta(days=7)).replace(microsecond=0)
    added = await client.post(f"{base}/versions", json={**terms, "effective_from": iso(in_a_week)}, headers=admin)
    assert added.status_code == 201, added.text
    assert added.json()["version"] == 2
    assert added.headers["location"] == f"/v1/admin/plans/{plan['id']}/versions/2"
    earlier = await client.post(
        f"{base}/versions", json={**terms, "effective_from": iso(in_a_week - timedelta(days=1))}, headers=admin
    )
    assert earlier.status_code == 409  # versions ascend in time
    stale = await client.post(f"{base}/versions", json=terms, headers={**admin, "If-Match": f'"{plan["version"]}"'})
    assert stale.status_code == 412

    fetched = (await client.get(base, headers=admin)).json()
    assert fetched["current_version"] == 1  # version 2 is scheduled
    assert [v["version"] for v in fetched["versions"]] == [1, 2]

    # A scheduled version may be withdrawn; its number is never reused.
    assert (await client.delete(f"{base}/versions/1", headers=admin)).status_code == 409
    withdrawn = await client.delete(f"{base}/versions/2", headers=admin)
    assert withdrawn.status_code == 200
    assert [v["version"] for v in withdrawn.json()["versions"]] == [1]
    assert (await client.delete(f"{base}/versions/2", headers=admin)).status_code == 404
    now_version = await client.post(f"{base}/versions", json=terms, headers=admin)  # effective now
    assert now_version.status_code == 201
    assert now_version.json()["version"] == 3
    assert (await client.get(base, headers=admin)).json()["current_version"] == 3
    assert (await client.delete(f"{base}/versions/3", headers=admin)).status_code == 409
    actions = await owner_conn.fetch(
        "SELECT action FROM audit_events WHERE tenant_id = $1 AND target_id LIKE $2 ORDER BY occurred_at, id",
        NIL,
        f"{plan['id']}%",
    )
    assert [a["action"] for a in actions] == [
        "plan.create",
        "plan.version_add",
        "plan.version_withdraw",
        "plan.version_add",
    ]

    # The database itself keeps effective versions: no updates, no deletes, not even by the platform.
    plan_id = uuid.UUID(plan["id"])
    async with app_db.platform() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE billing_plan_versions SET fixed_fee = 0 WHERE plan_id = $1", plan_id)
    async with app_db.platform() as conn:
        assert await conn.execute("DELETE FROM billing_plan_versions WHERE plan_id = $1", plan_id) == "DELETE 0"
    async with app_db.tenant(uuid.uuid4()) as conn:  # and a tenant scope cannot write the catalog at all
        assert await conn.fetchval("SELECT count(*) FROM billing_plans WHERE id = $1", plan_id) == 1
        assert await conn.execute("UPDATE billing_plans SET name = 'x' WHERE id = $1", plan_id) == "UPDATE 0"


async def test_patch_plan_needs_if_match_and_retired_plans_leave_the_catalog(
    client: AsyncTestClient,  # type: ignore[type-arg]
    admin: dict[str, str],
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    plan = await create_plan(client, admin)
    base = f"/v1/admin/plans/{plan['key']}"
    assert (await client.patch(base, json={"name": "Pro 2"}, headers=admin)).status_code == 428
    assert (await client.patch(base, json={"name": "Pro 2"}, headers={**admin, "If-Match": '"99"'})).status_code == 412
    assert (await client.patch(base, json={"currency": "EUR"}, headers={**admin, "If-Match": '"1"'})).status_code == 400
    same = await client.patch(base, json={"name": "Pro"}, headers={**admin, "If-Match": f'"{plan["version"]}"'})
    assert same.json()["version"] == plan["version"]  # nothing changed, nothing written
    assert await catalog_keys(client, slug, owner) >= {plan["key"]}
    retired = await client.patch(
        base, json={"status": "retired"}, headers={**admin, "If-Match": f'"{plan["version"]}"'}
    )
    assert retired.status_code == 200
    assert (retired.json()["status"], retired.json()["version"]) == ("retired", plan["version"] + 1)
    assert retired.headers["etag"] == f'"{plan["version"] + 1}"'
    assert plan["key"] not in await catalog_keys(client, slug, owner)
    listed = await client.get("/v1/admin/plans", params={"status": "retired", "limit": 200}, headers=admin)
    assert plan["key"] in {p["key"] for p in listed.json()["items"]}
    # Still readable (existing subscriptions may be on it), but nobody new may subscribe.
    assert (await client.get(f"/v1/tenants/{slug}/plans/{plan['key']}", headers=owner)).status_code == 200
    refused = await client.post(f"/v1/tenants/{slug}/subscription", json={"plan": plan["key"]}, headers=owner)
    assert refused.status_code == 409
    assert "retired" in refused.json()["detail"]


async def catalog_keys(client: AsyncTestClient, slug: str, headers: dict[str, str]) -> set[str]:  # type: ignore[type-arg]
    keys: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"/v1/tenants/{slug}/plans", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        keys |= {p["key"] for p in page["items"]}
        assert all(p["status"] == "active" for p in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return keys


# --- tenants' subscriptions ------------------------------------------------------------------------


async def test_subscription_lifecycle(
    client: AsyncTestClient,  # type: ignore[type-arg]
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
    client: AsyncTestClient,  # type: ignore[type-arg]
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


async def api_key(client: AsyncTestClient, slug: str, owner: dict[str, str], role: str) -> dict[str, str]:  # type: ignore[type-arg]
    created = await client.post(f"/v1/tenants/{slug}/api-keys", json={"name": role, "role": role}, headers=owner)
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['secret']}"}


async def test_subscribing_is_idempotent_and_serialized(
    client: AsyncTestClient,  # type: ignore[type-arg]
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


async def test_catalog_for_tenants(
    client: AsyncTestClient,  # type: ignore[type-arg]
    admin: dict[str, str],
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    plan = await create_plan(client, admin)
    assert plan["key"] in await catalog_keys(client, slug, owner)
    one = await client.get(f"/v1/tenants/{slug}/plans/{plan['key']}", headers=owner)
    assert one.status_code == 200
    assert one.json() == plan
    assert (await client.get(f"/v1/tenants/{slug}/plans/none-such", headers=owner)).status_code == 404
    assert (await client.get(f"/v1/tenants/{slug}/plans", headers={})).status_code == 401


# --- segments for invoicing ------------------------------------------------------------------------------


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
