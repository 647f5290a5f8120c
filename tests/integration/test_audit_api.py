"""Reading the audit trail: the repository against real PostgreSQL (row-level security on), and
/v1/tenants/{tenant}/audit-events and its export through the HTTP API."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
import pytest

from fluxforge.audit import logic
from fluxforge.audit import repository as audit
from fluxforge.audit.models import AuditContext, AuditEntry, AuditEvent, AuditFilter, AuditPosition
from fluxforge.audit.service import export_chunks
from fluxforge.conventions import new_id
from fluxforge.db import Database
from tests.conftest import make_user
from tests.support import Client, make_tenant

PROBLEM = "application/problem+json"
TenantOwner = tuple[str, dict[str, str]]


def unique_actor() -> str:
    return f"user:{uuid.uuid4()}"


async def seed(
    db: Database,
    tenant_id: uuid.UUID,
    actor: str,
    actions: list[str],
    *,
    together: bool = True,
    target_id: str | None = None,
) -> None:
    """Record one event per action: in one transaction (so they share occurred_at), or one each."""
    context = AuditContext(actor=actor, request_id=f"req-{uuid.uuid4().hex[:8]}", client_ip="192.0.2.7")

    def entry(n: int, action: str) -> AuditEntry:
        return AuditEntry(tenant_id, action, "thing", target_id or f"thing-{n}", {"n": n - 1}, {"n": n})

    if together:
        async with db.tenant(tenant_id) as conn:
            for n, action in enumerate(actions):
                await audit.record(conn, context, entry(n, action))
        return
    for n, action in enumerate(actions):
        async with db.tenant(tenant_id) as conn:
            await audit.record(conn, context, entry(n, action))


async def read_all(
    db: Database, tenant_id: uuid.UUID, filters: AuditFilter, limit: int = 200, scope: uuid.UUID | None = None
) -> list[AuditEvent]:
    """Every matching event, page by page through the repository as the list endpoint reads them."""
    events: list[AuditEvent] = []
    after: AuditPosition | None = None
    while True:
        async with db.tenant(scope or tenant_id) as conn:
            rows = await audit.list_page(conn, tenant_id, filters, after=after, limit=limit)
        page, cursor = logic.page_of(rows, limit)
        events += page
        if cursor is None:
            return events
        after = logic.decode_cursor(cursor)


def newest_first(events: list[AuditEvent]) -> list[AuditEvent]:
    return sorted(events, key=lambda e: (e.occurred_at, e.id), reverse=True)


# --- the repository, against PostgreSQL with row-level security ----------------------------


async def test_filters_by_actor_action_and_prefix(app_db: Database) -> None:
    tenant, actor, other = new_id(), unique_actor(), unique_actor()
    await seed(app_db, tenant, actor, ["tenant.create", "tenant.update", "role.create", "tenantx.update"])
    await seed(app_db, tenant, other, ["tenant.update"])

    everything = await read_all(app_db, tenant, AuditFilter())
    assert len(everything) == 5
    assert everything == newest_first(everything)
    mine = await read_all(app_db, tenant, AuditFilter(actor=actor))
    assert sorted(e.action for e in mine) == ["role.create", "tenant.create", "tenant.update", "tenantx.update"]
    updates = await read_all(app_db, tenant, AuditFilter(action="tenant.update"))
    assert sorted(e.actor for e in updates) == sorted([actor, other])
    prefixed = await read_all(
        app_db, tenant, logic.audit_filter(actor=actor, action="tenant.*", since=None, until=None)
    )
    assert sorted(e.action for e in prefixed) == ["tenant.create", "tenant.update"]
    # A prefix is a prefix, not a pattern: `_` and `%` match only themselves.
    assert await read_all(app_db, tenant, AuditFilter(action_prefix="tenant_")) == []
    assert await read_all(app_db, tenant, AuditFilter(action_prefix="%")) == []

    event = next(e for e in mine if e.action == "role.create")
    assert event.target_type == "thing"
    assert event.client_ip == "192.0.2.7"
    assert event.request_id is not None
    assert event.result == "success"
    assert event.after == {"n": 2}
    assert event.before == {"n": 1}


async def test_time_window_is_since_inclusive_until_exclusive(app_db: Database) -> None:
    tenant, actor = new_id(), unique_actor()
    await seed(app_db, tenant, actor, ["a", "b", "c"], together=False)
    c, b, a = await read_all(app_db, tenant, AuditFilter())
    assert a.occurred_at < b.occurred_at < c.occurred_at

    def window(since: datetime | None, until: datetime | None) -> AuditFilter:
        return AuditFilter(since=since, until=until)

    assert [e.action for e in await read_all(app_db, tenant, window(b.occurred_at, None))] == ["c", "b"]
    assert [e.action for e in await read_all(app_db, tenant, window(None, b.occurred_at))] == ["a"]
    assert [e.action for e in await read_all(app_db, tenant, window(a.occurred_at, c.occurred_at))] == ["b", "a"]
    assert await read_all(app_db, tenant, window(b.occurred_at, b.occurred_at)) == []


async def test_pages_neither_repeat_nor_skip_events_that_share_a_timestamp(app_db: Database) -> None:
    tenant, actor = new_id(), unique_actor()
    await seed(app_db, tenant, actor, [f"batch.{n}" for n in range(7)])  # one transaction: one occurred_at
    await seed(app_db, tenant, actor, [f"single.{n}" for n in range(3)], together=False)
    everything = await read_all(app_db, tenant, AuditFilter(), limit=200)
    assert len({e.occurred_at for e in everything if e.action.startswith("batch.")}) == 1
    for limit in (1, 2, 3, 7, 9, 10, 11):
        paged = await read_all(app_db, tenant, AuditFilter(), limit=limit)
        assert [e.id for e in paged] == [e.id for e in everything], limit
    assert len({e.id for e in everything}) == 10


async def test_rows_of_another_tenant_never_appear(app_db: Database) -> None:
    mine, theirs, actor = new_id(), new_id(), unique_actor()
    await seed(app_db, mine, actor, ["x.mine"])
    await seed(app_db, theirs, actor, ["x.theirs", "x.theirs"])
    assert [e.action for e in await read_all(app_db, mine, AuditFilter(actor=actor))] == ["x.mine"]
    # Even a query that names the other tenant sees nothing of it: row-level security holds.
    assert await read_all(app_db, theirs, AuditFilter(actor=actor), scope=mine) == []


async def test_export_reads_in_batches_and_equals_the_list(app_db: Database) -> None:
    tenant, actor = new_id(), unique_actor()
    await seed(app_db, tenant, actor, [f"e.{n}" for n in range(10)])
    expected = await read_all(app_db, tenant, AuditFilter())

    jsonl = [chunk async for chunk in export_chunks(app_db, tenant, AuditFilter(), "jsonl", batch_size=3)]
    assert len(jsonl) == 4  # 3 + 3 + 3 + 1, each batch one chunk
    lines = b"".join(jsonl).decode().splitlines()
    assert [msgspec.json.decode(line, type=AuditEvent) for line in lines] == expected

    exact = [chunk async for chunk in export_chunks(app_db, tenant, AuditFilter(), "csv", batch_size=5)]
    assert len(exact) == 3  # header, 5, 5; no empty trailing query result is sent
    rows = list(csv.DictReader(io.StringIO(b"".join(exact).decode(), newline="")))
    assert [row["id"] for row in rows] == [str(e.id) for e in expected]

    empty = [chunk async for chunk in export_chunks(app_db, new_id(), AuditFilter(), "csv")]
    assert empty == [logic.csv_header()]


# --- the HTTP API ----------------------------------------------------------------------------


async def tenant_id_of(client: Client, owner: TenantOwner) -> uuid.UUID:
    slug, headers = owner
    response = await client.get(f"/v1/tenants/{slug}", headers=headers)
    assert response.status_code == 200, response.text
    return uuid.UUID(response.json()["id"])


async def list_all(
    client: Client,
    owner: TenantOwner,
    limit: int = 200,
    **params: Any,
) -> list[dict[str, Any]]:
    slug, headers = owner
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"/v1/tenants/{slug}/audit-events", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_list_shows_the_tenants_own_trail(client: Client, tenant_owner: TenantOwner) -> None:
    items = await list_all(client, tenant_owner)
    assert "tenant.create" in {item["action"] for item in items}
    assert list(items[0]) == list(AuditEvent.__struct_fields__)


async def test_list_filters_and_pages_over_http(
    client: Client,
    tenant_owner: TenantOwner,
    app_db: Database,
) -> None:
    tenant = await tenant_id_of(client, tenant_owner)
    actor = unique_actor()
    await seed(app_db, tenant, actor, [f"widget.{n}" for n in range(6)] + ["gadget.make"])
    await seed(app_db, tenant, actor, ["widget.late", "gadget.late"], together=False)

    everything = await list_all(client, tenant_owner, actor=actor)
    assert len(everything) == 9
    for limit in (1, 2, 4):
        assert await list_all(client, tenant_owner, limit=limit, actor=actor) == everything
    widgets = await list_all(client, tenant_owner, limit=3, actor=actor, action="widget.*")
    assert [w["action"] for w in widgets] == [e["action"] for e in everything if e["action"].startswith("widget.")]
    assert [g["action"] for g in await list_all(client, tenant_owner, actor=actor, action="gadget.late")] == [
        "gadget.late"
    ]
    late = everything[1]["occurred_at"]  # widget.late, recorded after the batch
    assert everything[1]["action"] == "widget.late"
    since = await list_all(client, tenant_owner, actor=actor, since=late)
    assert [e["action"] for e in since] == ["gadget.late", "widget.late"]
    until = await list_all(client, tenant_owner, actor=actor, until=late)
    assert len(until) == 7
    # An offset other than Z means the same instant.
    as_offset = datetime.fromisoformat(late).astimezone().isoformat()
    assert await list_all(client, tenant_owner, actor=actor, since=as_offset) == since


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-23T09:00:00"}, "since"),
        ({"since": "2026-11-23T10:00:00Z", "until": "2026-11-23T09:00:00Z"}, "since"),
        ({"action": "tenant.*.update"}, "action"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"cursor": "not-a-cursor"}, None),
        ({"cursor": "A" * 65}, "cursor"),
    ],
)
async def test_bad_queries_are_400_problems(
    client: Client,
    tenant_owner: TenantOwner,
    params: dict[str, str],
    field: str | None,
) -> None:
    slug, headers = tenant_owner
    response = await client.get(f"/v1/tenants/{slug}/audit-events", params=params, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    if field is None:
        assert problem["type"].endswith("/bad-request")
    else:
        assert field in {e["field"] for e in problem["errors"]}, problem
    if "limit" not in params and "cursor" not in params:
        export = await client.get(f"/v1/tenants/{slug}/audit-events/export", params=params, headers=headers)
        assert export.status_code == 400
        assert export.headers["content-type"] == PROBLEM


async def test_export_format_is_checked(client: Client, tenant_owner: TenantOwner) -> None:
    slug, headers = tenant_owner
    response = await client.get(f"/v1/tenants/{slug}/audit-events/export", params={"format": "xml"}, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_export_equals_the_list_in_both_formats(
    client: Client,
    tenant_owner: TenantOwner,
    app_db: Database,
) -> None:
    slug, headers = tenant_owner
    tenant = await tenant_id_of(client, tenant_owner)
    actor = unique_actor()
    # More than one export batch, with a page boundary inside a shared timestamp.
    await seed(app_db, tenant, actor, [f"bulk.{n % 5}" for n in range(2_100)])
    await seed(app_db, tenant, actor, ["after.one", "after.two"], together=False)
    listed = await list_all(client, tenant_owner, actor=actor)
    assert len(listed) == 2_102

    jsonl = await client.get(
        f"/v1/tenants/{slug}/audit-events/export", params={"format": "jsonl", "actor": actor}, headers=headers
    )
    assert jsonl.status_code == 200
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert jsonl.headers["content-disposition"] == f'attachment; filename="audit-events-{slug}.jsonl"'
    assert [msgspec.json.decode(line) for line in jsonl.text.splitlines()] == listed

    exported = await client.get(f"/v1/tenants/{slug}/audit-events/export", params={"actor": actor}, headers=headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"] == f'attachment; filename="audit-events-{slug}.csv"'
    rows = list(csv.reader(io.StringIO(exported.text, newline="")))
    assert rows[0] == list(logic.CSV_COLUMNS)

    def as_csv(item: dict[str, Any]) -> list[str]:
        cells = []
        for column in logic.CSV_COLUMNS:
            value = item[column]
            text = "" if value is None else msgspec.json.encode(value).decode() if isinstance(value, dict) else value
            cells.append(logic.csv_safe(text))
        return cells

    assert rows[1:] == [as_csv(item) for item in listed]

    filtered = await client.get(
        f"/v1/tenants/{slug}/audit-events/export",
        params={"format": "jsonl", "actor": actor, "action": "after.*"},
        headers=headers,
    )
    assert [msgspec.json.decode(line)["action"] for line in filtered.text.splitlines()] == ["after.two", "after.one"]


async def test_csv_export_neutralises_formulas(
    client: Client,
    tenant_owner: TenantOwner,
    app_db: Database,
) -> None:
    slug, headers = tenant_owner
    tenant = await tenant_id_of(client, tenant_owner)
    actor = '=HYPERLINK("https://evil.example","x")'
    await seed(app_db, tenant, actor, ["+cmd|' /C calc'!A0", "@SUM(1+1)"], target_id="-1+2")
    exported = await client.get(f"/v1/tenants/{slug}/audit-events/export", params={"actor": actor}, headers=headers)
    rows = list(csv.DictReader(io.StringIO(exported.text, newline="")))
    assert [row["action"] for row in rows] == ["'@SUM(1+1)", "'+cmd|' /C calc'!A0"]
    assert {row["actor"] for row in rows} == {"'" + actor}
    assert {row["target_id"] for row in rows} == {"'-1+2"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(logic.FORMULA_TRIGGERS), value
    # The JSON formats carry the values as they are: only spreadsheets need the guard.
    listed = await list_all(client, tenant_owner, actor=actor)
    assert {item["actor"] for item in listed} == {actor}


async def test_other_tenants_events_never_appear(
    client: Client,
    tenant_owner: TenantOwner,
    app_db: Database,
    owner_conn: asyncpg.Connection,
) -> None:
    slug, headers = tenant_owner
    tenant = await tenant_id_of(client, tenant_owner)
    stranger = await make_user(client, owner_conn)
    other_slug = await make_tenant(client, stranger)
    other = await tenant_id_of(client, (other_slug, stranger.headers))
    actor = unique_actor()
    await seed(app_db, tenant, actor, ["shared.mine"])
    await seed(app_db, other, actor, ["shared.theirs"] * 3)

    assert [e["action"] for e in await list_all(client, tenant_owner, actor=actor)] == ["shared.mine"]
    assert [e["action"] for e in await list_all(client, (other_slug, stranger.headers), actor=actor)] == [
        "shared.theirs"
    ] * 3
    everything_mine = await list_all(client, tenant_owner)
    assert not {e["id"] for e in everything_mine} & {
        e["id"] for e in await list_all(client, (other_slug, stranger.headers))
    }
    export = await client.get(f"/v1/tenants/{slug}/audit-events/export", params={"format": "jsonl"}, headers=headers)
    assert "shared.theirs" not in export.text

    for path in (f"/v1/tenants/{other_slug}/audit-events", f"/v1/tenants/{other_slug}/audit-events/export"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == PROBLEM


async def test_reading_the_trail_needs_audit_read(
    client: Client,
    tenant_owner: TenantOwner,
) -> None:
    slug, headers = tenant_owner
    base = f"/v1/tenants/{slug}/audit-events"
    for path in (base, f"{base}/export"):
        response = await client.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM

    keys = {}
    for role in ("viewer", "admin"):
        created = await client.post(
            f"/v1/tenants/{slug}/api-keys", json={"name": f"{role} key", "role": role}, headers=headers
        )
        assert created.status_code == 201, created.text
        keys[role] = {"Authorization": f"Bearer {created.json()['secret']}"}
    for path in (base, f"{base}/export"):
        denied = await client.get(path, headers=keys["viewer"])
        assert denied.status_code == 403, path
        assert denied.json()["type"].endswith("/forbidden")
        allowed = await client.get(path, headers=keys["admin"])
        assert allowed.status_code == 200, path
    creations = await list_all(client, (slug, keys["admin"]), action="apikey.*")
    assert len(creations) >= 2
