"""Usage queries against real PostgreSQL (row-level security on): a tenant sees only its own
usage, and aggregates always equal a pure-Python computation over the raw events, however the
events were shuffled, repeated and batched."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluxforge.db import Database
from fluxforge.metering import periods, repository
from fluxforge.metering.models import Window
from fluxforge.metering.reports import window_end, window_start
from tests.conftest import make_user
from tests.integration.metering_support import TenantOwner, event, iso, post_usage, tenant_id_of
from tests.support import Client, make_tenant


async def test_tenants_see_only_their_own_usage(
    client: Client,
    owner_conn: asyncpg.Connection,
) -> None:
    alice, bob = await make_user(client, owner_conn), await make_user(client, owner_conn)
    a_slug, b_slug = await make_tenant(client, alice), await make_tenant(client, bob)
    now = datetime.now(UTC)
    for slug, user in ((a_slug, alice), (b_slug, bob)):
        await client.post(
            f"/v1/tenants/{slug}/meters",
            json={"key": "jobs", "event_type": "job.done", "aggregation": "count"},
            headers=user.headers,
        )
    # The same event ids in two tenants are two events.
    await post_usage(client, a_slug, alice.headers, {"events": [event("same", now), event("a-only", now)]})
    assert (await post_usage(client, b_slug, bob.headers, {"events": [event("same", now)]}))["accepted"] == 1
    a_usage = (await client.get(f"/v1/tenants/{a_slug}/usage?meter=jobs", headers=alice.headers)).json()
    b_usage = (await client.get(f"/v1/tenants/{b_slug}/usage?meter=jobs", headers=bob.headers)).json()
    assert [i["quantity"] for i in a_usage["items"]] == ["2"]
    assert [i["quantity"] for i in b_usage["items"]] == ["1"]
    foreign = await client.get(f"/v1/tenants/{a_slug}/usage?meter=jobs", headers=bob.headers)
    assert foreign.status_code == 404


async def test_usage_queries_are_checked(
    client: Client,
    tenant_owner: TenantOwner,
) -> None:
    slug, owner = tenant_owner
    url = f"/v1/tenants/{slug}/usage"
    assert (await client.get(url, params={"meter": "nope"}, headers=owner)).status_code == 404
    bad_dim = await client.get(url, params={"meter": "api.requests", "group_by": "colour"}, headers=owner)
    assert bad_dim.status_code == 400
    assert "colour" in bad_dim.json()["detail"]
    backwards = await client.get(
        url,
        params={"meter": "api.requests", "start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        headers=owner,
    )
    assert backwards.status_code == 400
    default = await client.get(url, params={"meter": "api.requests", "window": "day"}, headers=owner)
    assert default.status_code == 200
    report = default.json()
    assert report["start"] == iso(periods.month_start(datetime.now(UTC)))
    assert report["window"] == "day"
    assert report["unit"] == "requests"


# --- aggregates equal the raw events --------------------------------------------------------------

METERS = {
    "p.count": ("count", None),
    "p.sum": ("sum", "v"),
    "p.max": ("max", "v"),
    "p.latest": ("latest", "v"),
    "p.unique": ("unique_count", "v"),
}
VALUES = st.one_of(
    st.integers(-1000, 1000),
    st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False),
    st.sampled_from(["x", "y", "", True, False, None]),
)
GROUPS = st.sampled_from(["a", "b", 1, True, None, "missing"])


def windowed(at: datetime, window: Window | None, start: datetime) -> datetime:
    return start if window is None else max(window_start(at, window), start)


def is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | Decimal)


def scalar_key(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | Decimal):
        return ("n", Decimal(value))
    if isinstance(value, str):
        return ("s", value)
    return None


def group_text(value: Any) -> str | None:
    if value is None or value == "missing":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def reference(
    events: Iterable[dict[str, Any]],
    aggregation: str,
    window: Window | None,
    dims: list[str],
    start: datetime,
    end: datetime,
) -> set[tuple[Any, ...]]:
    """The report computed in Python from the raw events, by the documented rules."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        at = e["at"]
        if not start <= at < end:
            continue
        value = e["properties"].get("v")
        if aggregation in ("sum", "max", "latest") and not is_number(value):
            continue
        if aggregation == "unique_count" and scalar_key(value) is None:
            continue
        values = tuple(e["subject"] if d == "subject" else group_text(e["properties"].get("g")) for d in dims)
        groups[(windowed(at, window, start), values)].append(e)
    result = set()
    for (bucket, values), members in groups.items():
        numbers = [Decimal(m["properties"]["v"]) for m in members] if aggregation in ("sum", "max") else []
        if aggregation == "count":
            quantity = Decimal(len(members))
        elif aggregation == "sum":
            quantity = sum(numbers, Decimal(0))
        elif aggregation == "max":
            quantity = max(numbers)
        elif aggregation == "latest":
            newest = max(members, key=lambda m: (m["at"], m["id"]))
            quantity = Decimal(newest["properties"]["v"])
        else:
            quantity = Decimal(len({scalar_key(m["properties"]["v"]) for m in members}))
        bucket_end = end if window is None else min(window_end(window_start(bucket, window), window), end)
        result.add((bucket, bucket_end, tuple(zip(dims, values, strict=True)), quantity, len(members)))
    return result


def reported(items: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {
        (
            datetime.fromisoformat(i["window_start"]),
            datetime.fromisoformat(i["window_end"]),
            tuple(i["group"].items()),
            Decimal(i["quantity"]),
            i["event_count"],
        )
        for i in items
    }


event_specs = st.lists(
    st.tuples(
        st.integers(0, 20 * 24 * 3600 - 1),  # seconds before `now`
        st.sampled_from(["s1", "s2", "s3"]),
        VALUES,
        GROUPS,
        st.booleans(),  # has v
    ),
    min_size=1,
    max_size=60,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=event_specs,
    repeats=st.lists(st.integers(0, 59), max_size=40),
    batch_size=st.integers(1, 25),
    seed=st.integers(0, 2**16),
    concurrent=st.booleans(),
)
async def test_property_aggregates_equal_the_raw_events(
    client: Client,
    owner_conn: asyncpg.Connection,
    app_db: Database,
    specs: list[tuple[int, str, Any, Any, bool]],
    repeats: list[int],
    batch_size: int,
    seed: int,
    concurrent: bool,
) -> None:
    user = await make_user(client, owner_conn)
    slug = await make_tenant(client, user)
    for key, (aggregation, prop) in METERS.items():
        body = {"key": key, "event_type": "p.e", "aggregation": aggregation, "value_property": prop, "group_by": ["g"]}
        assert (await client.post(f"/v1/tenants/{slug}/meters", json=body, headers=user.headers)).status_code == 201
    now = datetime.now(UTC).replace(microsecond=0)
    events = []
    for n, (ago, subject, value, group, has_value) in enumerate(specs):
        properties: dict[str, Any] = {}
        if has_value:
            properties["v"] = value
        if group != "missing":
            properties["g"] = group
        events.append(
            {"id": f"ev-{n:03d}", "at": now - timedelta(seconds=ago), "subject": subject, "properties": properties}
        )
    stream = events + [events[r % len(events)] for r in repeats]
    rng = random.Random(seed)
    rng.shuffle(stream)
    batches = [stream[i : i + batch_size] for i in range(0, len(stream), batch_size)]

    async def send(batch: list[dict[str, Any]]) -> dict[str, Any]:
        body = {
            "events": [
                event(e["id"], e["at"], type="p.e", subject=e["subject"], properties=e["properties"]) for e in batch
            ]
        }
        return await post_usage(client, slug, user.headers, body)

    if concurrent:
        results = await asyncio.gather(*(send(b) for b in batches))
    else:
        results = [await send(b) for b in batches]
    assert sum(r["accepted"] for r in results) == len(events)
    assert sum(len(r["duplicates"]) for r in results) == len(stream) - len(events)
    assert not any(r["rejected"] for r in results)

    start, end = now - timedelta(days=21), now + timedelta(seconds=1)
    for key, (aggregation, _) in METERS.items():
        windows: list[Window | None] = [None, "hour", "day", "month"]
        window = rng.choice(windows)
        dims = rng.choice([[], ["g"], ["subject"], ["g", "subject"]])
        params: dict[str, Any] = {"meter": key, "start": iso(start), "end": iso(end), "group_by": dims}
        if window:
            params["window"] = window
        response = await client.get(f"/v1/tenants/{slug}/usage", params=params, headers=user.headers)
        assert response.status_code == 200, response.text
        assert reported(response.json()["items"]) == reference(events, aggregation, window, dims, start, end), (
            key,
            window,
            dims,
        )

    tenant_id = await tenant_id_of(owner_conn, slug)
    async with app_db.platform() as conn:
        totals = await repository.usage_totals(conn, start=start, end=end, tenant_ids=[tenant_id])
    mine = {t.meter_key: (t.quantity, t.event_count) for t in totals if t.meter_key in METERS}
    expected = {}
    for key, (aggregation, _) in METERS.items():
        whole_period: set[tuple[Any, ...] | None] = set(reference(events, aggregation, None, [], start, end))
        (total,) = whole_period or {None}
        if total is not None:
            expected[key] = (total[3], total[4])
    assert mine == expected
    assert all(t.tenant_id == tenant_id for t in totals)
