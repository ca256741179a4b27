"""Reads what the other features record, through their `<feature>_metrics(session, team_id, start, end)`
functions, imported lazily: a feature that is absent (or not merged yet) simply yields no data.

Metrics objects are plain dataclasses; fields are read with `getattr` so that a field a feature does
not provide reads as "no data" instead of failing the whole digest.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
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
# Computed KPI source -> (feature, field of its metrics dataclass).
SOURCE_FIELDS: dict[str, tuple[str, str]] = {
    "checkin_response_rate": ("checkins", "response_rate"),
    "escalation_ack_median": ("escalations", "ack_median_hours"),
    "escalation_ack_p90": ("escalations", "ack_p90_hours"),
    "escalation_resolve_median": ("escalations", "resolve_median_hours"),
    "escalation_resolve_p90": ("escalations", "resolve_p90_hours"),
    "escalation_within_sla": ("escalations", "within_sla_rate"),
    "escalation_reopen_rate": ("escalations", "reopen_rate"),
    "escalation_satisfaction": ("escalations", "satisfaction_avg"),
    "escalation_sla_breaches": ("escalations", "sla_breaches"),
    "jira_resolved": ("jira", "resolved"),
    "jira_overdue": ("jira", "overdue"),
    "pulse_score": ("pulse", "score"),
    "enps": ("pulse", "enps"),
}


def metrics_function(feature: str) -> MetricsFn | None:
    module_name, fn_name = FEATURES[feature]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, fn_name, None)


class Metrics:
    """Per-request cache of metrics calls: the digest and the KPI table ask for the same week twice."""

    def __init__(self, session: AsyncSession, team_id: int) -> None:
        self.session = session
        self.team_id = team_id
        self._cache: dict[tuple[str, datetime, datetime], Any] = {}

    async def get(self, feature: str, start: datetime, end: datetime) -> Any | None:
        key = (feature, start, end)
        if key not in self._cache:
            self._cache[key] = await self._call(feature, start, end)
        return self._cache[key]

    async def _call(self, feature: str, start: datetime, end: datetime) -> Any | None:
        fn = metrics_function(feature)
        if fn is None:
            return None
        try:
            return await fn(self.session, self.team_id, start, end)
        except Exception:  # one feature's failure must not take the digest or /kpi down with it
            log.exception("metrics failed", extra={"feature": feature, "team_id": self.team_id})
            return None

    async def source_value(self, source: str, start: datetime, end: datetime) -> float | None:
        """The value of a computed KPI source for one period, None when there is no data."""
        feature, field = SOURCE_FIELDS[source]
        value = getattr(await self.get(feature, start, end), field, None)
        return None if value is None else float(value)
