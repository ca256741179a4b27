"""Reads what the other features record, through their `<feature>_metrics(session, team_id, start, end)`
functions, imported by name from `FEATURES`.

Metrics objects are plain dataclasses; fields are read with `getattr` so that a field a feature drops
or renames reads as "no data" instead of failing the whole digest.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("oneteam.kpi")

MetricsFn = Callable[[AsyncSession, int, datetime, datetime], Awaitable[Any]]
FEATURES = {
    "checkins": ("bot.checkins.service", "checkin_metrics"),
    "escalations": ("bot.escalations.service", "escalation_metrics"),
    "pulse": ("bot.pulse.service", "pulse_metrics"),
    "jira": ("bot.jira.service", "jira_metrics"),
}
Extract = Callable[[Any], float | None]


def _field(name: str, scale: float = 1.0) -> Extract:
    def get(metrics: Any) -> float | None:
        value = getattr(metrics, name, None)
        return None if value is None else float(value) * scale

    return get


def _within_sla(metrics: Any) -> float | None:
    opened = getattr(metrics, "opened", 0) or 0
    return None if not opened else 100.0 * (opened - (getattr(metrics, "sla_breaches", 0) or 0)) / opened


def latest_survey(metrics: Any) -> Any | None:
    """The last pulse survey of the period whose team figures pass the anonymity threshold."""
    visible = [s for s in getattr(metrics, "surveys", None) or () if getattr(s, "respondents", None) is not None]
    return visible[-1] if visible else None


def pulse_score(survey: Any) -> float | None:
    averages = [c.average for c in getattr(survey, "concerns", None) or ()]
    return sum(averages) / len(averages) if averages else None


def _pulse_score(metrics: Any) -> float | None:
    survey = latest_survey(metrics)
    return None if survey is None else pulse_score(survey)


def _enps(metrics: Any) -> float | None:
    survey = latest_survey(metrics)
    return None if survey is None or survey.enps is None else float(survey.enps)


# Computed KPI source -> (feature, how to read it). Rates are in %, durations in hours.
SOURCES: dict[str, tuple[str, Extract]] = {
    "checkin_response_rate": ("checkins", _field("response_rate", 100)),
    "escalation_ack_median": ("escalations", _field("median_ack_minutes", 1 / 60)),
    "escalation_ack_p90": ("escalations", _field("p90_ack_minutes", 1 / 60)),
    "escalation_resolve_median": ("escalations", _field("median_resolve_minutes", 1 / 60)),
    "escalation_resolve_p90": ("escalations", _field("p90_resolve_minutes", 1 / 60)),
    "escalation_within_sla": ("escalations", _within_sla),
    "escalation_reopen_rate": ("escalations", _field("reopen_rate", 100)),
    "escalation_satisfaction": ("escalations", _field("satisfaction_avg")),
    "escalation_sla_breaches": ("escalations", _field("sla_breaches")),
    "jira_resolved": ("jira", _field("resolved")),
    "jira_overdue": ("jira", _field("overdue")),
    "pulse_score": ("pulse", _pulse_score),
    "enps": ("pulse", _enps),
}


def metrics_function(feature: str) -> MetricsFn:
    module_name, fn_name = FEATURES[feature]
    return getattr(importlib.import_module(module_name), fn_name)


class Metrics:
    """Per-request cache of metrics calls: the digest and the KPI table ask for the same week twice."""

    def __init__(self, session: AsyncSession, team_id: int,
                 functions: Mapping[str, MetricsFn | None] | None = None) -> None:
        self.session = session
        self.team_id = team_id
        self.functions = functions  # tests and benchmarks may supply their own; default: the features'
        self._cache: dict[tuple[str, datetime, datetime], Any] = {}

    async def get(self, feature: str, start: datetime, end: datetime) -> Any | None:
        key = (feature, start, end)
        if key not in self._cache:
            self._cache[key] = await self._call(feature, start, end)
        return self._cache[key]

    async def _call(self, feature: str, start: datetime, end: datetime) -> Any | None:
        fn = self.functions.get(feature) if self.functions is not None else metrics_function(feature)
        if fn is None:
            return None
        try:
            return await fn(self.session, self.team_id, start, end)
        except Exception:  # one feature's failure must not take the digest or /kpi down with it
            log.exception("metrics failed", extra={"feature": feature, "team_id": self.team_id})
            return None

    async def source_value(self, source: str, start: datetime, end: datetime) -> float | None:
        """The value of a computed KPI source for one period, None when there is no data."""
        feature, extract = SOURCES[source]
        metrics = await self.get(feature, start, end)
        return None if metrics is None else extract(metrics)
