"""The team's `sync:` section of the org YAML: when the weekly internal-vendor meeting is and who runs it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from bot.calendar import Calendar
from bot.config_types import HHMM, Duration, Strict, Weekday, clock, duration_minutes, weekday_index


def _some_time(value: str) -> str:
    """A meeting length or lead is a fixed, non-zero span (not `next_business_day`)."""
    if not duration_minutes(value):
        raise ValueError(f"{value!r} is not a duration (use e.g. 45m, 1h or 2d)")
    return value


Span = Annotated[Duration, AfterValidator(_some_time),
                 WithJsonSchema({"type": "string", "pattern": r"^[1-9]\d*\s*[mhd]$", "examples": ["45m", "1h", "2d"]})]


class SyncConfig(Strict):
    weekday: Weekday = "tue"
    time: HHMM = "10:00"  # in the team's time zone
    duration: Span = "1h"
    channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,}$")  # default: the team's channel
    facilitator: Literal["member", "vendor_lead", "liaison", "manager", "admin"] = "liaison"
    agenda_before: Span = "24h"  # the draft agenda is posted this long before the meeting

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=duration_minutes(self.duration) or 0)

    @property
    def lead(self) -> timedelta:
        return timedelta(minutes=duration_minutes(self.agenda_before) or 0)

    def current_start(self, now: datetime, cal: Calendar) -> datetime:
        """The start of the first meeting that has not ended by `now` (UTC), in the calendar's zone."""
        local = cal.local_date(now) - timedelta(days=7)
        for offset in range(16):
            day = local + timedelta(days=offset)
            if day.weekday() == weekday_index(self.weekday):
                start = cal.at(day, clock(self.time))
                if start + self.length > now:
                    return start
        raise AssertionError("a weekday recurs within 16 days")


def sync_config(team_config: dict[str, Any] | None) -> SyncConfig | None:
    """The team's sync, None when it has none."""
    raw = (team_config or {}).get("sync")
    return None if raw is None else SyncConfig.model_validate(raw)
