"""SLA clocks: time to acknowledge and to resolve, per severity, paused while the escalation waits on the other
side and counted in business time (with the team calendar's holidays) where the team says so.

The clocks are columns of the escalation row: the time used before the current run (`sla_used_s`), when the
current run started (`sla_running_since`, None while paused), and `sla_next_at`, the next warning or breach,
which the tick claims by compare-and-set on the timeline like every other step. A warning or breach is a
timeline step followed by a `notified` step, so `notify.sync` sends it once per key across instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.calendar import Calendar
from bot.config_types import duration_minutes
from bot.escalations.config import EscalationConfig
from bot.escalations.timers import business_calendar
from storage.models import Escalation, Team

CLOCKS = ("ack", "resolve")
# Bits of `Escalation.sla_flags`: what has been announced for each clock.
WARNED = {"ack": 1, "resolve": 4}
BREACHED = {"ack": 2, "resolve": 8}
MISSED = BREACHED["ack"] | BREACHED["resolve"]


def sla_calendar(team: Team, cfg: EscalationConfig) -> Calendar:
    """The calendar SLA business time is counted on: the same as the policy's P3/P4 timers (its business
    hours on the team's calendar, whose public holidays and closed dates stop the clock)."""
    return business_calendar(team, cfg)


@dataclass(frozen=True)
class Clock:
    """How one escalation's clocks run: a wall clock, or the business time of a calendar."""

    calendar: Calendar | None  # None: wall-clock time

    def add(self, start: datetime, seconds: float) -> datetime:
        if self.calendar is None:
            return start + timedelta(seconds=seconds)
        return self.calendar.add_business(start, timedelta(seconds=max(seconds, 0)))

    def between(self, a: datetime, b: datetime) -> float:
        if self.calendar is None:
            return max((b - a).total_seconds(), 0.0)
        return self.calendar.business_between(a, b).total_seconds()


def clock_for(severity: str, team: Team, cfg: EscalationConfig) -> Clock:
    business = severity in cfg.sla_business_severities
    return Clock(sla_calendar(team, cfg) if business else None)


def target_seconds(severity: str, which: str, cfg: EscalationConfig, clock: Clock) -> float | None:
    """A target in seconds of the clock's time; in business time a day is one working day."""
    spec = cfg.sla_target(severity, which)
    if spec is None:
        return None
    minutes = duration_minutes(spec) or 0
    if clock.calendar is not None and spec.strip().endswith("d"):
        opens, closes = clock.calendar.hours
        day = (datetime.combine(datetime.min, closes) - datetime.combine(datetime.min, opens)).total_seconds()
        return minutes / 1440 * day
    return minutes * 60.0


@dataclass(frozen=True)
class State:
    """What the clocks depend on, from the row or as a transition is about to leave it."""

    severity: str
    acked: bool
    resolved: bool
    used: float
    since: datetime | None  # None: paused (or stopped)
    flags: int

    @classmethod
    def of(cls, esc: Escalation) -> State:
        return cls(esc.severity, esc.first_ack_at is not None, esc.state == "resolved", esc.sla_used_s,
                   esc.sla_running_since, esc.sla_flags)

    def running(self, which: str) -> bool:
        """Whether a clock still counts: ack until the first acknowledgement, resolve until resolved."""
        return not (self.acked if which == "ack" else self.resolved)


def due(s: State, which: str, team: Team, cfg: EscalationConfig) -> datetime | None:
    """When the clock runs out if it keeps running (None: no target, stopped, or paused)."""
    clock = clock_for(s.severity, team, cfg)
    target = target_seconds(s.severity, which, cfg, clock)
    if target is None or s.since is None or not s.running(which):
        return None
    return clock.add(s.since, target - s.used)


def left(s: State, which: str, team: Team, cfg: EscalationConfig, now: datetime) -> float | None:
    """Seconds of the clock's time left (negative once breached); None without a target or once stopped."""
    clock = clock_for(s.severity, team, cfg)
    target = target_seconds(s.severity, which, cfg, clock)
    if target is None or not s.running(which):
        return None
    return target - s.used - (clock.between(s.since, now) if s.since else 0)


def next_at(s: State, team: Team, cfg: EscalationConfig) -> datetime | None:
    """The next warning or breach still to announce while the clocks run."""
    if s.since is None:
        return None
    clock = clock_for(s.severity, team, cfg)
    moments = []
    for which in CLOCKS:
        target = target_seconds(s.severity, which, cfg, clock)
        if target is None or not s.running(which):
            continue
        if not s.flags & WARNED[which]:
            moments.append(clock.add(s.since, target * cfg.sla_warn_at - s.used))
        elif not s.flags & BREACHED[which]:
            moments.append(clock.add(s.since, target - s.used))
    return min(moments, default=None)


def fired(s: State, team: Team, cfg: EscalationConfig, now: datetime) -> list[tuple[str, str]]:
    """(clock, "warning" | "breach") due by `now` and not yet announced; a breach makes its warning moot."""
    clock = clock_for(s.severity, team, cfg)
    found = []
    for which in CLOCKS:
        rest = left(s, which, team, cfg, now)
        target = target_seconds(s.severity, which, cfg, clock)
        if rest is None or target is None or s.since is None:
            continue
        if rest <= 0 and not s.flags & BREACHED[which]:
            found.append((which, "breach"))
        elif target - rest >= target * cfg.sla_warn_at and not s.flags & (WARNED[which] | BREACHED[which]):
            found.append((which, "warning"))
    return found


def flags_after(flags: int, events: list[tuple[str, str]]) -> int:
    for which, kind in events:
        flags |= WARNED[which] | (BREACHED[which] if kind == "breach" else 0)
    return flags


def started(severity: str, team: Team, cfg: EscalationConfig, now: datetime) -> dict[str, object]:
    """Columns of a new escalation: both clocks run from `now`."""
    s = State(severity, False, False, 0, now, 0)
    return {"sla_used_s": 0, "sla_running_since": now, "sla_flags": 0, "sla_next_at": next_at(s, team, cfg)}


def paused(esc: Escalation, team: Team, cfg: EscalationConfig, now: datetime) -> dict[str, object]:
    """Column changes that stop the clocks at `now` (waiting on the other side, or resolved)."""
    if esc.sla_running_since is None:
        return {}
    used = esc.sla_used_s + clock_for(esc.severity, team, cfg).between(esc.sla_running_since, now)
    return {"sla_used_s": int(used), "sla_running_since": None, "sla_next_at": None}


def resumed(esc: Escalation, team: Team, cfg: EscalationConfig, now: datetime) -> dict[str, object]:
    """Column changes that restart the clocks at `now` (waiting cleared, or reopened)."""
    if esc.sla_running_since is not None:
        return {}
    s = State(esc.severity, esc.first_ack_at is not None, False, esc.sla_used_s, now, esc.sla_flags)
    return {"sla_running_since": now, "sla_next_at": next_at(s, team, cfg)}


def after_ack(esc: Escalation, team: Team, cfg: EscalationConfig, flags: int) -> dict[str, object]:
    """The ack clock stops at the first acknowledgement; the next moment is the resolve clock's."""
    s = State(esc.severity, True, False, esc.sla_used_s, esc.sla_running_since, flags)
    return {"sla_flags": flags, "sla_next_at": next_at(s, team, cfg)}


def dues(esc: Escalation, team: Team, cfg: EscalationConfig) -> dict[str, datetime | None]:
    """Each running clock's deadline, for the card."""
    s = State.of(esc)
    return {which: due(s, which, team, cfg) for which in CLOCKS}


def next_due(esc: Escalation, team: Team, cfg: EscalationConfig) -> datetime | None:
    """The nearest deadline not yet missed (None when paused, stopped or all missed): what lists sort by."""
    s = State.of(esc)
    found = [d for which in CLOCKS if not esc.sla_flags & BREACHED[which] and (d := due(s, which, team, cfg))]
    return min(found, default=None)
