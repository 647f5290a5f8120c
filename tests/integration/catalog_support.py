"""What the plan and subscription tests share: a plan with every charge model, made through the
admin API, and the catalog a tenant sees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from tests.support import Client, unique_slug

PROBLEM = "application/problem+json"
TenantOwner = tuple[str, dict[str, str]]

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


async def create_plan(client: Client, admin: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = await client.post("/v1/admin/plans", json=plan_body(**changes), headers=admin)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def db_now(owner_conn: asyncpg.Connection) -> datetime:
    value: datetime = await owner_conn.fetchval("SELECT now()")
    return value


async def catalog_keys(client: Client, slug: str, headers: dict[str, str]) -> set[str]:
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
