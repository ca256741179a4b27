"""Pure time arithmetic: when a member is prompted and reminded, in their own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.checkins.config import CheckinConfig, parse_hhmm


def zone(name: str | None, fallback: str) -> ZoneInfo:
    """The member's zone, else the team's (a bad name from Slack must not stop a round)."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def checkin_days(now: datetime, cfg: CheckinConfig) -> list[date]:
    """The check-in days of last week, this week and next week (by the UTC calendar), oldest first."""
    monday = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    return [monday + timedelta(weeks=w, days=cfg.weekday_index) for w in (-1, 0, 1)]


def due_at(day: date, local: time, tz: ZoneInfo) -> datetime:
    """`local` o'clock on `day` in `tz`, as UTC (a time skipped by DST moves forward with the clocks)."""
    return datetime.combine(day, local, tzinfo=tz).astimezone(UTC)


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def in_window(when: datetime, tz: ZoneInfo, window: tuple[str, str]) -> datetime:
    """`when`, or the next moment inside the daily local window [start, end) if it falls outside."""
    start, end = parse_hhmm(window[0]), parse_hhmm(window[1])
    local = when.astimezone(tz)
    if start <= local.time() < end:
        return when
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=tz).astimezone(UTC)


def tomorrow_morning(now: datetime, tz: ZoneInfo, window: tuple[str, str]) -> datetime:
    """The start of the reminder window on the member's next local day."""
    local_day = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(local_day, parse_hhmm(window[0]), tzinfo=tz).astimezone(UTC)
