"""Usage ingest throughput of `fluxforge serve`, beside a raw COPY of the same rows; usage totals at scale.

Run from the repository root:

    uv run python loadtests/ingest.py [--events 600000] [--batch 1000] [--duplicates 0.1] [--clients 8]
                                      [--tenants 100] [--workers 2] [--port 8767]
                                      [--totals-events 1000000] [--totals-tenants 1000]

In one run, against a throw-away database (see baseline.py for the set-up and clean-up):

1. Ingest through the batch endpoint: `--events` events in batches of `--batch`, `--duplicates`
   of them repeating ids sent before (with another timestamp), spread over `--tenants` tenants,
   posted by `--clients` concurrent keep-alive connections to the real `fluxforge serve`
   (`--workers` gunicorn workers, self-metering on). Every request body is built and encoded
   before the clock starts, and the client is a few lines of asyncio over raw sockets, so the
   load generator spends microseconds per batch (its CPU time is reported). Throughput is the
   events offered per second of wall time, and the rows the database holds afterwards per
   second (server-side, counted in PostgreSQL).
2. Raw COPY: the same stored rows, COPY'd with asyncpg into the same (emptied) table in the
   same batch size over the same number of connections, one transaction per batch. This is
   the ceiling of any ingest into that table on this machine; COPY runs as the owner because
   PostgreSQL refuses COPY FROM into a table with row-level security.
3. Usage totals (what invoicing reads): `--totals-tenants` tenants with 5 meters each (count,
   sum, max, latest, unique_count) over `--totals-events` events, one `usage_totals` call over
   the month, cold and warm.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import msgspec
import psutil

from baseline import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    REPO_ROOT,
    RESULTS_DIR,
    admin_execute,
    fluxforge_env,
    http,
    migrate,
    require_free_port,
    running_server,
    scratch_database,
    scratch_redis_prefix,
    tail,
    wait_until_ready,
)
from fluxforge.config import APP_DB_ROLE, with_user
from fluxforge.db import Database, create_pool
from fluxforge.identity.tokens import TokenService
from fluxforge.metering import repository

COLUMNS = ["tenant_id", "occurred_at", "event_id", "type", "subject", "properties"]
Row = tuple[uuid.UUID, datetime, str, str, str, str]


@dataclass
class IngestFigures:
    events_offered: int
    rows_stored: int
    seconds: float
    events_per_second: float
    stored_rows_per_second: float
    batches: int
    p50_ms: float
    p99_ms: float
    errors: int
    client_cpu_seconds: float
    server_cpu_ms_per_1000: float
    database_cpu_ms_per_1000: float
    copy_rows: int
    copy_seconds: float
    copy_rows_per_second: float
    copy_cpu_ms_per_1000: float
    share_of_copy: float
    cpu_share_of_copy: float


@dataclass
class TotalsFigures:
    tenants: int
    meters: int
    events: int
    totals: int
    cold_seconds: float
    warm_seconds: float
    hundred_tenants_seconds: float


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--duplicates", type=float, default=0.1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--totals-events", type=int, default=1_000_000)
    parser.add_argument("--totals-tenants", type=int, default=1_000)
    parser.add_argument("--json", type=Path, help="also write the figures to this file (for loadtests/bench.py)")
    return parser.parse_args()


# --- set-up ------------------------------------------------------------------------------------


async def user_token(owner_url: str, app_url: str, issuer: str) -> str:
    """A user as sign-in makes one, with an access token from the server's own keys."""
    user_id = uuid.uuid4()
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("INSERT INTO users (id, email) VALUES ($1, $2)", user_id, f"bench-{user_id.hex[:8]}@x.test")
    finally:
        await conn.close()
    pool = await create_pool(app_url, min_size=1, max_size=2)
    try:
        tokens = TokenService(Database(pool), issuer, 3600, timedelta(days=30))
        await tokens.start()
        token, _ = await tokens.issue(user_id)
    finally:
        await pool.close()
    return token


async def advance_id_watermark(app_url: str) -> None:
    """What `fluxforge worker` does when it starts: ingest then looks ids up in the open months only."""
    pool = await create_pool(app_url, min_size=1, max_size=1)
    try:
        async with Database(pool).platform() as conn:
            watermark = await repository.advance_id_watermark(conn)
    finally:
        await pool.close()
    print(f"usage id watermark at {watermark.isoformat()} (where the worker's maintenance puts it)", flush=True)


def create_tenants(base_url: str, token: str, count: int) -> list[tuple[str, uuid.UUID]]:
    tenants = []
    for n in range(count):
        slug = f"ingest-{n:04d}"
        status, body = http("POST", base_url + "/v1/tenants", {"slug": slug, "display_name": slug}, token)
        if status != 201:
            raise RuntimeError(f"creating tenant {slug} returned {status}: {body!r}")
        tenants.append((slug, uuid.UUID(json.loads(body)["id"])))
    return tenants


def build_load(
    args: argparse.Namespace,
    tenants: list[tuple[str, uuid.UUID]],
    host: str,
    token: str,
    *,
    events: int,
    seed: int,
    batch: int | None = None,
) -> tuple[list[bytes], list[Row]]:
    """Every request, encoded, and the rows they will store (the first copy of each id)."""
    batch_size = batch or args.batch
    rng = random.Random(seed)
    now = datetime.now(UTC)
    seen: dict[uuid.UUID, list[str]] = {tenant_id: [] for _, tenant_id in tenants}
    requests, rows = [], []
    encode = msgspec.json.Encoder().encode
    for n in range(events // batch_size):
        slug, tenant_id = tenants[n % len(tenants)]
        payload = []
        for i in range(batch_size):
            at = now - timedelta(seconds=rng.random() * 6 * 3600)
            subject = f"customer-{i % 50}"
            properties = {"tokens": rng.randint(1, 4000), "model": f"model-{i % 5}"}
            earlier = seen[tenant_id]
            if earlier and rng.random() < args.duplicates:
                event_id = rng.choice(earlier)  # a retry, with another timestamp: a duplicate
            else:
                event_id = str(uuid.uuid4())
                earlier.append(event_id)
                rows.append((tenant_id, at, event_id, "llm.call", subject, encode(properties).decode()))
            payload.append(
                {"id": event_id, "type": "llm.call", "timestamp": at, "subject": subject, "properties": properties}
            )
        body = encode({"events": payload})
        head = (
            f"POST /v1/tenants/{slug}/usage HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        requests.append(head + body)
    return requests, rows


# --- the load ----------------------------------------------------------------------------------


def warm_up(
    args: argparse.Namespace, tenants: list[tuple[str, uuid.UUID]], host: str, token: str, owner_url: str
) -> None:
    """Pools and prepared statements; then every tenant a few times, so that each worker has cached
    it (authorization, as in steady state, where a worker re-reads a tenant once a minute). Last a
    checkpoint, so that the run starts, like the COPY, right after one (not halfway to the next,
    whose full-page writes would fall into one run and not the other)."""
    warmup, _ = build_load(args, tenants, host, token, events=args.batch * 20, seed=7)
    warmup += build_load(args, tenants, host, token, events=len(tenants) * 8, seed=8, batch=1)[0]
    asyncio.run(post_all(args.port, warmup, args.clients))
    asyncio.run(admin_execute(owner_url, "CHECKPOINT"))


async def post_all(port: int, requests: list[bytes], clients: int) -> tuple[float, list[float], int]:
    """Send every request over `clients` keep-alive connections; (seconds, latencies, errors)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    errors = 0

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                request = queue.get_nowait()
                started = time.perf_counter()
                writer.write(request)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if status_line.split()[1] != b"200":
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started, latencies, errors


async def count_rows(owner_url: str) -> int:
    conn = await asyncpg.connect(owner_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM usage_events WHERE type = 'llm.call'"))
    finally:
        await conn.close()


async def raw_copy(owner_url: str, rows: list[Row], batch: int, connections: int) -> tuple[float, float]:
    """COPY the rows into the emptied table, one transaction per batch, like the endpoint;
    (seconds, CPU seconds of the database backends and of this process's encoding)."""
    conns = [await asyncpg.connect(owner_url) for _ in range(connections)]
    try:
        await conns[0].execute("TRUNCATE usage_events, usage_event_ids; CHECKPOINT")
        queue: asyncio.Queue[list[Row]] = asyncio.Queue()
        for start in range(0, len(rows), batch):
            queue.put_nowait(rows[start : start + batch])

        async def copier(conn: asyncpg.Connection) -> None:
            while not queue.empty():
                await conn.copy_records_to_table("usage_events", records=queue.get_nowait(), columns=COLUMNS)

        meter = CpuMeter(urlsplit(owner_url).path.lstrip("/"))
        client_cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(copier(c) for c in conns))
        seconds = time.perf_counter() - started
        _, database_cpu = meter.seconds()
        return seconds, database_cpu + time.process_time() - client_cpu
    finally:
        for conn in conns:
            await conn.close()


class CpuMeter:
    """CPU seconds spent by the API server's processes and by the database's backends.

    The machine may be shared (other jobs, the load generator): CPU time per event is the figure
    that does not move with them, so the report gives it beside the wall-clock rates.
    """

    def __init__(self, database: str, server_pid: int | None = None) -> None:
        self.database = database
        self.server_pid = server_pid
        self._start = self._read()

    def _processes(self) -> tuple[list[psutil.Process], list[psutil.Process]]:
        server: list[psutil.Process] = []
        if self.server_pid is not None:
            root = psutil.Process(self.server_pid)
            server = [root, *root.children(recursive=True)]
        marker = f" {self.database} "
        backends = []
        for proc in psutil.process_iter(["name", "cmdline"]):
            cmdline = proc.info["cmdline"] or []
            if proc.info["name"] == "postgres" and cmdline and marker in cmdline[0] + " ":
                backends.append(proc)
        return server, backends

    def _read(self) -> dict[str, dict[int, float]]:
        server, backends = self._processes()
        return {"server": _cpu_by_pid(server), "database": _cpu_by_pid(backends)}

    def seconds(self) -> tuple[float, float]:
        """(server, database) CPU seconds since the meter was made."""
        now = self._read()

        def used(part: str) -> float:
            return sum(cpu - self._start[part].get(pid, 0.0) for pid, cpu in now[part].items())

        return used("server"), used("database")


def _cpu_by_pid(processes: list[psutil.Process]) -> dict[int, float]:
    found = {}
    for proc in processes:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        found[proc.pid] = times.user + times.system
    return found


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else 0.0


# --- usage totals at scale -----------------------------------------------------------------------

TOTALS_METERS = [
    ("calls", "svc.call", "count", None),
    ("bytes", "svc.transfer", "sum", "bytes"),
    ("peak", "svc.gauge", "max", "value"),
    ("seats", "svc.seats", "latest", "seats"),
    ("users", "svc.login", "unique_count", "user"),
]


async def totals_benchmark(owner_url: str, app_url: str, args: argparse.Namespace) -> TotalsFigures:
    rng = random.Random(7)
    now = datetime.now(UTC)
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    span = max((now - month_start).total_seconds(), 3600.0)
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("TRUNCATE usage_events, usage_event_ids")
        tenant_ids = [uuid.uuid4() for _ in range(args.totals_tenants)]
        await conn.executemany(
            "INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, 'totals')",
            [(t, f"totals-{n:05d}") for n, t in enumerate(tenant_ids)],
        )
        await conn.executemany(
            """
            INSERT INTO meters (tenant_id, id, key, event_type, aggregation, value_property)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            [
                (t, uuid.uuid4(), key, event_type, agg, prop)
                for t in tenant_ids
                for key, event_type, agg, prop in TOTALS_METERS
            ],
        )
        print(f"totals: generating {args.totals_events} events ...", flush=True)
        chunk: list[Row] = []
        for n in range(args.totals_events):
            _, event_type, _, prop = TOTALS_METERS[n % len(TOTALS_METERS)]
            properties = (
                "{}"
                if prop is None
                else json.dumps({prop: rng.randint(0, 500) if prop != "user" else f"u{rng.randint(0, 50)}"})
            )
            chunk.append(
                (
                    tenant_ids[rng.randrange(len(tenant_ids))],
                    month_start + timedelta(seconds=rng.random() * span),
                    f"t{n}",
                    event_type,
                    "s",
                    properties,
                )
            )
            if len(chunk) == 50_000:
                await conn.copy_records_to_table("usage_events", records=chunk, columns=COLUMNS)
                chunk = []
        if chunk:
            await conn.copy_records_to_table("usage_events", records=chunk, columns=COLUMNS)
        await conn.execute("VACUUM ANALYZE usage_events")
    finally:
        await conn.close()

    pool = await create_pool(app_url, min_size=1, max_size=2)
    db = Database(pool)
    timings = []
    try:
        for tenants in (None, None, tenant_ids[:100]):
            started = time.perf_counter()
            async with db.platform() as platform:
                totals = await repository.usage_totals(platform, start=month_start, end=now, tenant_ids=tenants)
            timings.append((time.perf_counter() - started, len(totals)))
    finally:
        await pool.close()
    return TotalsFigures(
        tenants=args.totals_tenants,
        meters=len(TOTALS_METERS),
        events=args.totals_events,
        totals=timings[1][1],
        cold_seconds=timings[0][0],
        warm_seconds=timings[1][0],
        hundred_tenants_seconds=timings[2][0],
    )


# -------------------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    require_free_port(args.port)
    server_url = os.environ.get("FLUXFORGE_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("FLUXFORGE_REDIS_URL") or DEFAULT_REDIS_URL
    base_url = f"http://127.0.0.1:{args.port}"
    with (
        tempfile.TemporaryDirectory(prefix="ffbench-") as data_dir,
        scratch_database(server_url) as owner_url,
        scratch_redis_prefix(redis_url) as prefix,
    ):
        app_url = with_user(owner_url, APP_DB_ROLE)
        env = fluxforge_env(
            owner_url,
            redis_url,
            prefix,
            data_dir,
            FLUXFORGE_HOST="127.0.0.1",
            FLUXFORGE_PORT=str(args.port),
            FLUXFORGE_WEB_WORKERS=str(args.workers),
            FLUXFORGE_ADMIN_TOKEN="ffbench_" + secrets.token_urlsafe(24),
            FLUXFORGE_MAX_BODY_BYTES=str(16 * 1024 * 1024),
            FLUXFORGE_RATE_LIMIT_TENANT_PER_SECOND="1000000",
            FLUXFORGE_RATE_LIMIT_TENANT_BURST="1000000",
        )
        migrate(env)
        asyncio.run(advance_id_watermark(app_url))
        log_path = Path(data_dir) / "server.log"
        with running_server(env, log_path) as proc:
            wait_until_ready(base_url, proc, log_path)
            token = asyncio.run(user_token(owner_url, app_url, base_url))
            tenants = create_tenants(base_url, token, args.tenants)
            print(f"building {args.events} events in batches of {args.batch} ...", flush=True)
            host = f"127.0.0.1:{args.port}"
            requests, rows = build_load(args, tenants, host, token, events=args.events, seed=1123)
            warm_up(args, tenants, host, token, owner_url)
            before = asyncio.run(count_rows(owner_url))
            print(f"ingest: {len(requests)} batches over {args.clients} connections ...", flush=True)
            cpu_before = time.process_time()
            meter = CpuMeter(urlsplit(owner_url).path.lstrip("/"), proc.pid)
            seconds, latencies, errors = asyncio.run(post_all(args.port, requests, args.clients))
            server_cpu, database_cpu = meter.seconds()
            client_cpu = time.process_time() - cpu_before
            stored = asyncio.run(count_rows(owner_url)) - before
            if proc.poll() is not None:
                raise RuntimeError(f"server died during the run:\n{tail(log_path)}")
        print(f"raw COPY of {len(rows)} rows over {args.clients} connections ...", flush=True)
        copy_seconds, copy_cpu = asyncio.run(raw_copy(owner_url, rows, args.batch, args.clients))
        totals = asyncio.run(totals_benchmark(owner_url, app_url, args))

    offered = len(requests) * args.batch
    copy_rate = len(rows) / copy_seconds
    figures = IngestFigures(
        events_offered=offered,
        rows_stored=stored,
        seconds=seconds,
        events_per_second=offered / seconds,
        stored_rows_per_second=stored / seconds,
        batches=len(requests),
        p50_ms=percentile(latencies, 0.5),
        p99_ms=percentile(latencies, 0.99),
        errors=errors,
        client_cpu_seconds=client_cpu,
        server_cpu_ms_per_1000=server_cpu / offered * 1e6,
        database_cpu_ms_per_1000=database_cpu / offered * 1e6,
        copy_rows=len(rows),
        copy_seconds=copy_seconds,
        copy_rows_per_second=copy_rate,
        copy_cpu_ms_per_1000=copy_cpu / len(rows) * 1e6,
        share_of_copy=(offered / seconds) / copy_rate,
        cpu_share_of_copy=(copy_cpu / len(rows)) / ((server_cpu + database_cpu) / offered),
    )
    print()
    print(
        f"ingest endpoint: {figures.events_per_second:,.0f} events/s offered "
        f"({figures.stored_rows_per_second:,.0f} rows/s stored, {stored:,} rows, {errors} errors), "
        f"batch p50 {figures.p50_ms:.1f} ms p99 {figures.p99_ms:.1f} ms, client CPU {client_cpu:.1f}s of {seconds:.1f}s"
    )
    print(f"raw COPY:        {copy_rate:,.0f} rows/s ({len(rows):,} rows in {copy_seconds:.1f}s)")
    print(
        f"endpoint / COPY: {figures.share_of_copy:.0%} (stored rows: {figures.stored_rows_per_second / copy_rate:.0%})"
    )
    print(
        f"CPU per 1,000:   endpoint {figures.server_cpu_ms_per_1000:.0f} ms (API) + "
        f"{figures.database_cpu_ms_per_1000:.0f} ms (PostgreSQL), COPY {figures.copy_cpu_ms_per_1000:.0f} ms "
        f"-> endpoint at {figures.cpu_share_of_copy:.0%} of COPY's efficiency"
    )
    print(
        f"usage_totals:    {totals.tenants} tenants x {totals.meters} meters x {totals.events:,} events -> "
        f"{totals.totals} totals in {totals.cold_seconds:.2f}s cold, {totals.warm_seconds:.2f}s warm; "
        f"100 tenants {totals.hundred_tenants_seconds:.2f}s"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"ingest-{stamp}.json"
    document = json.dumps(
        {
            "timestamp": stamp,
            "cpu_count": os.cpu_count(),
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "ingest": asdict(figures),
            "totals": asdict(totals),
        },
        indent=2,
    )
    path.write_text(document + "\n")
    if args.json:
        args.json.write_text(document + "\n")
    print(f"\nwrote {path.relative_to(REPO_ROOT)}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
