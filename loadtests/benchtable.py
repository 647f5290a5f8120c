"""Turning the benchmarks' results files into the one table `make bench` prints.

Pure: no I/O, no clock, so the goals and the pass/fail rule are unit-tested
(tests/unit/test_bench_table.py) apart from the slow benchmarks that feed them. Each benchmark
writes its own JSON (the `--json` option); `figures_for` knows each file's shape and where each
issue sets a goal. Goals no issue names are marked "assumed" with the reason beside them in
loadtests/README.md, so a reader can tell an agreed aim from our own bar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Op = Literal[">=", ">", "<=", "<"]
Verdict = Literal["pass", "FAIL", "-"]

BARE_SCENARIO = "bare Litestar+asyncpg GET by id"
ADMIN_SCENARIO = "GET /v1/admin/tenants/{id}"
HEALTH_SCENARIO = "GET /healthz"

# Benchmarks in the order they run and appear; bench.py runs one subprocess per name.
BENCHES = ("baseline", "authz", "ingest", "close_period", "scheduler", "mix")


@dataclass(frozen=True)
class Goal:
    """An aim for one figure: `value op threshold`; `text` is how the table shows it."""

    op: Op
    threshold: float
    text: str
    source: str  # "issue N" or "assumed"

    def met_by(self, value: float) -> bool:
        return {
            ">=": value >= self.threshold,
            ">": value > self.threshold,
            "<=": value <= self.threshold,
            "<": value < self.threshold,
        }[self.op]


@dataclass(frozen=True)
class Figure:
    bench: str
    name: str
    value: float | None  # None: the benchmark did not produce it
    unit: str
    goal: Goal | None = None
    baseline: str = ""  # the reference measured in the same run, as text
    note: str = ""

    @property
    def verdict(self) -> Verdict:
        if self.value is None:
            return "FAIL"
        if self.goal is None:
            return "-"
        return "pass" if self.goal.met_by(self.value) else "FAIL"


def format_value(value: float | None, unit: str) -> str:
    """Large counts with thousands separators, small ones with the precision that means something."""
    if value is None:
        return "n/a"
    if unit == "%":
        return f"{value:.0f}%"
    magnitude = abs(value)
    if magnitude >= 1000 or (value == int(value) and unit in ("", "req/s", "events/s", "steps/s", "rows/s")):
        text = f"{value:,.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".rstrip()


def _find(results: Sequence[Mapping[str, Any]], scenario: str) -> Mapping[str, Any] | None:
    return next((r for r in results if r.get("scenario") == scenario), None)


def _rps(result: Mapping[str, Any] | None) -> float | None:
    return None if result is None else float(result["requests_per_second"])


def _load_note(result: Mapping[str, Any] | None, generator: str) -> str:
    """Which generator, and any error responses: a rate made of errors is not the figure it claims."""
    note = f"load: {generator}"
    if result is not None:
        bad = int(result.get("non_2xx_3xx", 0)) + int(result.get("socket_errors", 0))
        if bad:
            note += f"; {bad:,} errors of {int(result.get('requests', 0)):,}"
    return note


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole * 100


def _baseline_figures(doc: Mapping[str, Any]) -> list[Figure]:
    results = doc.get("results", [])
    bare, admin, health = (_find(results, s) for s in (BARE_SCENARIO, ADMIN_SCENARIO, HEALTH_SCENARIO))
    bare_rps, admin_rps = _rps(bare), _rps(admin)
    bare_text = f"bare read {format_value(bare_rps, 'req/s')}" if bare_rps else ""
    generator = str(doc.get("generator", "wrk"))
    return [
        Figure(
            "baseline",
            "bare Litestar+asyncpg GET by id",
            bare_rps,
            "req/s",
            note=f"reference; {_load_note(bare, generator)}",
        ),
        Figure(
            "baseline",
            "admin GET /v1/admin/tenants/{id}",
            admin_rps,
            "req/s",
            baseline=bare_text,
            note=_load_note(admin, generator),
        ),
        Figure(
            "baseline",
            "admin GET by id, share of bare read",
            _share(admin_rps, bare_rps),
            "%",
            Goal(">=", 60, ">= 60%", "assumed"),
            bare_text,
        ),
        Figure(
            "baseline",
            "admin GET by id p99",
            None if admin is None else float(admin["p99_ms"]),
            "ms",
            Goal("<=", 100, "<= 100 ms", "assumed"),
            "" if bare is None else f"bare p99 {format_value(float(bare['p99_ms']), 'ms')}",
        ),
        Figure("baseline", "GET /healthz (no I/O)", _rps(health), "req/s", note=_load_note(health, generator)),
    ]


def _authz_figures(doc: Mapping[str, Any]) -> list[Figure]:
    results = doc.get("results", [])
    admin_rps = _rps(_find(results, "baseline admin GET"))
    decision = doc.get("decision", {})
    admin_text = f"admin GET {format_value(admin_rps, 'req/s')}" if admin_rps else ""
    figures = [
        Figure(
            "authz",
            "authz decision, cached, p50",
            decision.get("cached_p50_us"),
            "us",
            Goal("<=", 10, "<= 10 us", "assumed"),
            "dict lookup ~2 us (reference, not this run)",
        ),
        Figure(
            "authz",
            "authz decision, uncached, p50",
            decision.get("uncached_p50_us"),
            "us",
            Goal("<=", 1000, "<= 1,000 us", "assumed"),
            "pycasbin ~400 us (reference, not this run)",
        ),
    ]
    generator = str(doc.get("generator", "wrk"))
    for scenario, label in (("RBAC GET (user JWT)", "user JWT"), ("RBAC GET (API key)", "API key")):
        result = _find(results, scenario)
        rps = _rps(result)
        figures.append(
            Figure(
                "authz",
                f"RBAC-checked tenant GET ({label})",
                rps,
                "req/s",
                baseline=admin_text,
                note=_load_note(result, generator),
            )
        )
        figures.append(
            Figure(
                "authz",
                f"RBAC GET ({label}), share of admin GET",
                _share(rps, admin_rps),
                "%",
                Goal(">=", 60, ">= 60%", "issue 3"),
                admin_text,
            )
        )
    return figures


def _ingest_figures(doc: Mapping[str, Any]) -> list[Figure]:
    ingest = doc.get("ingest", {})
    totals = doc.get("totals", {})
    copy_rps = ingest.get("copy_rows_per_second")
    copy_text = f"raw COPY {format_value(copy_rps, 'rows/s')}" if copy_rps else ""
    share = ingest.get("share_of_copy")
    return [
        Figure(
            "ingest",
            "usage ingest, batches of 1,000, 10% duplicates",
            ingest.get("events_per_second"),
            "events/s",
            Goal(">=", 100_000, ">= 100,000", "issue 4"),
            copy_text,
            note=f"{ingest.get('errors', '?')} errors",
        ),
        Figure(
            "ingest",
            "usage ingest, share of raw COPY",
            None if share is None else share * 100,
            "%",
            Goal(">=", 50, ">= 50%", "issue 4"),
            copy_text,
        ),
        Figure(
            "ingest",
            f"usage totals, {totals.get('tenants', 0):,} tenants x {totals.get('events', '?'):,} events (warm)"
            if isinstance(totals.get("events"), int)
            else "usage totals (warm)",
            totals.get("warm_seconds"),
            "s",
        ),
    ]


def _close_figures(doc: Mapping[str, Any]) -> list[Figure]:
    tenants, events = doc.get("tenants"), doc.get("events")
    full = tenants == 1_000 and events == 1_000_000
    scale = f"{tenants:,} tenants x {doc.get('meters', 5)} meters x {events:,} events" if tenants and events else ""
    return [
        Figure(
            "close_period",
            f"close a period, {scale}" if scale else "close a period",
            doc.get("close_seconds"),
            "s",
            Goal("<", 30, "< 30 s", "issue 4"),
            note="" if full else "scaled down (issue's scale: 1,000 tenants x 1,000,000 events)",
        ),
        Figure("close_period", "close the same period again (no-op)", doc.get("reclose_seconds"), "s"),
    ]


def _scheduler_figures(doc: Mapping[str, Any]) -> list[Figure]:
    figures = []
    by_workers = {int(t["workers"]): t for t in doc.get("throughput", [])}
    for workers in sorted(by_workers):
        run = by_workers[workers]
        goal = Goal(">=", 2000, ">= 2,000", "issue 5") if workers == 2 else None
        saq = {1: "SAQ ~1,100 jobs/s (reference, not this run)", 2: "SAQ ~1,500 jobs/s (reference, not this run)"}.get(
            workers, ""
        )
        figures.append(
            Figure(
                "scheduler",
                f"no-op steps, {workers} worker{'s' if workers > 1 else ''}",
                run.get("steps_per_second"),
                "steps/s",
                goal,
                saq,
                note=f"{run.get('failed_runs', '?')} failed runs",
            )
        )
    if 2 not in by_workers:
        figures.append(
            Figure("scheduler", "no-op steps, 2 workers", None, "steps/s", Goal(">=", 2000, ">= 2,000", "issue 5"))
        )
    latency = doc.get("latency", {})
    figures.append(
        Figure(
            "scheduler",
            "submit to first step, idle, p50",
            latency.get("p50_ms"),
            "ms",
            Goal("<", 10, "< 10 ms", "issue 5"),
            "SAQ p50 2.3 ms (reference, not this run)",
        )
    )
    figures.append(Figure("scheduler", "submit to first step, idle, p99", latency.get("p99_ms"), "ms"))
    takeover = doc.get("takeover", {})
    ttl = takeover.get("lease_seconds")
    figures.append(
        Figure(
            "scheduler",
            "lease takeover after kill -9",
            takeover.get("takeover_seconds"),
            "s",
            None if ttl is None else Goal("<=", ttl + 1, f"<= TTL + 1 s ({ttl + 1:g} s)", "issue 5"),
            "" if ttl is None else f"lease TTL {ttl:g} s",
        )
    )
    return figures


def _mix_figures(doc: Mapping[str, Any]) -> list[Figure]:
    total = doc.get("total", {})
    users, seconds = doc.get("users", "?"), doc.get("duration_s", "?")
    figures = [
        Figure("mix", f"tenant mix, {users} users, {seconds} s", total.get("rps"), "req/s", note="load: locust"),
        Figure(
            "mix",
            "tenant mix, failed requests",
            total.get("failures"),
            "",
            Goal("<=", 0, "0", "assumed"),
            note=f"of {total.get('requests', '?'):,}" if isinstance(total.get("requests"), int) else "",
        ),
        Figure(
            "mix",
            "tenant mix, p99 over all requests",
            total.get("p99_ms"),
            "ms",
            Goal("<=", 1000, "<= 1,000 ms", "assumed"),
        ),
    ]
    for entry in doc.get("requests", []):
        figures.append(
            Figure(
                "mix",
                f"  {entry['name']}",
                entry.get("p99_ms"),
                "ms p99",
                note=f"{format_value(entry.get('rps'), 'req/s')}, p50 {format_value(entry.get('p50_ms'), 'ms')}",
            )
        )
    return figures


EXTRACTORS: dict[str, Callable[[Mapping[str, Any]], list[Figure]]] = {
    "baseline": _baseline_figures,
    "authz": _authz_figures,
    "ingest": _ingest_figures,
    "close_period": _close_figures,
    "scheduler": _scheduler_figures,
    "mix": _mix_figures,
}


def figures_for(bench: str, doc: Mapping[str, Any] | None, failure: str = "") -> list[Figure]:
    """The rows for one benchmark; a benchmark that wrote nothing is one failed row saying why."""
    if doc is None:
        return [Figure(bench, f"{bench}: no figures", None, "", note=failure or "no results file")]
    try:
        return EXTRACTORS[bench](doc)
    except (KeyError, TypeError, ValueError) as exc:  # a results file of an unexpected shape
        return [Figure(bench, f"{bench}: unreadable results", None, "", note=f"{type(exc).__name__}: {exc}")]


def render_table(figures: Sequence[Figure]) -> str:
    """A Markdown table: readable in a terminal and rendered in RESULTS.md."""
    header = ("benchmark", "figure", "measured", "goal", "source", "result", "baseline (same run)", "note")
    rows = [
        (
            f.bench,
            f.name,
            format_value(f.value, f.unit),
            f.goal.text if f.goal else "",
            f.goal.source if f.goal else "",
            f.verdict,
            f.baseline,
            f.note,
        )
        for f in figures
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in rows)])


def summary(figures: Sequence[Figure]) -> tuple[int, int]:
    """(goals met, goals checked); a missing figure counts as checked and missed."""
    checked = [f for f in figures if f.goal is not None or f.value is None]
    return sum(1 for f in checked if f.verdict == "pass"), len(checked)


def render_results(
    figures: Sequence[Figure], machine: Mapping[str, str], *, command: str, quick: bool, notes: Sequence[str] = ()
) -> str:
    """The whole of loadtests/RESULTS.md."""
    met, checked = summary(figures)
    machine_lines = [f"- {key}: {value}" for key, value in machine.items()]
    return "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `make bench` (loadtests/bench.py); the latest run replaces it. Goals marked",
            "`assumed` are our own where no issue names one (see loadtests/README.md).",
            "",
            f"Mode: {'quick (BENCH_QUICK=1: smaller loads, figures indicative only)' if quick else 'full'}.",
            f"Goals met: {met} of {checked}.",
            "",
            render_table(figures),
            "",
            "## Machine",
            "",
            *machine_lines,
            f"- command: `{command}`",
            *(["", "## Notes", "", *(f"- {n}" for n in notes)] if notes else []),
            "",
        ]
    )
