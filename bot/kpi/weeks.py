"""ISO weeks ("2026-W47") in a team's time zone: how KPI values and digests are keyed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday(week: str) -> date:
    """First day of an ISO week; ValueError when `week` is not like 2026-W47 or does not exist."""
    m = WEEK.match(week.strip().upper())
    if not m:
        raise ValueError(week)
    return date.fromisocalendar(int(m[1]), int(m[2]), 1)


def is_week(text: str) -> bool:
    try:
        monday(text)
    except ValueError:
        return False
    return True


def normalise(week: str) -> str:
    return week_of(monday(week))


def shift(week: str, weeks: int) -> str:
    return week_of(monday(week) + timedelta(weeks=weeks))


def last_weeks(week: str, count: int) -> list[str]:
    """`count` weeks ending with `week`, oldest first."""
    return [shift(week, -i) for i in range(count - 1, -1, -1)]


def current_week(now: datetime, tz: str) -> str:
    return week_of(now.astimezone(ZoneInfo(tz)).date())


def bounds(week: str, tz: str) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) in the team's zone, as aware UTC datetimes."""
    zone = ZoneInfo(tz)
    start = datetime.combine(monday(week), time(0), zone)
    end = datetime.combine(monday(week) + timedelta(days=7), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)
