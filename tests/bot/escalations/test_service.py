"""Escalation rules that need no Slack: quick-path parsing and the metrics the digest and KPIs read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import UserFacingError
from bot.escalations.service import escalation_metrics, parse_quick
from storage.models import Escalation
from storage.org import team_by_key


@pytest.mark.parametrize(("text", "key"), [
    ("", "escalations.usage.empty"),
    ("P9 fire", "escalations.usage.bad_severity"),
    ("urgent fire", "escalations.usage.bad_severity"),
    ("P2", "escalations.usage.no_summary"),
])
def test_quick_path_mistakes_name_the_problem(text, key):
    with pytest.raises(UserFacingError) as err:
        parse_quick(text)
    assert err.value.key == key


def test_quick_path_reads_severity_case_insensitively():
    assert parse_quick("p2 Refund queue stuck") == ("P2", ["Refund", "queue", "stuck"])


async def test_metrics_count_breaches_times_reopens_and_satisfaction(services, clock):
    start = clock.now()
    async with services.sessions.begin() as session:
        team = await team_by_key(session, "care-internal")

        def esc(severity: str, minutes_to_ack: float | None, minutes_to_resolve: float | None, **kw) -> Escalation:
            created = start + timedelta(hours=1)
            return Escalation(
                team_id=team.id, state="resolved" if minutes_to_resolve else "open", severity=severity,
                category="quality", summary="s", details="", raiser_slack_id="U0PRIYA", raiser_name="Priya",
                created_at=created, level=1, rounds=0, step=1, synced_step=1, reopen_count=kw.get("reopens", 0),
                first_ack_at=created + timedelta(minutes=minutes_to_ack) if minutes_to_ack is not None else None,
                resolved_at=created + timedelta(minutes=minutes_to_resolve) if minutes_to_resolve else None,
                satisfaction=kw.get("rating"), sla_flags=kw.get("flags", 0))

        missed_ack = 3  # warned and breached, as the SLA tick records them
        session.add_all([
            esc("P1", 10, 60, rating=5),           # within the 15 min P1 target
            esc("P1", 20, 120, rating=3, reopens=1, flags=missed_ack),  # acknowledged late: a breach
            esc("P2", None, None, flags=missed_ack),  # never acknowledged, the hour is long over: a breach
        ])
    async with services.sessions() as session:
        m = await escalation_metrics(session, team.id, start, start + timedelta(days=7))
    assert (m.opened, m.resolved, m.open_now, m.sla_breaches) == (3, 2, 1, 2)
    assert m.within_sla_rate == pytest.approx(1 / 3)
    assert m.sla_ack == {"P1": (1, 2), "P2": (0, 1)} and m.sla_resolve == {"P1": (2, 2)}
    assert m.attainment("ack", "P1") == pytest.approx(0.5) and m.attainment("resolve", "P3") is None
    assert m.ack_median_hours == pytest.approx(15 / 60) and m.ack_p90_hours == pytest.approx(20 / 60)
    assert m.resolve_median_hours == pytest.approx(1.5)
    assert m.reopen_rate == pytest.approx(1 / 3) and m.satisfaction_avg == pytest.approx(4)
    async with services.sessions() as session:
        empty = await escalation_metrics(session, team.id, start - timedelta(days=7), start)
    assert empty.opened == 0 and empty.ack_median_hours is None
