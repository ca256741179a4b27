"""When an escalation's next step is due: plain durations, or business time for P3/P4: the policy's business
hours on the team's calendar (its zone, public holidays and closed dates)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from bot.calendar import Calendar, team_calendar
from bot.config_types import duration_minutes
from bot.escalations.config import BusinessHours, EscalationConfig
from storage.models import Team


def business_calendar(team: Team, cfg: EscalationConfig) -> Calendar:
    """The calendar P3/P4 timers and SLA clocks count on: the policy's `business_hours` (hours and days) in
    the zone of the team's calendar, closed on its public holidays and closed dates."""
    hours = cfg.business_hours
    return _business(team_calendar(team), hours.start, hours.end, hours.days)


@lru_cache(maxsize=256)
def _business(team: Calendar, start: str, end: str, days: tuple[str, ...]) -> Calendar:
    """Built once per team calendar (itself built once per `calendar:` section) and business hours: a tick over
    thousands of escalations shares them and their holiday table."""
    return BusinessHours(start=start, end=end, days=days).calendar(team.tz, team.holidays)


def due_after(start: datetime, spec: str | None, severity: str, cfg: EscalationConfig, team: Team) -> datetime | None:
    """When a timer of `spec` ('15m', 'next_business_day', None = no timer) started at `start` runs out."""
    if spec is None:
        return None
    minutes = duration_minutes(spec)
    if minutes is None:
        return business_calendar(team, cfg).end_of_next_business_day(start)
    if severity in cfg.business_hours_severities:
        return business_calendar(team, cfg).add_business(start, timedelta(minutes=minutes))
    return start + timedelta(minutes=minutes)
