"""Baseline HTTP benchmark: the production server (`fluxforge serve`) driven by wrk on loopback.

Run from the repository root:

    uv run python loadtests/baseline.py [--duration 15] [--connections 64] [--threads 2] [--workers 2] [--port 8765]

Why it is built this way:
- It measures what users run: gunicorn with uvicorn workers started by the real CLI, against real
  PostgreSQL and Redis, so the figures compare with a bare Litestar + asyncpg read on the same machine.
- Each run gets a fresh database and Redis key prefix, so nothing left by other runs (or by a
  developer's data) changes the numbers, and two runs on one server cannot collide. The database
  is dropped and the server stopped even when something fails half-way.
- wrk, not a Python client: a Python load generator on a 2-core machine saturates before the
  server does and then measures itself. Without wrk (or with BENCH_LOAD_GENERATOR=python) it falls
  back to httpload.py, and the results say which generator measured them.
- The reference point is measured in the same run, served the same way: a bare Litestar + asyncpg
  by-id read (bare_app.py) under gunicorn with the same number of workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from redis.asyncio import Redis

import bare_app
import httpload
from benchtable import BARE_SCENARIO
from fluxforge.config import with_database

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "loadtests" / "results"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
READY_TIMEOUT_SECONDS = 60.0
READY_STREAK = 3  # /readyz is answered per worker: a few 200s in a row make it likely all are up
STOP_TIMEOUT_SECONDS = 15.0
WARMUP_SECONDS = 3


@dataclass(frozen=True)
class Scenario:
    """One URL to hammer; headers are sent on every request (e.g. the admin bearer token)."""

    name: str
    path: str
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class WrkResult:
    """The figures we report from one wrk run; latencies in milliseconds."""

    scenario: str
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark `fluxforge serve` with wrk on loopback.")
    parser.add_argument("--duration", type=int, default=15, help="seconds of measured load per scenario")
    parser.add_argument("--connections", type=int, default=64, help="wrk open connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn (uvicorn) worker processes")
    parser.add_argument("--port", type=int, default=8765, help="loopback port for the server")
    parser.add_argument("--bare-port", type=int, default=8764, help="loopback port for the bare reference app")
    parser.add_argument("--json", type=Path, help="also write the figures to this file (for loadtests/bench.py)")
    return parser.parse_args(argv)


def require_wrk() -> str | None:
    """wrk when it is installed (and not overridden), else None: the Python generator is used."""
    wanted = os.environ.get("BENCH_LOAD_GENERATOR", "auto")
    if wanted not in ("auto", "wrk", "python"):
        print("BENCH_LOAD_GENERATOR must be auto, wrk or python", file=sys.stderr)
        sys.exit(2)
    wrk = None if wanted == "python" else shutil.which("wrk")
    if wrk is None and wanted == "wrk":
        print("`wrk` is not on PATH. Install it (Debian/Ubuntu): apt-get install -y wrk", file=sys.stderr)
        sys.exit(2)
    if wrk is None:
        print("load generator: Python (httpload.py); install wrk for figures closer to the server's limit")
    return wrk


def generator_name(wrk: str | None) -> str:
    return "wrk" if wrk else "python"


def require_free_port(port: int) -> None:
    """Another server on the port would answer /readyz and get benchmarked in our place."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: TIME_WAIT is no conflict
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            print(f"baseline: 127.0.0.1:{port} is in use; pass another --port", file=sys.stderr)
            sys.exit(2)


# ---------------------------------------------------------------------------------------------
# Throw-away database and Redis keys
# ---------------------------------------------------------------------------------------------


async def admin_execute(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """Create `fluxforge_bench_<hex>` and yield its URL; always drop it, even if the server holds it open."""
    name = f"fluxforge_bench_{secrets.token_hex(6)}"
    asyncio.run(admin_execute(server_url, f'CREATE DATABASE "{name}"'))
    print(f"created database {name}")
    try:
        yield with_database(server_url, name)
    finally:
        asyncio.run(admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"dropped database {name}")


async def _delete_keys(redis_url: str, prefix: str) -> int:
    redis = Redis.from_url(redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await redis.delete(*keys)
        return len(keys)
    finally:
        await redis.aclose()


@contextmanager
def scratch_redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of our own; whatever the server wrote under it is deleted afterwards."""
    prefix = f"ffbench{secrets.token_hex(4)}:"
    try:
        yield prefix
    finally:
        try:
            asyncio.run(_delete_keys(redis_url, prefix))
        except Exception as exc:  # cleanup must not hide the real outcome
            print(f"warning: could not delete Redis keys {prefix}*: {exc}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# The FluxForge processes
# ---------------------------------------------------------------------------------------------


def fluxforge_env(database_url: str, redis_url: str, key_prefix: str, data_dir: str, **extra: str) -> dict[str, str]:
    """The environment for `fluxforge` commands.

    The caller's other FLUXFORGE_* variables are dropped so a developer's shell cannot point the
    benchmark at a different database; an explicit app URL is kept but moved to the scratch database.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUXFORGE_")}
    app_url = os.environ.get("FLUXFORGE_APP_DATABASE_URL")
    if app_url:
        env["FLUXFORGE_APP_DATABASE_URL"] = with_database(app_url, urlsplit(database_url).path.lstrip("/"))
    env.update(
        FLUXFORGE_DATABASE_URL=database_url,
        FLUXFORGE_REDIS_URL=redis_url,
        FLUXFORGE_REDIS_KEY_PREFIX=key_prefix,
        FLUXFORGE_DATA_DIR=data_dir,
        FLUXFORGE_ACCESS_LOG="false",
        FLUXFORGE_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def migrate(env: dict[str, str]) -> None:
    """Apply migrations with the real CLI, so the schema is exactly what `fluxforge migrate` makes."""
    subprocess.run([sys.executable, "-m", "fluxforge.runtime.cli", "migrate"], env=env, cwd=REPO_ROOT, check=True)


@contextmanager
def running_server(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start `fluxforge serve` in its own process group; always stop it (SIGTERM, then SIGKILL)."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fluxforge.runtime.cli", "serve"],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the server in order
        )
        try:
            yield proc
        finally:
            stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """Graceful first (gunicorn drains its workers on SIGTERM), then kill whatever is left."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            print("server ignored SIGTERM; killing it", file=sys.stderr)
    with suppress(ProcessLookupError, PermissionError):  # the group is gone once every member has exited
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers (workers) of our own group, if any
    proc.wait()


def wait_until_ready(base_url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll /readyz until it answers 200 several times in a row, failing fast if the server dies."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    streak = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail(log_path)}")
        status, _ = http("GET", base_url + "/readyz")
        streak = streak + 1 if status == 200 else 0
        if streak >= READY_STREAK:
            return
        time.sleep(0.25)
    raise RuntimeError(f"/readyz not 200 after {READY_TIMEOUT_SECONDS:.0f}s:\n{tail(log_path)}")


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def http(method: str, url: str, body: object | None = None, token: str | None = None) -> tuple[int, bytes]:
    """A tiny JSON client for set-up calls; 0 means the server did not answer (not up yet)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback http only
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback http only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""


def create_tenant(base_url: str, token: str) -> str:
    """One tenant to read back: the by-id read is the hot path the bare read (bare_app.py) serves too."""
    status, body = http(
        "POST", base_url + "/v1/admin/tenants", {"slug": "bench", "display_name": "Benchmark"}, token=token
    )
    if status != 201:
        raise RuntimeError(f"creating the tenant returned {status}: {body.decode(errors='replace')}")
    tenant_id: str = json.loads(body)["id"]
    return tenant_id


# ---------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(50|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def run_wrk(wrk: str, url: str, scenario: Scenario, seconds: int, args: argparse.Namespace) -> str:
    """Run wrk once and return its report; wrk exits 0 even when every response is an error."""
    argv = [wrk, "--latency", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s"]
    for header in scenario.headers:
        argv += ["-H", header]
    done = subprocess.run([*argv, url], capture_output=True, text=True, check=True)
    return done.stdout


def parse_wrk(name: str, output: str) -> WrkResult:
    """Pull the figures out of wrk's text report (it has no machine-readable output without Lua)."""
    percentiles = {int(p): float(v) * _UNIT_MS[unit] for p, v, unit in _PERCENTILE.findall(output)}
    rps = _RPS.search(output)
    total = _TOTAL.search(output)
    if rps is None or total is None or set(percentiles) != {50, 90, 99}:
        raise ValueError(f"could not parse wrk output for {name}:\n{output}")
    non_2xx = _NON_2XX.search(output)
    socket_errors = _SOCKET_ERRORS.search(output)
    return WrkResult(
        scenario=name,
        requests_per_second=float(rps.group(1)),
        p50_ms=percentiles[50],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        requests=int(total.group(1)),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    )


def run_python(base_url: str, scenario: Scenario, seconds: int, args: argparse.Namespace) -> WrkResult:
    """The same figures as wrk's, from httpload.py (one process per wrk thread)."""
    port = urlsplit(base_url).port
    assert port is not None
    load = httpload.run(port, scenario.path, scenario.headers, args.connections, seconds, args.threads)
    ordered = sorted(load.latencies)
    if not ordered:
        raise RuntimeError(f"{scenario.name}: no request was answered ({load.socket_errors} socket errors)")

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000

    return WrkResult(
        scenario=scenario.name,
        requests_per_second=len(ordered) / load.seconds,
        p50_ms=statistics.median(ordered) * 1000,
        p90_ms=at(0.90),
        p99_ms=at(0.99),
        requests=len(ordered),
        non_2xx_3xx=load.non_2xx_3xx,
        socket_errors=load.socket_errors,
    )


def benchmark(wrk: str | None, base_url: str, scenarios: list[Scenario], args: argparse.Namespace) -> list[WrkResult]:
    """Warm up each scenario (connection pools, prepared statements, caches) before the measured run."""
    results = []
    for scenario in scenarios:
        url = base_url + scenario.path
        print(f"{scenario.name}: warm-up {WARMUP_SECONDS}s, then {args.duration}s measured ...", flush=True)
        if wrk is None:
            run_python(base_url, scenario, WARMUP_SECONDS, args)
            results.append(run_python(base_url, scenario, args.duration, args))
        else:
            run_wrk(wrk, url, scenario, WARMUP_SECONDS, args)
            results.append(parse_wrk(scenario.name, run_wrk(wrk, url, scenario, args.duration, args)))
    return results


# ---------------------------------------------------------------------------------------------
# The bare reference app
# ---------------------------------------------------------------------------------------------


async def _seed_bare(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(bare_app.CREATE_TABLE)
        item_id = await conn.fetchval(
            "INSERT INTO bare_items (id, slug, display_name) VALUES (gen_random_uuid(), 'bench', 'Benchmark')"
            " RETURNING id"
        )
        return str(item_id)
    finally:
        await conn.close()


def measure_bare(wrk: str | None, database_url: str, args: argparse.Namespace, data_dir: str) -> WrkResult:
    """The bare Litestar + asyncpg by-id read, served by gunicorn like FluxForge, measured like it."""
    require_free_port(args.bare_port)
    item_id = asyncio.run(_seed_bare(database_url))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLUXFORGE_", "BARE_"))},
        "BARE_DATABASE_URL": database_url,
        "BARE_PORT": str(args.bare_port),
        "BARE_WORKERS": str(args.workers),
    }
    log_path = Path(data_dir) / "bare.log"
    base_url = f"http://127.0.0.1:{args.bare_port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(Path(__file__).with_name("bare_app.py"))],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            path = f"/items/{item_id}"
            deadline = time.monotonic() + READY_TIMEOUT_SECONDS
            while http("GET", base_url + path)[0] != 200:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the bare app did not start:\n{tail(log_path)}")
                time.sleep(0.25)
            (result,) = benchmark(wrk, base_url, [Scenario(BARE_SCENARIO, path)], args)
        finally:
            stop_process_group(proc)
    return result


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def print_table(results: list[WrkResult]) -> None:
    header = f"{'scenario':<32} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}"
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.scenario:<32} {r.requests_per_second:>10.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f}"
            f" {r.non_2xx_3xx:>8} {r.socket_errors:>7}"
        )


def write_json(
    results: list[WrkResult],
    args: argparse.Namespace,
    *,
    generator: str,
    name: str = "baseline",
    extra: dict[str, object] | None = None,
) -> Path:
    """Keep every run (results/ is git-ignored) so later changes can be compared with this one;
    `--json` also writes it where loadtests/bench.py reads it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    document = {
        "timestamp": stamp,
        "cpu_count": os.cpu_count(),
        "generator": generator,
        "settings": {
            "duration_s": args.duration,
            "warmup_s": WARMUP_SECONDS,
            "connections": args.connections,
            "threads": args.threads,
            "workers": args.workers,
        },
        "results": [asdict(r) for r in results],
        **(extra or {}),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    if args.json:
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return path


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    try:
        return run(parse_args(argv))
    except (RuntimeError, ValueError, subprocess.CalledProcessError) as exc:
        print(f"baseline: failed: {exc}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    """Set up, measure, tear down; the context managers undo set-up in reverse order on any exit."""
    wrk = require_wrk()
    require_free_port(args.port)
    database_url = os.environ.get("FLUXFORGE_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("FLUXFORGE_REDIS_URL") or DEFAULT_REDIS_URL
    token = "ffbench_" + secrets.token_urlsafe(24)
    base_url = f"http://127.0.0.1:{args.port}"

    with (
        tempfile.TemporaryDirectory(prefix="ffbench-") as data_dir,
        scratch_database(database_url) as bench_url,
        scratch_redis_prefix(redis_url) as prefix,
    ):
        env = fluxforge_env(
            bench_url,
            redis_url,
            prefix,
            data_dir,
            FLUXFORGE_HOST="127.0.0.1",
            FLUXFORGE_PORT=str(args.port),
            FLUXFORGE_WEB_WORKERS=str(args.workers),
            FLUXFORGE_ADMIN_TOKEN=token,
        )
        migrate(env)
        bare = measure_bare(wrk, bench_url, args, data_dir)
        log_path = Path(data_dir) / "server.log"
        with running_server(env, log_path) as proc:
            wait_until_ready(base_url, proc, log_path)
            tenant_id = create_tenant(base_url, token)
            scenarios = [
                Scenario(
                    "GET /v1/admin/tenants/{id}", f"/v1/admin/tenants/{tenant_id}", (f"Authorization: Bearer {token}",)
                ),
                Scenario("GET /healthz", "/healthz"),
            ]
            results = [bare, *benchmark(wrk, base_url, scenarios, args)]
            if proc.poll() is not None:
                raise RuntimeError(f"server died during the run:\n{tail(log_path)}")

    print_table(results)
    print(f"\n{results[1].scenario}: {results[1].requests_per_second / bare.requests_per_second:.0%} of the bare read")
    print(f"wrote {write_json(results, args, generator=generator_name(wrk)).relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
