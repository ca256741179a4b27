"""When an escalation's next step is due: plain durations, or business time for P3/P4."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.escalations.config import WEEKDAYS, BusinessHours, EscalationConfig, duration_minutes

MAX_DAYS = 370  # a misconfigured calendar must not loop forever


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _is_open_day(day: datetime, hours: BusinessHours) -> bool:
    return WEEKDAYS[day.weekday()] in hours.days


def add_business_minutes(start: datetime, minutes: int, hours: BusinessHours, tz: str) -> datetime:
    """`start` plus `minutes` of working time in the team's time zone (the clock stops out of hours)."""
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    left = timedelta(minutes=minutes)
    for _ in range(MAX_DAYS):
        opens = datetime.combine(local.date(), _clock(hours.start), zone)
        closes = datetime.combine(local.date(), _clock(hours.end), zone)
        if _is_open_day(local, hours) and local < closes:
            begin = max(local, opens)
            if begin + left <= closes:
                return (begin + left).astimezone(start.tzinfo)
            left -= closes - begin
        local = datetime.combine(local.date() + timedelta(days=1), time(0), zone)
    raise ValueError("business hours never open")


def end_of_next_business_day(start: datetime, hours: BusinessHours, tz: str) -> datetime:
    """Close of business on the first working day after `start`'s local date."""
    zone = ZoneInfo(tz)
    day = start.astimezone(zone).date() + timedelta(days=1)
    for _ in range(MAX_DAYS):
        if WEEKDAYS[day.weekday()] in hours.days:
            return datetime.combine(day, _clock(hours.end), zone).astimezone(start.tzinfo)
        day += timedelta(days=1)
    raise ValueError("business hours never open")


def due_after(start: datetime, spec: str | None, severity: str, cfg: EscalationConfig, tz: str) -> datetime | None:
    """When a timer of `spec` ('15m', 'next_business_day', None = no timer) started at `start` runs out."""
    if spec is None:
        return None
    minutes = duration_minutes(spec)
    business = severity in cfg.business_hours_severities
    if minutes is None:
        return end_of_next_business_day(start, cfg.business_hours, tz)
    if business:
        return add_business_minutes(start, minutes, cfg.business_hours, tz)
    return start + timedelta(minutes=minutes)
