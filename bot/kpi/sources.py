"""Reads what the other features record, through the providers they register (`bot.metrics`).

Every computed KPI source reads a typed field of a feature's metrics, so a field a feature renames fails
the type checker rather than showing "no data" forever.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.metrics import (
    CheckinMetrics,
    EscalationMetrics,
    JiraMetrics,
    MetricsFn,
    MetricsProviders,
    PulseMetrics,
)

log = logging.getLogger("oneteam.kpi")

M = TypeVar("M")
M_co = TypeVar("M_co", covariant=True)


class Cached(Generic[M_co]):
    """One feature's metrics for one team, cached per period: the digest and the KPI table ask for the
    same week more than once. A feature that fails reads as "no data" and does not take the digest or
    /kpi down with it."""

    def __init__(self, feature: str, fn: MetricsFn[M_co] | None, session: AsyncSession, team_id: int) -> None:
        self.feature, self.fn, self.session, self.team_id = feature, fn, session, team_id
        self._cache: dict[tuple[datetime, datetime], M_co | None] = {}

    async def get(self, start: datetime, end: datetime) -> M_co | None:
        if (start, end) not in self._cache:
            self._cache[(start, end)] = await self._call(start, end)
        return self._cache[(start, end)]

    async def _call(self, start: datetime, end: datetime) -> M_co | None:
        if self.fn is None:
            return None
        try:
            return await self.fn(self.session, self.team_id, start, end)
        except Exception:
            log.exception("metrics failed", extra={"feature": self.feature, "team_id": self.team_id})
            return None


class Metrics:
    """Per-request access to every feature's metrics for one team."""

    def __init__(self, session: AsyncSession, team_id: int, providers: MetricsProviders) -> None:
        self.checkins = Cached("checkins", providers.checkins, session, team_id)
        self.escalations = Cached("escalations", providers.escalations, session, team_id)
        self.pulse = Cached("pulse", providers.pulse, session, team_id)
        self.jira = Cached("jira", providers.jira, session, team_id)
        self.open_blockers = providers.open_blockers
        self.other_side_notes = providers.other_side_notes

    async def source_value(self, source: str, start: datetime, end: datetime) -> float | None:
        """The value of a computed KPI source for one period, None when there is no data."""
        return await SOURCES[source](self, start, end)


SourceFn = Callable[[Metrics, datetime, datetime], Awaitable[float | None]]


def _scaled(value: float | int | None, scale: float = 1.0) -> float | None:
    return None if value is None else float(value) * scale


def _source(feature: Callable[[Metrics], Cached[M]], read: Callable[[M], float | None]) -> SourceFn:
    """A KPI source reading one field of one feature's metrics."""

    async def value(metrics: Metrics, start: datetime, end: datetime) -> float | None:
        m = await feature(metrics).get(start, end)
        return None if m is None else read(m)

    return value


def _checkins(m: Metrics) -> Cached[CheckinMetrics]:
    return m.checkins


def _escalations(m: Metrics) -> Cached[EscalationMetrics]:
    return m.escalations


def _pulse(m: Metrics) -> Cached[PulseMetrics]:
    return m.pulse


def _jira(m: Metrics) -> Cached[JiraMetrics]:
    return m.jira


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
}
