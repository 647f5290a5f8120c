"""The open usage period and the id watermark (metering.periods): calendar months in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fluxforge.metering import periods
from tests.unit.metering_support import NOW, moments


@given(moments, st.integers(-30, 30))
def test_months_are_calendar_months_in_utc(moment: datetime, months: int) -> None:
    start = periods.month_start(moment)
    assert start <= moment < periods.add_months(start, 1)
    assert start.day == 1 and start.hour == start.minute == start.second == start.microsecond == 0  # noqa: PT018
    shifted = periods.add_months(start, months)
    assert periods.add_months(shifted, -months) == start
    assert (shifted.year * 12 + shifted.month) - (start.year * 12 + start.month) == months


@given(moments, st.integers(1, 3600))
def test_the_open_period_is_this_month_and_the_last(moment: datetime, tolerance: int) -> None:
    earliest, latest = periods.ingest_bounds(moment, tolerance)
    assert earliest == periods.add_months(periods.month_start(moment), -1)
    assert latest == moment + timedelta(seconds=tolerance)
    assert moment - earliest >= timedelta(days=28)


def test_open_period_in_january_starts_in_december() -> None:
    assert periods.open_period_start(datetime(2027, 1, 3, tzinfo=UTC)) == datetime(2026, 12, 1, tzinfo=UTC)


def refused_forever(at: datetime, now: datetime, closed: list[tuple[datetime, datetime]]) -> bool:
    """Whether no batch, from now on and by any clock at most the allowance behind, may store an
    event at `at`: before the open period, or in a closed one."""
    return at < periods.archive_from(now) or any(start <= at < end for start, end in closed)


closed_periods = st.lists(
    st.tuples(st.integers(-80 * 24, 10 * 24), st.integers(1, 40 * 24)).map(
        lambda hours: (NOW + timedelta(hours=hours[0]), NOW + timedelta(hours=hours[0] + hours[1]))
    ),
    max_size=6,
)


@given(moments, closed_periods, st.integers(1, 200 * 24 * 3600))
def test_every_event_below_the_id_watermark_is_refused_forever(
    now: datetime, closed: list[tuple[datetime, datetime]], seconds_back: int
) -> None:
    shifted = [(start - NOW + now, end - NOW + now) for start, end in closed]
    watermark = periods.id_watermark(now, shifted)
    assert watermark >= periods.archive_from(now)
    assert refused_forever(watermark - timedelta(seconds=seconds_back), now, shifted)
    assert refused_forever(watermark - timedelta(microseconds=1), now, shifted)
    assert not any(start <= watermark < end for start, end in shifted)  # as far as it may go


def test_the_id_watermark_trails_the_open_period_by_the_clock_skew_allowed() -> None:
    assert periods.id_watermark(datetime(2026, 12, 2, tzinfo=UTC), []) == datetime(2026, 11, 1, tzinfo=UTC)
    # On the first day of a month a slow clock may still take last month's previous month.
    assert periods.id_watermark(datetime(2026, 12, 1, 5, tzinfo=UTC), []) == datetime(2026, 10, 1, tzinfo=UTC)
    closed = [(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC))]
    closed.append((datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))
    assert periods.id_watermark(datetime(2026, 12, 20, tzinfo=UTC), closed) == datetime(2026, 12, 1, tzinfo=UTC)
    gap = [(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))]
    assert periods.id_watermark(datetime(2026, 12, 20, tzinfo=UTC), gap) == datetime(2026, 11, 1, tzinfo=UTC)
