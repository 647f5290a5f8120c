"""Usage queries: a meter's range, window and dimensions checked, and the database's grouped
rows turned into the report's buckets, each clipped to the range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fluxforge.errors import FieldError, InvalidRequest
from fluxforge.metering.models import SUBJECT_DIMENSION, Meter, UsageBucket, Window
from fluxforge.metering.periods import add_months, month_start

MAX_REPORT_ROWS = 10_000
"""Most rows one usage query returns; a wider one is refused with advice to narrow it."""


ReportRow = tuple[datetime | None, tuple[str | None, ...], Decimal, int]
"""(window start or None, dimension values, quantity, contributing events), as the database groups them."""


@dataclass(frozen=True)
class UsageQuery:
    """A checked usage query: one meter, [start, end), optional window and dimensions."""

    meter: Meter
    start: datetime
    end: datetime
    window: Window | None
    group_by: tuple[str, ...]


def usage_query(
    meter: Meter,
    *,
    start: datetime | None,
    end: datetime | None,
    window: Window | None,
    group_by: Sequence[str],
    now: datetime,
) -> UsageQuery:
    """Defaults: from the start of the current UTC month until now. Dimensions must be the meter's."""
    start = month_start(now) if start is None else start
    end = now if end is None else end
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidRequest("start and end need a UTC offset, e.g. 2026-11-01T00:00:00Z")
    if start >= end:
        raise InvalidRequest("start must be before end", errors=[FieldError(field="start", message="not before end")])
    allowed = {*meter.group_by, SUBJECT_DIMENSION}
    unknown = [d for d in group_by if d not in allowed]
    if unknown:
        raise InvalidRequest(
            f"meter {meter.key!r} cannot be grouped by {', '.join(unknown)}; "
            f"its dimensions are {', '.join(sorted(allowed))}",
            errors=[FieldError(field="group_by", message=f"not a dimension of {meter.key}")],
        )
    if len(set(group_by)) != len(group_by):
        raise InvalidRequest("group_by names a dimension twice")
    return UsageQuery(
        meter=meter, start=start.astimezone(UTC), end=end.astimezone(UTC), window=window, group_by=tuple(group_by)
    )


def window_start(moment: datetime, window: Window) -> datetime:
    """The UTC calendar window (hour, day or month) a moment falls in."""
    utc = moment.astimezone(UTC)
    if window == "hour":
        return utc.replace(minute=0, second=0, microsecond=0)
    if window == "day":
        return utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return month_start(utc)


def window_end(start: datetime, window: Window) -> datetime:
    if window == "hour":
        return start + timedelta(hours=1)
    if window == "day":
        return start + timedelta(days=1)
    return add_months(start, 1)


def bucket_bounds(query: UsageQuery, bucket: datetime | None) -> tuple[datetime, datetime]:
    """A bucket's window clipped to the query's range (the first and last may be partial)."""
    if query.window is None or bucket is None:
        return query.start, query.end
    return max(bucket, query.start), min(window_end(bucket, query.window), query.end)


def usage_buckets(query: UsageQuery, rows: Sequence[ReportRow]) -> list[UsageBucket]:
    """The report's items in window order, then by dimension values (absent values first)."""
    if len(rows) > MAX_REPORT_ROWS:
        raise InvalidRequest(
            f"the report would have more than {MAX_REPORT_ROWS} rows; "
            "narrow the range, use a coarser window or fewer dimensions"
        )
    items = []
    for bucket, values, quantity, event_count in rows:
        start, end = bucket_bounds(query, bucket)
        items.append(
            UsageBucket(
                window_start=start,
                window_end=end,
                group=dict(zip(query.group_by, values, strict=True)),
                quantity=quantity,
                event_count=event_count,
            )
        )
    items.sort(key=lambda item: (item.window_start, [(v is not None, v or "") for v in item.group.values()]))
    return items
