"""The team's `oncall:` section of the org YAML: on-call rotations that escalation levels can call (shared core:
escalations resolve levels and permissions with it, the absence feature answers `/oneteam oncall` and covers).

A level names a rotation as `rotation:<name>`; whoever is on duty then is called (or whoever covers them,
`/oneteam cover`). Hand-overs happen at a local time of the team's calendar zone, so they follow DST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from bot.config_types import HHMM, Email, Strict, Weekday, clock, weekday_index

ROTATION = "rotation:"  # a level item `rotation:primary` calls whoever is on duty in the team's rotation `primary`


class Rotation(Strict):
    """People in turn, handing over daily or weekly at `handover` (local); the first is on from `start`."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,30}$")
    people: tuple[Email, ...]
    every: Literal["daily", "weekly"] = "weekly"
    handover: HHMM = "09:00"
    handover_day: Weekday = "mon"  # weekly rotations only
    start: date = date(2026, 1, 5)  # the first hand-over to the first person (a Monday)

    @field_validator("people")
    @classmethod
    def _somebody(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("a rotation needs at least one person (people: [email, ...])")
        return v

    def shift(self, now: datetime, tz: ZoneInfo, offset: int = 0) -> tuple[str, datetime, datetime]:
        """Who is on duty at `now` (`offset` shifts later: 1 = the next), and that shift's [start, end) in UTC."""
        local = now.astimezone(tz)
        at = clock(self.handover)
        if self.every == "daily":
            step = 1
            began = local.date() if local.time() >= at else local.date() - timedelta(days=1)
            anchor = self.start
        else:
            step = 7
            back = (local.weekday() - weekday_index(self.handover_day)) % 7
            began = local.date() - timedelta(days=back)
            if back == 0 and local.time() < at:
                began -= timedelta(days=7)
            anchor = self.start - timedelta(days=(self.start.weekday() - weekday_index(self.handover_day)) % 7)
        began += timedelta(days=step * offset)
        turn = (began - anchor).days // step
        person = self.people[turn % len(self.people)]
        return person, _at(began, at, tz), _at(began + timedelta(days=step), at, tz)


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


class OncallConfig(Strict):
    rotations: tuple[Rotation, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> OncallConfig:
        names = [r.name for r in self.rotations]
        if len(names) != len(set(names)):
            raise ValueError("rotation names must be unique within a team")
        return self

    def rotation(self, name: str) -> Rotation | None:
        return next((r for r in self.rotations if r.name == name), None)


def oncall_config(config: dict | None) -> OncallConfig:
    """A team's stored `oncall:` section, validated."""
    return OncallConfig.model_validate((config or {}).get("oncall") or {})
