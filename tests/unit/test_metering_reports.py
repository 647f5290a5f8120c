"""Usage queries (metering.reports): windows in UTC, checked queries, buckets clipped and sorted."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.errors import InvalidRequest
from fluxforge.metering import reports
from tests.unit.metering_support import NOW, meter, moments


@given(moments, st.sampled_from(["hour", "day", "month"]))
def test_a_moment_falls_in_its_window(moment: datetime, window: Any) -> None:
    start = reports.window_start(moment, window)
    end = reports.window_end(start, window)
    assert start <= moment < end
    assert reports.window_start(end, window) == end  # windows tile time


def test_windows_follow_utc_whatever_the_offset_given() -> None:
    tokyo = datetime(2026, 11, 1, 5, 0, tzinfo=datetime.fromisoformat("2026-01-01T00:00+09:00").tzinfo)
    assert reports.window_start(tokyo, "day") == datetime(2026, 10, 31, tzinfo=UTC)
    assert reports.window_start(tokyo, "month") == datetime(2026, 10, 1, tzinfo=UTC)


def test_usage_queries_default_to_this_month_and_check_dimensions() -> None:
    query = reports.usage_query(meter(), start=None, end=None, window=None, group_by=["model", "subject"], now=NOW)
    assert (query.start, query.end, query.group_by) == (datetime(2026, 11, 1, tzinfo=UTC), NOW, ("model", "subject"))
    with pytest.raises(InvalidRequest, match="region"):
        reports.usage_query(meter(), start=None, end=None, window=None, group_by=["region"], now=NOW)
    with pytest.raises(InvalidRequest, match="before end"):
        reports.usage_query(meter(), start=NOW, end=NOW, window=None, group_by=[], now=NOW)
    with pytest.raises(InvalidRequest, match="twice"):
        reports.usage_query(meter(), start=None, end=None, window=None, group_by=["model", "model"], now=NOW)


def test_report_buckets_are_clipped_to_the_range_and_sorted() -> None:
    start, end = datetime(2026, 11, 2, 12, tzinfo=UTC), datetime(2026, 11, 4, 6, tzinfo=UTC)
    query = reports.usage_query(meter(), start=start, end=end, window="day", group_by=["model"], now=NOW)
    rows: list[reports.ReportRow] = [
        (datetime(2026, 11, 4, tzinfo=UTC), ("b",), Decimal(1), 1),
        (datetime(2026, 11, 2, tzinfo=UTC), ("b",), Decimal(2), 2),
        (datetime(2026, 11, 2, tzinfo=UTC), (None,), Decimal(3), 3),
        (datetime(2026, 11, 2, tzinfo=UTC), ("a",), Decimal(4), 4),
    ]
    items = reports.usage_buckets(query, rows)
    assert [(i.window_start, i.window_end, i.group["model"]) for i in items] == [
        (start, datetime(2026, 11, 3, tzinfo=UTC), None),
        (start, datetime(2026, 11, 3, tzinfo=UTC), "a"),
        (start, datetime(2026, 11, 3, tzinfo=UTC), "b"),
        (datetime(2026, 11, 4, tzinfo=UTC), end, "b"),
    ]
    whole = reports.usage_query(meter(), start=start, end=end, window=None, group_by=[], now=NOW)
    assert [(i.window_start, i.window_end) for i in reports.usage_buckets(whole, [(None, (), Decimal(9), 9)])] == [
        (start, end)
    ]
    too_many: list[reports.ReportRow] = [(None, (), Decimal(1), 1)] * (reports.MAX_REPORT_ROWS + 1)
    with pytest.raises(InvalidRequest, match="narrow"):
        reports.usage_buckets(whole, too_many)
