"""The table `make bench` prints: goals, pass/fail and the shapes of the benchmarks' results files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "loadtests"))

from benchtable import (
    ADMIN_SCENARIO,
    BARE_SCENARIO,
    BENCHES,
    EXTRACTORS,
    Figure,
    Goal,
    Op,
    figures_for,
    format_value,
    render_results,
    render_table,
    summary,
)


def wrk(scenario: str, rps: float, p99: float = 20.0) -> dict[str, object]:
    return {"scenario": scenario, "requests_per_second": rps, "p50_ms": 5.0, "p90_ms": 9.0, "p99_ms": p99}


def by_name(figures: list[Figure]) -> dict[str, Figure]:
    return {f.name: f for f in figures}


@pytest.mark.parametrize(
    ("op", "threshold", "value", "met"),
    [
        (">=", 100, 100, True),
        (">=", 100, 99.9, False),
        (">", 100, 100, False),
        ("<", 30, 29.99, True),
        ("<", 30, 30, False),
        ("<=", 0, 0, True),
        ("<=", 0, 1, False),
    ],
)
def test_goal_comparison_is_exact_at_the_threshold(op: Op, threshold: float, value: float, met: bool) -> None:
    assert Goal(op, threshold, "", "assumed").met_by(value) is met


def test_verdict_pass_fail_informational_and_missing() -> None:
    goal = Goal(">=", 10, ">= 10", "issue 1")
    assert Figure("b", "x", 12, "u", goal).verdict == "pass"
    assert Figure("b", "x", 8, "u", goal).verdict == "FAIL"
    assert Figure("b", "x", 8, "u").verdict == "-"
    assert Figure("b", "x", None, "u").verdict == "FAIL"  # no figure is never a pass
    assert Figure("b", "x", None, "u", goal).verdict == "FAIL"


def test_baseline_share_is_measured_against_the_bare_read_of_the_same_run() -> None:
    doc = {
        "generator": "wrk",
        "results": [wrk(BARE_SCENARIO, 4000), wrk(ADMIN_SCENARIO, 2000, p99=150), wrk("GET /healthz", 12000)],
    }
    rows = by_name(figures_for("baseline", doc))
    share = rows["admin GET by id, share of bare read"]
    assert share.value == pytest.approx(50)
    assert share.verdict == "FAIL"  # the assumed bar is 60%
    assert share.baseline == "bare read 4,000 req/s"
    assert rows["admin GET by id p99"].verdict == "FAIL"
    assert rows["GET /healthz (no I/O)"].value == 12000
    assert rows["GET /healthz (no I/O)"].note == "load: wrk"


def test_error_responses_are_named_beside_the_rate() -> None:
    failing = {**wrk(ADMIN_SCENARIO, 2000), "requests": 30000, "non_2xx_3xx": 1200, "socket_errors": 3}
    rows = by_name(figures_for("baseline", {"generator": "python", "results": [wrk(BARE_SCENARIO, 4000), failing]}))
    assert rows["admin GET /v1/admin/tenants/{id}"].note == "load: python; 1,203 errors of 30,000"


def test_authz_ratios_use_the_issue_3_bar() -> None:
    doc = {
        "results": [wrk("baseline admin GET", 3000), wrk("RBAC GET (user JWT)", 2400), wrk("RBAC GET (API key)", 1700)],
        "decision": {"cached_p50_us": 0.6, "cached_p99_us": 1.1, "uncached_p50_us": 436, "uncached_p99_us": 644},
    }
    rows = by_name(figures_for("authz", doc))
    jwt = rows["RBAC GET (user JWT), share of admin GET"]
    key = rows["RBAC GET (API key), share of admin GET"]
    assert jwt.value == pytest.approx(80)
    assert (jwt.verdict, jwt.goal and jwt.goal.source) == ("pass", "issue 3")
    assert key.verdict == "FAIL"  # 56.7% < 60%
    assert rows["authz decision, cached, p50"].verdict == "pass"


def test_ingest_goals_throughput_and_share_of_copy() -> None:
    doc = {
        "ingest": {"events_per_second": 112_000, "copy_rows_per_second": 330_000, "share_of_copy": 0.34, "errors": 0},
        "totals": {"tenants": 1000, "events": 1_000_000, "warm_seconds": 0.8},
    }
    rows = figures_for("ingest", doc)
    assert [(r.verdict, r.baseline) for r in rows[:2]] == [
        ("pass", "raw COPY 330,000 rows/s"),
        ("FAIL", "raw COPY 330,000 rows/s"),
    ]
    assert rows[1].value == pytest.approx(34)
    assert "1,000,000 events" in rows[2].name


def test_close_period_marks_a_scaled_down_run() -> None:
    full = figures_for("close_period", {"tenants": 1000, "meters": 5, "events": 1_000_000, "close_seconds": 1.9})
    quick = figures_for("close_period", {"tenants": 1000, "meters": 5, "events": 200_000, "close_seconds": 31.0})
    assert (full[0].verdict, full[0].note) == ("pass", "")
    assert quick[0].verdict == "FAIL"
    assert "scaled down" in quick[0].note


def test_scheduler_goals_and_takeover_against_the_lease() -> None:
    doc = {
        "throughput": [
            {"workers": 1, "steps_per_second": 1313, "failed_runs": 0},
            {"workers": 2, "steps_per_second": 1999, "failed_runs": 0},
        ],
        "latency": {"p50_ms": 5.7, "p99_ms": 30.0},
        "takeover": {"lease_seconds": 3.0, "takeover_seconds": 4.2},
    }
    rows = by_name(figures_for("scheduler", doc))
    assert rows["no-op steps, 1 worker"].verdict == "-"
    assert rows["no-op steps, 2 workers"].verdict == "FAIL"
    assert rows["submit to first step, idle, p50"].verdict == "pass"
    takeover = rows["lease takeover after kill -9"]
    assert takeover.goal is not None
    assert takeover.goal.threshold == 4.0
    assert takeover.verdict == "FAIL"


def test_scheduler_without_two_workers_reports_the_goal_as_missed() -> None:
    rows = by_name(figures_for("scheduler", {"throughput": [{"workers": 1, "steps_per_second": 900}]}))
    assert rows["no-op steps, 2 workers"].verdict == "FAIL"


def test_mix_failures_must_be_zero() -> None:
    doc = {
        "users": 20,
        "duration_s": 60,
        "total": {"rps": 300.0, "failures": 2, "requests": 18000, "p99_ms": 250.0},
        "requests": [{"name": "GET namespace", "rps": 100.0, "p50_ms": 10.0, "p99_ms": 80.0}],
    }
    rows = figures_for("mix", doc)
    assert [r.verdict for r in rows] == ["-", "FAIL", "pass", "-"]
    assert rows[1].note == "of 18,000"


def test_a_benchmark_without_results_is_one_failed_row() -> None:
    (row,) = figures_for("ingest", None, "exit code 1")
    assert (row.verdict, row.note) == ("FAIL", "exit code 1")
    (odd,) = figures_for("scheduler", {"throughput": [{"steps_per_second": 1}]})  # no "workers"
    assert odd.verdict == "FAIL"
    assert "unreadable" in odd.name


def test_every_benchmark_has_an_extractor() -> None:
    assert set(BENCHES) == set(EXTRACTORS)


def test_summary_counts_goals_and_missing_figures() -> None:
    goal = Goal(">=", 1, ">= 1", "assumed")
    figures = [
        Figure("a", "x", 2, "", goal),
        Figure("a", "y", 0, "", goal),
        Figure("a", "z", 5, ""),
        Figure("a", "w", None, ""),
    ]
    assert summary(figures) == (1, 3)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (112345.6, "events/s", "112,346 events/s"),
        (5.678, "ms", "5.68 ms"),
        (42.0, "%", "42%"),
        (None, "s", "n/a"),
        (0, "", "0"),
        (2.0, "s", "2.00 s"),
        (300.0, "req/s", "300 req/s"),
    ],
)
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def test_rendered_table_and_results_page() -> None:
    figures = [
        Figure(
            "ingest",
            "usage ingest",
            120_000,
            "events/s",
            Goal(">=", 100_000, ">= 100,000", "issue 4"),
            "raw COPY 300,000 rows/s",
        )
    ]
    table = render_table(figures)
    lines = table.splitlines()
    assert len(lines) == 3
    assert len({len(line) for line in lines}) == 1  # aligned columns
    assert "| pass " in lines[2]
    page = render_results(figures, {"CPU": "Test CPU", "cores": "2"}, command="make bench", quick=True)
    assert "Goals met: 1 of 1." in page
    assert "- CPU: Test CPU" in page
    assert "quick" in page
    assert table in page
