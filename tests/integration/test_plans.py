"""The plan catalog through the HTTP API against real PostgreSQL with row-level security on: the
admin's plans and their versions, and the catalog tenants read."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
import pytest

from fluxforge.billing.catalog.pricing import PlanVersion, price_quantity
from fluxforge.db import Database
from tests.integration.catalog_support import (
    PRO_PRICES,
    PROBLEM,
    TenantOwner,
    catalog_keys,
    create_plan,
    db_now,
    iso,
    plan_body,
)
from tests.support import Client

NIL = uuid.UUID(int=0)


# --- the admin's catalog ---------------------------------------------------------------------------


async def test_create_and_read_a_plan_with_every_charge_model(
    client: Client,
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


async def test_plans_need_the_admin_token(client: Client, tenant_owner: TenantOwner) -> None:
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
    client: Client,
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
    client: Client,
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
    client: Client,
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
    client: Client,
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


# --- the tenants' catalog ---------------------------------------------------------------------------


async def test_catalog_for_tenants(
    client: Client,
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
