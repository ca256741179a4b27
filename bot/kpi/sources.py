"""Reads what the other features record, through the providers they register (`bot.metrics`).

Every computed KPI source reads a typed field of a feature's metrics, so a field a feature renames fails
the type checker rather than showing "no data" forever.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from bot.metrics import (
    Cached,
    CheckinMetrics,
    EscalationMetrics,
    JiraMetrics,
    KudosMetrics,
    PulseMetrics,
    SyncMetrics,
    TeamMetrics,
)

M = TypeVar("M")


class Metrics(TeamMetrics):
    """Every feature's metrics for one team, read as KPI sources."""

    async def source_value(self, source: str, start: datetime, end: datetime) -> float | None:
        """The value of a computed KPI source for one period, None when there is no data."""
        return await SOURCES[source](self, start, end)


SourceFn = Callable[[TeamMetrics, datetime, datetime], Awaitable[float | None]]


def _scaled(value: float | int | None, scale: float = 1.0) -> float | None:
    return None if value is None else float(value) * scale


def _source(feature: Callable[[TeamMetrics], Cached[M]], read: Callable[[M], float | None]) -> SourceFn:
    """A KPI source reading one field of one feature's metrics."""

    async def value(metrics: TeamMetrics, start: datetime, end: datetime) -> float | None:
        m = await feature(metrics).get(start, end)
        return None if m is None else read(m)

    return value


def _checkins(m: TeamMetrics) -> Cached[CheckinMetrics]:
    return m.checkins


def _escalations(m: TeamMetrics) -> Cached[EscalationMetrics]:
    return m.escalations


def _pulse(m: TeamMetrics) -> Cached[PulseMetrics]:
    return m.pulse


def _jira(m: TeamMetrics) -> Cached[JiraMetrics]:
    return m.jira


def _kudos(m: TeamMetrics) -> Cached[KudosMetrics]:
    return m.kudos


def _sync(m: TeamMetrics) -> Cached[SyncMetrics]:
    return m.sync


def _pulse_score(m: PulseMetrics) -> float | None:
    survey = m.latest_visible
    return None if survey is None else survey.score


def _enps(m: PulseMetrics) -> float | None:
    survey = m.latest_visible
    return None if survey is None else _scaled(survey.enps)


def _attainment(clock: str, severity: str) -> Callable[[EscalationMetrics], float | None]:
    """SLA attainment (%) of one clock and severity."""
    return lambda m: _scaled(m.attainment(clock, severity), 100)


# Computed KPI source -> how to read it. Rates are in %, durations in hours.
SOURCES: dict[str, SourceFn] = {
    "checkin_response_rate": _source(_checkins, lambda m: _scaled(m.response_rate, 100)),
    "escalation_ack_median": _source(_escalations, lambda m: m.ack_median_hours),
    "escalation_ack_p90": _source(_escalations, lambda m: m.ack_p90_hours),
    "escalation_resolve_median": _source(_escalations, lambda m: m.resolve_median_hours),
    "escalation_resolve_p90": _source(_escalations, lambda m: m.resolve_p90_hours),
    "escalation_within_sla": _source(_escalations, lambda m: _scaled(m.within_sla_rate, 100)),
    "escalation_reopen_rate": _source(_escalations, lambda m: _scaled(m.reopen_rate, 100)),
    "escalation_satisfaction": _source(_escalations, lambda m: m.satisfaction_avg),
    "escalation_sla_breaches": _source(_escalations, lambda m: float(m.sla_breaches)),
    **{f"sla_{clock}_{sev.lower()}": _source(_escalations, _attainment(clock, sev))
       for clock in ("ack", "resolve") for sev in ("P1", "P2", "P3", "P4")},
    "sla_breaches_internal": _source(_escalations, lambda m: float(m.breaches_by_side.get("internal", 0))),
    "sla_breaches_vendor": _source(_escalations, lambda m: float(m.breaches_by_side.get("vendor", 0))),
    "jira_resolved": _source(_jira, lambda m: _scaled(m.resolved)),
    "jira_overdue": _source(_jira, lambda m: _scaled(m.overdue)),
    "pulse_score": _source(_pulse, _pulse_score),
    "enps": _source(_pulse, _enps),
    "kudos_cross_side_balance": _source(_kudos, lambda m: _scaled(m.cross_side_balance, 100)),
    "sync_actions_on_time": _source(_sync, lambda m: _scaled(m.on_time_rate, 100)),
}
