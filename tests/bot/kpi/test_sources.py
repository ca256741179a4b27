"""Computed KPI sources read the features' own metrics through the registered providers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.kpi.config import COMPUTED_SOURCES
from bot.kpi.sources import SOURCES, Metrics
from bot.services import Services
from storage.models import Escalation
from storage.org import team_by_key


def test_every_computed_source_has_a_reader() -> None:
    assert set(SOURCES) == set(COMPUTED_SOURCES)


async def test_within_sla_has_one_definition_for_kpis_and_escalations(services: Services, clock: FakeClock) -> None:
    """One breach (recorded by the SLA clocks) and one escalation whose deadline is still ahead: only the breach
    is judged, so 0% were
    within SLA, whether read from the escalation metrics or through the KPI source."""
    start = clock.now()
    async with services.sessions.begin() as session:
        team = await team_by_key(session, "care-internal")
        assert team is not None
        for severity, created in (("P1", start), ("P2", start + timedelta(minutes=50))):
            session.add(Escalation(
                team_id=team.id, state="open", severity=severity, category="quality", summary="s", details="",
                raiser_slack_id="U0PRIYA", raiser_name="Priya", created_at=created, level=1, rounds=0, step=1,
                synced_step=1, reopen_count=0, sla_running_since=created,
                sla_flags=3 if severity == "P1" else 0))  # the P1's breach, as the SLA tick records it
    end = start + timedelta(hours=1)  # the P1's 15 minutes are over; the P2's hour is not
    async with services.sessions() as session:
        metrics = Metrics(session, team.id, services.metrics)
        figures = await metrics.escalations.get(start, end)
        assert figures is not None
        assert (figures.opened, figures.sla_judged, figures.sla_breaches) == (2, 1, 1)
        assert figures.within_sla_rate == 0
        assert await metrics.source_value("escalation_within_sla", start, end) == pytest.approx(0)
        assert await metrics.source_value("escalation_sla_breaches", start, end) == 1
