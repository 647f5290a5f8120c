"""How long closing a billing period takes: 1,000 tenants, 5 meters, 1,000,000 usage events.

Run from the repository root (PostgreSQL only; no server, no Redis):

    uv run python loadtests/close_period.py [--tenants 1000] [--events 1000000] [--switchers 0.1]

Against a throw-away database (`fluxforge_bench_<hex>` on FLUXFORGE_DATABASE_URL or the local
default, migrated with the real migrations, dropped afterwards) it seeds, with COPY straight into
the tables: the tenants, 5 platform meters (3 counts, 2 sums), two plans pricing the 5 meters with
every charge model, a subscription per tenant (a share of them switching plans mid-period, which
splits their usage into two windows), and the usage events spread over last month. Then it runs
`service.close_period` on the application role, as the admin API does, and prints the figure:
the time to close the period, then the time of closing it again (idempotent: nothing made).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from baseline import DEFAULT_DATABASE_URL, REPO_ROOT, scratch_database
from fluxforge.audit.models import AuditContext
from fluxforge.billing.invoices import service
from fluxforge.config import APP_DB_ROLE, with_user
from fluxforge.db import Database, create_pool
from fluxforge.migrations import migrate

METERS: list[tuple[str, str, str, str | None]] = [
    # key, event type, aggregation, value property
    ("bench.api-calls", "bench.api.call", "count", None),
    ("bench.builds", "bench.build", "count", None),
    ("bench.deploys", "bench.deploy", "count", None),
    ("bench.compute-seconds", "bench.compute", "sum", "seconds"),
    ("bench.storage-gb", "bench.storage", "sum", "gb"),
]
PRICES: list[dict[str, Any]] = [
    {"meter_key": "bench.api-calls", "model": "per_unit", "unit_price": "0.05", "included_quantity": "100"},
    {
        "meter_key": "bench.builds",
        "model": "graduated",
        "tiers": [{"up_to": "100", "unit_price": "10"}, {"up_to": None, "unit_price": "5", "flat_fee": 500}],
    },
    {"meter_key": "bench.deploys", "model": "package", "package_size": "10", "package_price": 100},
    {
        "meter_key": "bench.compute-seconds",
        "model": "volume",
        "tiers": [{"up_to": "10000", "unit_price": "0.02"}, {"up_to": None, "unit_price": "0.01"}],
    },
    {"meter_key": "bench.storage-gb", "model": "per_unit", "unit_price": "25"},
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--switchers", type=float, default=0.1, help="share of tenants changing plan mid-period")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file (for loadtests/bench.py)")
    return parser.parse_args()


def last_month(now: datetime) -> tuple[datetime, datetime]:
    end = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (end - timedelta(days=1)).replace(day=1)
    return start, end


async def seed(owner: asyncpg.Connection, args: argparse.Namespace, start: datetime, end: datetime) -> dict[str, Any]:
    rng = random.Random(args.seed)
    began = time.perf_counter()
    tenants = [uuid.uuid4() for _ in range(args.tenants)]
    await owner.copy_records_to_table(
        "tenants",
        records=[(t, f"bench-{i:05d}", f"Bench Tenant {i}") for i, t in enumerate(tenants)],
        columns=["id", "slug", "display_name"],
    )
    await owner.copy_records_to_table(
        "platform_meters",
        records=[(uuid.uuid4(), key, event_type, aggregation, prop) for key, event_type, aggregation, prop in METERS],
        columns=["id", "key", "event_type", "aggregation", "value_property"],
    )
    plans = [uuid.uuid4(), uuid.uuid4()]
    long_ago = start - timedelta(days=365)
    await owner.copy_records_to_table(
        "billing_plans",
        records=[(p, f"bench-plan-{n}", f"Bench {n}", "USD", 1) for n, p in enumerate(plans)],
        columns=["id", "key", "name", "currency", "last_version"],
    )
    prices = msgspec.json.encode(PRICES).decode()
    await owner.copy_records_to_table(
        "billing_plan_versions",
        records=[(p, 1, 4_900 * (n + 1), 20_000 * (n + 1), prices, long_ago, "bench") for n, p in enumerate(plans)],
        columns=["plan_id", "version", "fixed_fee", "minimum_commitment", "prices", "effective_from", "created_by"],
    )
    await owner.copy_records_to_table(
        "billing_subscriptions", records=[(t, "USD") for t in tenants], columns=["tenant_id", "currency"]
    )
    middle = start + (end - start) / 2
    changes: list[tuple[uuid.UUID, uuid.UUID, datetime, uuid.UUID, str]] = []
    switchers = int(len(tenants) * args.switchers)
    for index, tenant in enumerate(tenants):
        changes.append((tenant, uuid.uuid4(), long_ago, plans[0], "bench"))
        if index < switchers:
            changes.append((tenant, uuid.uuid4(), middle.replace(microsecond=0), plans[1], "bench"))
    await owner.copy_records_to_table(
        "billing_subscription_changes",
        records=changes,
        columns=["tenant_id", "id", "effective_at", "plan_id", "created_by"],
    )
    span = int((end - start).total_seconds())

    def events() -> Any:
        for n in range(args.events):
            tenant = tenants[rng.randrange(len(tenants))]
            _, event_type, _, prop = METERS[n % len(METERS)]
            at = start + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000))
            properties = "{}" if prop is None else f'{{"{prop}": {rng.randint(1, 100)}}}'
            yield (tenant, at, f"e{n}", event_type, "bench", properties)

    await owner.copy_records_to_table(
        "usage_events",
        records=events(),
        columns=["tenant_id", "occurred_at", "event_id", "type", "subject", "properties"],
    )
    await owner.execute("ANALYZE")
    return {"seed_seconds": round(time.perf_counter() - began, 1), "switchers": switchers}


async def run(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    await migrate(database_url, str(REPO_ROOT / "migrations"))
    start, end = last_month(datetime.now(UTC))
    owner = await asyncpg.connect(database_url)
    try:
        seeded = await seed(owner, args, start, end)
        print(
            f"seeded {args.tenants:,} tenants, {len(METERS)} meters, {args.events:,} events "
            f"({seeded['switchers']} tenants switch plans mid-period) in {seeded['seed_seconds']} s"
        )
        pool = await create_pool(with_user(database_url, APP_DB_ROLE), min_size=1, max_size=4)
        db = Database(pool)
        context = AuditContext(actor="bench:close-period", request_id=None, client_ip=None)
        try:
            began = time.perf_counter()
            result = await service.close_period(db, start=start, end=end, context=context)
            first = time.perf_counter() - began
            began = time.perf_counter()
            again = await service.close_period(db, start=start, end=end, context=context)
            second = time.perf_counter() - began
        finally:
            await pool.close()
        lines = await owner.fetchval("SELECT count(*) FROM invoice_lines")
        billed_events = await owner.fetchval(
            "SELECT coalesce(sum(event_count), 0) FROM invoice_lines WHERE kind = 'usage'"
        )
        total = await owner.fetchval("SELECT sum(total) FROM invoices")
    finally:
        await owner.close()
    assert result.created == args.tenants == len(result.invoices), (result.created, len(result.invoices))
    assert again.created == 0
    assert {i.id for i in again.invoices} == {i.id for i in result.invoices}
    assert billed_events == args.events, (billed_events, args.events)
    return {
        "tenants": args.tenants,
        "meters": len(METERS),
        "events": args.events,
        "period": [start.isoformat(), end.isoformat()],
        "invoices": result.created,
        "lines": lines,
        "billed_events": int(billed_events),
        "invoiced_total_minor": int(total),
        "close_seconds": round(first, 2),
        "reclose_seconds": round(second, 2),
        **seeded,
    }


def main() -> int:
    args = parse_args()
    server_url = os.environ.get("FLUXFORGE_DATABASE_URL") or DEFAULT_DATABASE_URL
    with scratch_database(server_url) as database_url:
        figures = asyncio.run(run(args, database_url))
    print()
    print(
        f"closing a period for {figures['tenants']:,} tenants, {figures['meters']} meters, {figures['events']:,} events"
    )
    print(f"  invoices made:       {figures['invoices']:,} ({figures['lines']:,} lines, every event billed once)")
    print(f"  close:               {figures['close_seconds']:.2f} s   (aim: under 30 s)")
    print(f"  close again (no-op): {figures['reclose_seconds']:.2f} s")
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results / f"close-period-{stamp}-{secrets.token_hex(2)}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"  written to {path.relative_to(REPO_ROOT)}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
