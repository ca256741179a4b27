"""A person's local working hours, shared by every feature that messages people (features do not import
each other, so the arithmetic lives here)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WORKING_HOURS = (time(8), time(20))
WORKING_DAYS = frozenset(range(5))  # Monday to Friday
EVERY_DAY = frozenset(range(7))


def zone(name: str | None, fallback: str | None = None) -> ZoneInfo:
    """The person's zone, else the fallback (their team's), else UTC: a bad name must not stop a send."""
    for candidate in (name, fallback):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_working(when: datetime, tz: ZoneInfo, *, hours: tuple[time, time] = WORKING_HOURS,
               days: frozenset[int] = WORKING_DAYS) -> bool:
    """Whether `when` falls inside local working hours [start, end) on a working day in `tz`."""
    local = when.astimezone(tz)
    return local.weekday() in days and hours[0] <= local.time() < hours[1]


def next_working(when: datetime, tz: ZoneInfo, *, hours: tuple[time, time] = WORKING_HOURS,
                 days: frozenset[int] = WORKING_DAYS) -> datetime:
    """`when` if it is inside working hours, else the next start of working hours (UTC)."""
    if is_working(when, tz, hours=hours, days=days):
        return when
    local = when.astimezone(tz)
    day = local.date() if local.time() < hours[0] else local.date() + timedelta(days=1)
    for _ in range(8):
        if day.weekday() in days:
            return datetime.combine(day, hours[0], tzinfo=tz).astimezone(UTC)
        day += timedelta(days=1)
    return when  # no working day at all: any time will do
