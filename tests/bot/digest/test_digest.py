"""The digest's content against seeded data for one week (2026-W47 of care-hana)."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TypeVar

from fontTools.ttLib import TTFont
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import calendar
from bot.digest import chart, render
from bot.digest.model import Digest
from bot.digest.service import build_digest
from bot.i18n import Translator, translator
from bot.kpi.commands import digest_kpis
from bot.metrics import (
    CheckinMetrics,
    ConcernMetrics,
    EscalationMetrics,
    JiraMetrics,
    MetricsFn,
    MetricsProviders,
    PulseMetrics,
    SurveyMetrics,
)
from bot.services import Services
from storage.models import KpiValue, Team

WEEK, PREV = "2026-W47", "2026-W46"
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York
M = TypeVar("M")


class Statement:
    """A pulse statement the way the pulse feature publishes it (bot.pulse.questions.Question)."""

    def __init__(self, en: str, ko: str) -> None:
        self.en, self.ko = en, ko

    def text(self, t: Translator) -> str:
        return self.ko if t.locale == "ko" else self.en


WORKLOAD = ConcernMetrics("workload", Statement("My workload is manageable.", "업무량이 적당합니다."), 2.5, True)
SUPPORT = ConcernMetrics("support", Statement("I get the support I need.", "필요한 지원을 받습니다."), 4.5, False)


def checkins(answered: int = 8, mood: float = 3.6) -> CheckinMetrics:
    return CheckinMetrics(rounds=1, expected=10, answered=answered, response_rate=answered / 10,
                          median_minutes_to_answer=None, mood_average=mood, mood_distribution={}, blockers=2)


def escalations(breaches: int = 1) -> EscalationMetrics:
    return EscalationMetrics(opened=3, resolved=2, sla_judged=3, sla_breaches=breaches, ack_median_hours=0.5,
                             ack_p90_hours=1.5, resolve_median_hours=4, resolve_p90_hours=10, reopen_rate=0.0,
                             satisfaction_avg=4.5)


def survey(respondents: int | None = 6, enps: int | None = 20, change: int | None = 5,
           concerns: tuple[ConcernMetrics, ...] = (WORKLOAD, SUPPORT)) -> PulseMetrics:
    return PulseMetrics(0, [SurveyMetrics(1, date(2026, 11, 20), respondents, enps, change, concerns)], [])


def by_week(team_tz: str, data: dict[str, M]) -> MetricsFn[M]:
    """A metrics provider answering per week (by the week its period starts in)."""

    async def metrics(session: AsyncSession, team_id: int, start: datetime, end: datetime) -> M | None:
        return data.get(calendar.current_week(start, team_tz))

    return metrics


async def hana(services: Services) -> Team:
    async with services.sessions() as session:
        team = await session.scalar(select(Team).where(Team.key == "care-hana"))
    assert team is not None
    return team


async def seed_kpis(services: Services, team: Team) -> None:
    async with services.sessions.begin() as session:
        for week, value in ((PREV, 4.2), (WEEK, 4.7)):
            session.add(KpiValue(team_id=team.id, kpi_key="csat", week=week, value=value, source="manual",
                                 recorded_at=NOW))


async def build(services: Services, team: Team, providers: MetricsProviders, locale: str = "en") -> Digest:
    async with services.sessions.begin() as session:
        return await build_digest(session, team, WEEK, NOW, translator(locale), providers)


def full(tz: str, pulse: PulseMetrics | None = None) -> MetricsProviders:
    return MetricsProviders(
        kpis=digest_kpis,  # the KPI feature's, as bot/wiring.py registers it
        checkins=by_week(tz, {WEEK: checkins(), PREV: checkins(answered=7, mood=3.9)}),
        escalations=by_week(tz, {WEEK: escalations(), PREV: escalations(breaches=0)}),
        pulse=by_week(tz, {WEEK: pulse or survey()}),
        jira=by_week(tz, {WEEK: JiraMetrics(created=5, resolved=4, overdue=1)}),
    )


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
    assert "- **My workload is manageable.**: 2.5 / 5 (⚠️ needs attention)" in md and "- **Score**: 3.5 / 5" in md
    assert "- **I get the support I need.**: 4.5 / 5" in md and "workload," not in md
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
    digest = await build(services, team, MetricsProviders(kpis=digest_kpis))
    assert digest.sections == ()
    assert "Nothing was recorded" in render.markdown(digest)
    assert chart.render_png(digest) is None
    only_kpis = await build(services, team, MetricsProviders(
        kpis=digest_kpis, escalations=by_week(team.timezone, {}), jira=by_week(team.timezone, {WEEK: JiraMetrics()})))
    assert [s.key for s in only_kpis.sections] == []  # no KPI values either
    await seed_kpis(services, team)
    with_kpis = await build(services, team, MetricsProviders(kpis=digest_kpis))
    assert [s.key for s in with_kpis.sections] == ["kpis", "changes"]


async def test_pulse_below_the_anonymity_threshold_is_not_shown(services: Services) -> None:
    team = await hana(services)
    digest = await build(services, team, full(team.timezone, survey(None, None)))
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
    digest = await build(services, team, full(team.timezone), "ko")
    checkins_section = digest.section("checkins")
    assert "주간 요약" in digest.title and checkins_section is not None and checkins_section.title == "체크인 현황"
    md = render.markdown(digest)
    assert "- **업무량이 적당합니다.**: 2.5 / 5 (⚠️ 주의 필요)" in md and "workload" not in md


async def test_korean_chart_draws_every_label_in_a_hangul_font(services: Services) -> None:
    """Korean readers get Korean chart labels, and no glyph falls back to a missing-glyph box."""
    team = await hana(services)
    await seed_kpis(services, team)
    digest = await build(services, team, full(team.timezone), "ko")
    assert digest.chart_labels["title"] == "KPI와 기분 추이"
    texts = [*digest.chart_labels.values(), *(s.label for s in digest.kpi_series)]
    cmap = TTFont(chart.font_file()).getBestCmap()
    assert [ch for text in texts for ch in text if ord(ch) not in cmap and not ch.isspace()] == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for each box
        png = chart.render_png(digest)
    assert png is not None and png.startswith(b"\x89PNG")


async def test_blocker_quotes_are_escaped_in_slack(services: Services) -> None:
    """What people typed reaches the manager as text, never as a mention or a link."""
    team = await hana(services)

    async def blockers(session: AsyncSession, team_id: int, limit: int) -> list[str]:
        return ["<!channel> see <https://evil.example|the policy> & more"][:limit]

    digest = await build(services, team, replace(full(team.timezone), open_blockers=blockers))
    assert "  > \\<\\!channel\\> see \\<https://evil.example\\|the policy\\> \\& more" in render.markdown(digest)
    slack = json.dumps(render.slack(digest).blocks)
    assert "&lt;!channel&gt; see &lt;https://evil.example|the policy&gt; &amp; more" in slack
    assert "<!channel>" not in slack
