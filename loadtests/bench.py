"""`make bench`: every benchmark in one run, and one table of figures, goals and same-run baselines.

    uv run python loadtests/bench.py [--quick] [--only NAME ...] [--port-base 8760] [--no-record]

Each benchmark is its own script (loadtests/*.py) and runs here as a subprocess with `--json`, in
the order of `benchtable.BENCHES`; each starts what it measures against a throw-away database and
Redis key prefix (FLUXFORGE_DATABASE_URL / FLUXFORGE_REDIS_URL, or the local defaults): the API as
`fluxforge serve` with 2 gunicorn workers, the scheduler as `fluxforge worker` processes (1 and 2
for the throughput figure, 2 beside the API in the tenant mix). Running them one after another,
not at once, keeps each figure free of the others' load.

Quick mode (`--quick` or BENCH_QUICK=1) shrinks every load so the whole run takes a few minutes:
a smoke test of the harness, with indicative figures only. A full run (the default) writes the
table and the machine it ran on to loadtests/RESULTS.md; `--only` runs (which never cover every
benchmark) print the table without replacing RESULTS.md. Every run's raw results and logs stay in
loadtests/results/ (git-ignored).

Exit status: 1 when a benchmark failed to produce its figures, else 0. Missed goals are in the
table, not in the exit status: they are findings, not harness failures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from redis.asyncio import Redis

from benchtable import BENCHES, Figure, figures_for, render_results, render_table, summary

LOADTESTS = Path(__file__).resolve().parent
REPO_ROOT = LOADTESTS.parent
RESULTS_MD = LOADTESTS / "RESULTS.md"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def bench_args(name: str, *, quick: bool, port_base: int) -> list[str]:
    """Each script's command-line arguments: the issues' scale in full mode, a smaller one in quick mode."""
    ports = {"bare": 4, "baseline": 5, "authz": 6, "ingest": 7, "mix": 8}
    http = ["--workers", "2"]
    table: dict[str, tuple[list[str], list[str]]] = {
        "baseline": (
            [*http, "--duration", "15", "--port", str(port_base + ports["baseline"])],
            [*http, "--duration", "5", "--port", str(port_base + ports["baseline"])],
        ),
        "authz": (
            [*http, "--duration", "15", "--port", str(port_base + ports["authz"])],
            [*http, "--duration", "5", "--port", str(port_base + ports["authz"])],
        ),
        "ingest": (
            [*http, "--port", str(port_base + ports["ingest"])],
            [
                *http,
                "--port",
                str(port_base + ports["ingest"]),
                "--events",
                "100000",
                "--tenants",
                "20",
                "--totals-events",
                "100000",
                "--totals-tenants",
                "100",
            ],
        ),
        "close_period": ([], ["--events", "200000"]),
        "scheduler": (
            ["--workers", "1", "2"],
            ["--workers", "1", "2", "--runs", "600", "--latency-runs", "60", "--lease-ms", "3000"],
        ),
        "mix": (
            ["--web-workers", "2", "--scheduler-workers", "2", "--duration", "60", "--users", "24"],
            ["--web-workers", "2", "--scheduler-workers", "2", "--duration", "20", "--users", "12"],
        ),
    }
    full, small = table[name]
    extra = ["--bare-port", str(port_base + ports["bare"])] if name == "baseline" else []
    extra += ["--port", str(port_base + ports["mix"])] if name == "mix" else []
    return [*(small if quick else full), *extra]


def run_one(name: str, args: list[str], run_dir: Path, timeout: float) -> tuple[dict[str, Any] | None, str]:
    """Run one benchmark, its output shown live and kept in a log; (its figures or None, why not)."""
    json_path = run_dir / f"{name}.json"
    log_path = run_dir / f"{name}.log"
    argv = [sys.executable, str(LOADTESTS / f"{name}.py"), *args, "--json", str(json_path)]
    print(f"\n=== {name}: {shlex.join(argv[1:])}", flush=True)
    started = time.monotonic()
    with log_path.open("wb") as log:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # lines shown as they come, not in blocks
        proc = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                sys.stdout.write(f"[{name}] {line.decode(errors='replace')}")
                sys.stdout.flush()

        shown = threading.Thread(target=pump, daemon=True)
        shown.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # as Ctrl-C: the script drops its database and stops its servers
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            shown.join(timeout=5)
            return None, f"timed out after {timeout:.0f} s; see {log_path.relative_to(REPO_ROOT)}"
        shown.join(timeout=5)
    print(f"=== {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
    if json_path.exists():
        try:
            doc: dict[str, Any] = msgspec.json.decode(json_path.read_bytes())
        except msgspec.DecodeError as exc:
            return None, f"unreadable results file: {exc}"
        return doc, ""
    return None, f"exit code {code}, no results file; see {log_path.relative_to(REPO_ROOT)}"


def _earlier(path: Path) -> tuple[dict[str, Any] | None, str]:
    if not path.exists():
        return None, f"{path.name} not in the earlier run"
    return msgspec.json.decode(path.read_bytes()), ""


# --- the machine ---------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


async def _server_versions(database_url: str, redis_url: str) -> tuple[str, str]:
    try:
        conn = await asyncpg.connect(database_url)
        try:
            pg = str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()
    except (OSError, asyncpg.PostgresError) as exc:
        pg = f"unreachable ({type(exc).__name__})"
    redis = Redis.from_url(redis_url)
    try:
        info = await redis.info("server")
        rd = str(info.get("redis_version", "unknown"))
    except Exception as exc:  # any connection failure: reported, not fatal
        rd = f"unreachable ({type(exc).__name__})"
    finally:
        await redis.aclose()
    return pg, rd


def _wrk_version() -> str:
    wrk = shutil.which("wrk")
    if wrk is None or os.environ.get("BENCH_LOAD_GENERATOR") == "python":
        return "not used (Python generator loadtests/httpload.py)"
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip() if (done.stdout or done.stderr) else "wrk"


def _git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=False).stdout
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty.strip() else "")


def _machine_of(results_md: Path) -> dict[str, str]:
    """The `- key: value` lines of an earlier RESULTS.md's Machine section."""
    if not results_md.exists():
        return {}
    text = results_md.read_text().split("## Machine", 1)[-1].split("## Notes", 1)[0]
    return dict(line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("- ") and ": " in line)


def machine_info(database_url: str, redis_url: str, load_before: tuple[float, ...]) -> dict[str, str]:
    pg, rd = asyncio.run(_server_versions(database_url, redis_url))
    load_after = os.getloadavg()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL": pg,
        "Redis": rd,
        "HTTP load generator": _wrk_version(),
        "load average (1/5/15 min) before": " / ".join(f"{x:.2f}" for x in load_before),
        "load average (1/5/15 min) after": " / ".join(f"{x:.2f}" for x in load_after),
        "git commit": _git_commit(),
    }


# -------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="smaller loads, a few minutes in all (also BENCH_QUICK=1)",
    )  # fmt: skip
    parser.add_argument("--only", action="append", choices=BENCHES, help="run only this benchmark (repeatable)")
    parser.add_argument(
        "--port-base", type=int, default=int(os.environ.get("BENCH_PORT_BASE", "8760")),
        help="loopback ports used: base+4 .. base+8 (also BENCH_PORT_BASE)",
    )  # fmt: skip
    parser.add_argument("--no-record", action="store_true", help="do not replace loadtests/RESULTS.md")
    parser.add_argument("--note", action="append", help="a line for the Notes of RESULTS.md (repeatable)")
    parser.add_argument(
        "--from-run", type=Path, metavar="DIR",
        help="rebuild the table from an earlier run's results/bench-<timestamp>/ instead of running (with --note)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=None, help="seconds per benchmark (default 600 quick, 1800)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n for n in BENCHES if not args.only or n in args.only]
    timeout = args.timeout or (600.0 if args.quick else 1800.0)
    database_url = os.environ.get("FLUXFORGE_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("FLUXFORGE_REDIS_URL") or DEFAULT_REDIS_URL
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = LOADTESTS / "results" / f"bench-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    load_before: tuple[float, ...] = os.getloadavg()
    started = time.monotonic()

    figures: list[Figure] = []
    failed = []
    for name in names:
        if args.from_run:
            doc, why = _earlier(args.from_run / f"{name}.json")
        else:
            doc, why = run_one(name, bench_args(name, quick=args.quick, port_base=args.port_base), run_dir, timeout)
        if doc is None:
            failed.append(name)
        figures += figures_for(name, doc, why)

    table = render_table(figures)
    met, checked = summary(figures)
    minutes = (time.monotonic() - started) / 60
    print(f"\n{table}\n\ngoals met: {met} of {checked}; {len(failed)} benchmark(s) failed; {minutes:.1f} min")
    command = "make bench" + (" BENCH_QUICK=1" if args.quick else "")
    if args.only:
        command = f"uv run python loadtests/bench.py {'--quick ' if args.quick else ''}" + " ".join(
            f"--only {n}" for n in args.only
        )
    machine = machine_info(database_url, redis_url, load_before)
    if args.from_run:  # the run's own date and load are in its RESULTS.md; keep them
        earlier = _machine_of(args.from_run / "RESULTS.md")
        machine.update({k: v for k, v in earlier.items() if k in machine})
        load_before = tuple(float(x) for x in machine["load average (1/5/15 min) before"].split(" / "))
    notes = [f"{name}: no figures; see loadtests/results/bench-{stamp}/{name}.log" for name in failed]
    cores = os.cpu_count() or 1
    if load_before[0] > 0.5 * cores:
        notes.append(
            f"The machine was busy before the run started (1-minute load average {load_before[0]:.2f} on {cores}"
            " cores): other work shared the CPUs, so throughput figures are depressed and latencies inflated."
        )
    notes += args.note or []
    page = render_results(figures, machine, command=command, quick=args.quick, notes=notes)
    (run_dir / "RESULTS.md").write_text(page)
    if args.only or args.no_record:
        print(f"table written to {(run_dir / 'RESULTS.md').relative_to(REPO_ROOT)} (RESULTS.md left as it was)")
    else:
        RESULTS_MD.write_text(page)
        print(f"table written to {RESULTS_MD.relative_to(REPO_ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
