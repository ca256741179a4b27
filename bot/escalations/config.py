"""The team's `escalation:` section of the org YAML: who is called at each level and how fast."""

from __future__ import annotations

from collections.abc import Container
from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from bot.calendar import NOTHING_CLOSED, Calendar
from bot.config_types import HHMM, NEXT_BUSINESS_DAY, Duration, Strict, Weekdays, clock, weekday_index
from bot.rotations import ROTATION

SEVERITIES = ("P1", "P2", "P3", "P4")
Severity = Literal["P1", "P2", "P3", "P4"]
ROLE_NAMES = ("member", "vendor_lead", "liaison", "manager", "admin")
DEFAULT_TIMEOUTS: dict[str, str | None] = {"P1": "15m", "P2": "1h", "P3": "4h", "P4": NEXT_BUSINESS_DAY}
DEFAULT_ACKED_TIMEOUTS: dict[str, str | None] = {"P1": "30m", "P2": "2h"}
# Targets to acknowledge and to resolve; P3/P4 count business time (`sla_business_severities`).
DEFAULT_SLA: dict[str, dict[str, str]] = {"P1": {"ack": "15m", "resolve": "4h"}, "P2": {"ack": "1h", "resolve": "8h"},
                                          "P3": {"ack": "4h", "resolve": "3d"}, "P4": {"ack": "1d", "resolve": "5d"}}


class BusinessHours(Strict):
    """The policy's working hours and days; P3/P4 timers and SLA clocks only run inside them, in the zone of
    the team's calendar and never on its closed days (`calendar:` public holidays and closed dates)."""

    start: HHMM = "09:00"
    end: HHMM = "18:00"
    days: Weekdays = ("mon", "tue", "wed", "thu", "fri")

    @model_validator(mode="after")
    def _order(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("business hours must start before they end")
        return self

    def calendar(self, tz: ZoneInfo | str, closed: Container[date] = NOTHING_CLOSED) -> Calendar:
        hours: tuple[time, time] = (clock(self.start), clock(self.end))
        return Calendar(tz, (weekday_index(d) for d in self.days), hours, closed)


class SlaTarget(Strict):
    """Time to acknowledge and to resolve one severity (days count 24 h, or 24 business hours when the
    severity runs on business time)."""

    ack: Duration | None = None
    resolve: Duration | None = None

    @field_validator("ack", "resolve")
    @classmethod
    def _plain(cls, v: str | None) -> str | None:
        if v == NEXT_BUSINESS_DAY:
            raise ValueError(f"an SLA target is a duration such as 15m, 4h or 3d, not {NEXT_BUSINESS_DAY}")
        return v


def _check_timeouts(v: dict[str, str | None]) -> dict[str, str | None]:
    for severity in v:
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r} (use {', '.join(SEVERITIES)})")
    return v


class EscalationConfig(Strict):
    """Escalation policy of one team. Levels are lists of roles (in this team), people's emails or on-call
    rotations (`rotation:<name>`, from the team's `oncall:` section)."""

    levels: tuple[tuple[str, ...], ...] = (("vendor_lead",), ("liaison",), ("manager",))
    # Time to acknowledge before the next level is called.
    timeouts: dict[str, Duration | None] = Field(default_factory=lambda: dict(DEFAULT_TIMEOUTS))
    # Acknowledged but unresolved for this long: whoever acknowledged and the current level are reminded.
    acked_timeouts: dict[str, Duration | None] = Field(default_factory=lambda: dict(DEFAULT_ACKED_TIMEOUTS))
    renotify_last: int = Field(2, ge=0, le=10)  # re-notifications of the last level (and of ack reminders)
    business_hours: BusinessHours = BusinessHours()
    business_hours_severities: tuple[Severity, ...] = ("P3", "P4")
    channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,}$")  # default: the team's channel
    jira_auto: tuple[Severity, ...] = ("P1", "P2")
    # Details and resolution notes stay out of a channel shared with another organisation unless allowed.
    shared_channel_details: bool = False
    # SLA clocks: targets per severity, counted in business time for these severities, warned at a share.
    sla: dict[str, SlaTarget] = Field(default_factory=lambda: {k: SlaTarget(**v) for k, v in DEFAULT_SLA.items()})
    sla_business_severities: tuple[Severity, ...] = ("P3", "P4")
    sla_warn_at: float = Field(0.8, gt=0, lt=1)

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        if not v:
            raise ValueError("an escalation policy needs at least one level")
        for n, level in enumerate(v, start=1):
            if not level:
                raise ValueError(f"level {n} names nobody")
            for who in level:
                if "@" not in who and who not in ROLE_NAMES and not who.startswith(ROTATION):
                    raise ValueError(f"level {n}: unknown role {who!r} "
                                     f"(use {', '.join(ROLE_NAMES)}, an email or rotation:<name>)")
        return tuple(tuple(w.lower() for w in level) for level in v)

    _timeouts = field_validator("timeouts", "acked_timeouts", "sla")(classmethod(lambda cls, v: _check_timeouts(v)))

    def sla_target(self, severity: str, clock: str) -> str | None:
        """The `ack` or `resolve` target of a severity; a severity the file leaves out keeps its default."""
        target = self.sla.get(severity) or SlaTarget(**DEFAULT_SLA.get(severity, {}))
        return target.ack if clock == "ack" else target.resolve

    def timeout(self, severity: str) -> str | None:
        return self.timeouts.get(severity, DEFAULT_TIMEOUTS.get(severity))

    def acked_timeout(self, severity: str) -> str | None:
        return self.acked_timeouts.get(severity)
