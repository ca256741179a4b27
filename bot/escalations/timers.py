"""When an escalation's next step is due: plain durations, or business time (the team's calendar) for P3/P4."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config_types import duration_minutes
from bot.escalations.config import EscalationConfig


def due_after(start: datetime, spec: str | None, severity: str, cfg: EscalationConfig, tz: str) -> datetime | None:
    """When a timer of `spec` ('15m', 'next_business_day', None = no timer) started at `start` runs out."""
    if spec is None:
        return None
    minutes = duration_minutes(spec)
    if minutes is None:
        return cfg.business_hours.calendar(tz).end_of_next_business_day(start)
    if severity in cfg.business_hours_severities:
        return cfg.business_hours.calendar(tz).add_business(start, timedelta(minutes=minutes))
    return start + timedelta(minutes=minutes)
