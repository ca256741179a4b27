"""The team's `sync:` section of the org YAML: when the weekly internal-vendor meeting is and who runs it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _minutes(value: str) -> int:
    match = _DURATION.match(value.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{value!r} is not a duration (use e.g. 45m, 1h or 2d)")
    return int(match.group(1)) * {"m": 1, "h": 60, "d": 1440}[match.group(2)]


class SyncConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "tue"
    time: str = "10:00"  # in the team's time zone
    duration: str = "1h"
    channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,}$")  # default: the team's channel
    facilitator: Literal["member", "vendor_lead", "liaison", "manager", "admin"] = "liaison"
    agenda_before: str = "24h"  # the draft agenda is posted this long before the meeting

    @field_validator("time")
    @classmethod
    def _clock(cls, v: str) -> str:
        if not _CLOCK.match(v):
            raise ValueError(f"{v!r} is not a time of day (HH:MM)")
        return v

    @field_validator("duration", "agenda_before")
    @classmethod
    def _duration(cls, v: str) -> str:
        _minutes(v)
        return v

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=_minutes(self.duration))

    @property
    def lead(self) -> timedelta:
        return timedelta(minutes=_minutes(self.agenda_before))

    def current_start(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The start of the first meeting that has not ended by `now` (UTC)."""
        hour, minute = (int(x) for x in self.time.split(":"))
        local = now.astimezone(tz).date() - timedelta(days=7)
        for offset in range(16):
            day = local + timedelta(days=offset)
            if WEEKDAYS[day.weekday()] == self.weekday:
                start = datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)
                if start + self.length > now:
                    return start
        raise AssertionError("a weekday recurs within 16 days")


def sync_config(team_config: dict[str, Any] | None) -> SyncConfig | None:
    """The team's sync, None when it has none."""
    raw = (team_config or {}).get("sync")
    return None if raw is None else SyncConfig.model_validate(raw)
