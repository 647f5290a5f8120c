"""What the metering tests share: usage events as clients send them, and tenants to report them in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from tests.conftest import ADMIN_TOKEN
from tests.support import Client, unique_slug

PROBLEM = "application/problem+json"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TenantOwner = tuple[str, dict[str, str]]
ENCODE = msgspec.json.Encoder(decimal_format="number").encode


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def event(event_id: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {"id": event_id, "type": fields.pop("type", "job.done"), "timestamp": iso(at), "subject": "c-1", **fields}


async def post_usage(
    client: Client,
    slug: str,
    headers: dict[str, str],
    body: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/tenants/{slug}/usage", content=ENCODE(body), headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def tenant_id_of(owner_conn: asyncpg.Connection, slug: str) -> uuid.UUID:
    tenant_id: uuid.UUID = await owner_conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    return tenant_id


async def new_tenant(owner_conn: asyncpg.Connection) -> uuid.UUID:
    tenant_id: uuid.UUID = await owner_conn.fetchval(
        "INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, 'x') RETURNING id", uuid.uuid4(), unique_slug()
    )
    return tenant_id
