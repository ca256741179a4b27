"""The digest's content against seeded data for one week (2026-W47 of care-hana)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.digest import chart, render
from bot.digest.service import build_digest
from bot.i18n import translator
from bot.kpi import weeks
from bot.services import Services
from storage.models import KpiValue, Team

WEEK, PREV = "2026-W47", "2026-W46"
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York


@dataclass(frozen=True)
class Checkins:
    rounds: int = 1
    expected: int = 10
    answered: int = 8
    response_rate: float | None = 0.8
    mood_average: float | None = 3.6
    blockers: int = 2


@dataclass(frozen=True)
class Escalations:
    opened: int = 3
    resolved: int = 2
    sla_breaches: int = 1
    median_ack_minutes: float | None = 30
    p90_ack_minutes: float | None = 90
    median_resolve_minutes: float | None = 240
    p90_resolve_minutes: float | None = 600
    reopen_rate: float | None = 0.0
    satisfaction_avg: float | None = 4.5


@dataclass(frozen=True)
class Concern:
    question_id: str
    average: float
    flagged: bool = False


@dataclass(frozen=True)
class Survey:
    respondents: int | None
    enps: int | None
    enps_change: int | None = None
    concerns: list[Concern] = field(default_factory=list)


@dataclass(frozen=True)
class Pulse:
    surveys: list[Survey]


@dataclass(frozen=True)
class Jira:
    created: int | None = 5
    resolved: int | None = 4
    overdue: int | None = 1


def by_week(team_tz: str, data: dict[str, Any]) -> Any:
    """A metrics function answering per week (by the week its period starts in)."""

    async def metrics(session: Any, team_id: int, start: datetime, end: datetime) -> Any:
        return data.get(weeks.current_week(start, team_tz))

    return metrics


async def hana(services: Services) -> Team:
    async with services.sessions() as session:
        return await session.scalar(select(Team).where(Team.key == "care-hana"))


async def seed_kpis(services: Services, team: Team) -> None:
    async with services.sessions.begin() as session:
        for week, value in ((PREV, 4.2), (WEEK, 4.7)):
            session.add(KpiValue(team_id=team.id, kpi_key="csat", week=week, value=value, source="manual",
                                 recorded_at=NOW))


async def build(services: Services, team: Team, functions: dict[str, Any]) -> Any:
    async with services.sessions.begin() as session:
        return await build_digest(session, team, WEEK, NOW, translator("en"), functions)


def full(tz: str, pulse: Pulse | None = None) -> dict[str, Any]:
    return {
        "checkins": by_week(tz, {WEEK: Checkins(), PREV: Checkins(answered=7, response_rate=0.7, mood_average=3.9)}),
        "escalations": by_week(tz, {WEEK: Escalations(), PREV: Escalations(sla_breaches=0)}),
        "pulse": by_week(tz, {WEEK: pulse or Pulse([Survey(6, 20, 5, [Concern("workload", 2.5, True),
                                                                      Concern("support", 4.5)])])}),
        "jira": by_week(tz, {WEEK: Jira()}),
    }


async def test_every_section_with_its_numbers(services: Services) -> None:
    team = await hana(services)
    await seed_kpis(services, team)
    digest = await build(services, team, full(team.timezone))
    md = render.markdown(digest)
    assert [s.key for s in digest.sections] == ["checkins", "escalations", "kpis", "pulse", "jira", "changes"]
    assert "- **Response rate**: 8 of 10 answered (80%) (+10 pts vs last week)" in md
    assert "- **Mood**: 3.6 / 5 (-0.3 vs last week)" in md
    assert "- **Opened**: 3" in md and "- **SLA breaches**: 1" in md
    assert "- **Time to acknowledge**: median 0.5 h, p90 1.5 h" in md
    assert "- **Time to resolve**: median 4 h, p90 10 h" in md
    assert "- **Customer satisfaction**: 4.7/5 (target ≥ 4.5/5) ✅ on track (last week 4.2/5)" in md
    assert "- **Check-in response rate**: 80% (target ≥ 90%) ⚠️ off track" in md  # computed from check-ins
    assert "- **Responses**: 6" in md and "- **eNPS**: +20 (+5 vs last week)" in md
    assert "- **Flagged questions**: workload" in md and "- **Score**: 3.5 / 5" in md
    assert "- **Created**: 5" in md and "- **Overdue**: 1" in md
    changes = digest.section("changes")
    assert changes is not None
    labels = {i.label: i.value for i in changes.items}
    assert labels["Customer satisfaction"] == "✅ on track"  # was off track at 4.2
    assert labels["SLA breaches"] == "1"
    slack = render.slack(digest)
    assert len(slack.blocks) <= 50 and "Weekly digest: Customer Service, Hana BPO Seoul, 2026-W47" in slack.text


async def test_computed_kpi_snapshot_is_stored_for_a_finished_week(services: Services) -> None:
    team = await hana(services)
    await build(services, team, full(team.timezone))
    async with services.sessions() as session:
        rows = (await session.scalars(select(KpiValue).where(KpiValue.kpi_key == "checkin_rate"))).all()
    assert sorted((r.week, r.value, r.source) for r in rows) == [(PREV, 70.0, "computed"), (WEEK, 80.0, "computed")]


async def test_sections_without_data_are_hidden(services: Services) -> None:
    team = await hana(services)
    digest = await build(services, team, {"checkins": None, "escalations": None, "pulse": None, "jira": None})
    assert digest.sections == ()
    assert "Nothing was recorded" in render.markdown(digest)
    assert chart.render_png(digest) is None
    only_kpis = await build(services, team, {"checkins": None, "escalations": by_week(team.timezone, {}),
                                             "pulse": None, "jira": by_week(team.timezone, {WEEK: Jira(None, None,
                                                                                                      None)})})
    assert [s.key for s in only_kpis.sections] == []  # no KPI values either
    await seed_kpis(services, team)
    with_kpis = await build(services, team, {"checkins": None, "escalations": None, "pulse": None, "jira": None})
    assert [s.key for s in with_kpis.sections] == ["kpis", "changes"]


async def test_pulse_below_the_anonymity_threshold_is_not_shown(services: Services) -> None:
    team = await hana(services)
    digest = await build(services, team, full(team.timezone, Pulse([Survey(None, None)])))
    assert digest.section("pulse") is None
    assert "eNPS" not in render.markdown(digest)


async def test_chart_is_a_png_of_kpis_and_mood(services: Services) -> None:
    team = await hana(services)
    await seed_kpis(services, team)
    digest = await build(services, team, full(team.timezone))
    assert digest.mood is not None and digest.mood.points[-1] == (WEEK, 3.6)
    png = chart.render_png(digest)
    assert png is not None and png.startswith(b"\x89PNG") and len(png) > 5000


async def test_korean_digest(services: Services) -> None:
    team = await hana(services)
    await seed_kpis(services, team)
    async with services.sessions.begin() as session:
        digest = await build_digest(session, team, WEEK, NOW, translator("ko"), full(team.timezone))
    assert "주간 요약" in digest.title and digest.section("checkins").title == "체크인 현황"
