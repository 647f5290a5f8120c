"""The open usage period (when an event may still be stored) and the id watermark (before which
none can be any more, so ids there may be archived). Periods are calendar months in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta


def month_start(moment: datetime) -> datetime:
    """The start of moment's calendar month in UTC."""
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def add_months(start: datetime, months: int) -> datetime:
    """A month start `months` later (or earlier); `start` must be a month start."""
    index = start.year * 12 + start.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def open_period_start(now: datetime) -> datetime:
    """The earliest time an event may have: the start of the previous UTC month.

    The open period is the current month plus, until it is closed, the previous one: late
    usage of last month still counts until its invoice is made (`close_usage_period`), after
    which ingest refuses it as `period_closed`.
    """
    return add_months(month_start(now), -1)


def ingest_bounds(now: datetime, future_tolerance_seconds: int) -> tuple[datetime, datetime]:
    """[earliest, latest]: events outside are refused before anything else is looked at."""
    return open_period_start(now), now + timedelta(seconds=future_tolerance_seconds)


CLOCK_SKEW_ALLOWANCE = timedelta(days=1)
"""How far the clocks of the processes that ingest may disagree: the watermark trails the open
period's start by this much, and ingest looks this far past its own `latest` for stored ids."""


def archive_from(now: datetime) -> datetime:
    """Where the id watermark may start: the open period's start as the slowest clock sees it."""
    return open_period_start(now - CLOCK_SKEW_ALLOWANCE)


def id_watermark(now: datetime, closed_periods: Iterable[tuple[datetime, datetime]]) -> datetime:
    """The instant before which no event can be stored any more, so its id may be archived.

    Ingest refuses events before the open period and in closed periods, and neither ever
    reopens: the watermark is the open period's start (by the slowest clock), carried on
    through the closed periods that follow it without a gap.
    """
    watermark = archive_from(now)
    for start, end in sorted(closed_periods):
        if start > watermark:
            break
        watermark = max(watermark, end)
    return watermark
