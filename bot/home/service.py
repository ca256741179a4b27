"""What a person's App Home shows, gathered from each feature, and publishing it when they open the tab
or when something changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.service import open_prompt
from bot.errors import UserFacingError
from bot.escalations.service import open_for
from bot.home.blocks import home_view
from bot.i18n import translator
from bot.kpi.config import kpi_config
from bot.kpi.service import KPI_ROLES, TeamKpis, team_kpis
from bot.metrics import KudosNote, SyncHome
from bot.pulse.service import ballot
from bot.services import Services
from storage.models import Member
from storage.org import member_by_slack_id

log = logging.getLogger("oneteam.home")
HOME_KUDOS = 5  # the latest thanks a person received


@dataclass(frozen=True)
class CheckinCard:
    team_name: str
    week: str
    round_id: int
    closes_at: datetime
    answered: bool


@dataclass(frozen=True)
class SurveyCard:
    survey_id: int
    team_name: str
    closes_at: datetime


@dataclass(frozen=True)
class EscalationCard:
    ref: str
    severity: str
    summary: str
    state: str
    team_name: str


@dataclass
class HomeData:
    name: str
    timezone: str
    oversees: bool  # a liaison or manager somewhere
    checkin: CheckinCard | None = None
    survey: SurveyCard | None = None
    my_escalations: list[EscalationCard] = field(default_factory=list)
    team_escalations: list[EscalationCard] = field(default_factory=list)
    kpis: list[TeamKpis] = field(default_factory=list)
    kudos: Sequence[KudosNote] = ()  # thanks received, newest first
    sync: SyncHome | None = None  # the next weekly sync and my open action items


async def _open_checkin(session: AsyncSession, member: Member) -> CheckinCard | None:
    try:
        prompt, rnd, team = await open_prompt(session, member, None)
    except UserFacingError:
        return None
    return CheckinCard(team.name, rnd.week, rnd.id, rnd.closes_at, prompt.state == "answered")


async def _open_survey(services: Services, member: Member) -> SurveyCard | None:
    try:
        b = await ballot(services, member.slack_user_id or "")
    except UserFacingError:
        return None
    return SurveyCard(b.survey_id, b.team_name, b.closes_at)


async def _escalations(session: AsyncSession, member: Member) -> tuple[list[EscalationCard], list[EscalationCard]]:
    """(raised by the member, open in the teams they oversee)."""
    overseen = {ms.team_id for ms in member.memberships if KPI_ROLES & set(ms.roles)}
    mine, teams = [], []
    for esc, team in await open_for(session, member):
        card = EscalationCard(esc.ref, esc.severity, esc.summary, esc.state, team.name)
        if esc.raiser_slack_id == member.slack_user_id:
            mine.append(card)
        if team.id in overseen:
            teams.append(card)
    return mine, teams


async def home_data(services: Services, member: Member) -> HomeData:
    now = services.clock.now()
    overseen = sorted((ms.team for ms in member.memberships if KPI_ROLES & set(ms.roles) and ms.team.active),
                      key=lambda t: t.key)
    data = HomeData(member.name, member.timezone or "UTC", bool(overseen))
    async with services.sessions.begin() as session:
        data.checkin = await _open_checkin(session, member)
        data.my_escalations, data.team_escalations = await _escalations(session, member)
        data.kpis = [await team_kpis(session, team, now, services.metrics) for team in overseen
                     if kpi_config(team.config).definitions]
        if services.metrics.kudos_received is not None and member.slack_user_id:
            data.kudos = await services.metrics.kudos_received(session, member.slack_user_id, HOME_KUDOS)
        if services.metrics.sync_home is not None and member.slack_user_id:
            data.sync = await services.metrics.sync_home(session, member.slack_user_id, now)
    data.survey = await _open_survey(services, member)
    return data


async def publish_home(services: Services, slack_user_id: str) -> bool:
    """Publishes the person's Home tab; False when they are not in the org (nothing to show)."""
    async with services.sessions() as session:
        member = await member_by_slack_id(session, slack_user_id)
    if member is None:
        return False
    t = translator(member.locale, member.memberships[0].team.locale if member.memberships else None)
    view = home_view(t, await home_data(services, member))
    await services.slack.views_publish(user_id=slack_user_id, view=view)
    return True


class HomeRefresher:
    """Republishes Home tabs in the background, one at a time, each person once however often they were
    named meanwhile: a fan-out to thousands must not wait for `views.publish`'s rate limit."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.pending: dict[str, None] = {}  # insertion-ordered set
        self._worker: asyncio.Task | None = None

    def request(self, user_ids: Any) -> None:
        self.pending.update(dict.fromkeys(user_ids))
        if self.pending and (self._worker is None or self._worker.done()):
            self._worker = self.services.spawn(self._drain(), "home-refresh")

    async def _drain(self) -> None:
        while self.pending:
            await self.services.acks.quiet()  # Home tabs can wait; people waiting for an ack cannot
            user_id = next(iter(self.pending))
            del self.pending[user_id]
            try:
                await publish_home(self.services, user_id)
            except Exception:
                log.exception("home publish failed", extra={"user_id": user_id})


def on_home_changed(services: Services) -> Any:
    """The `home.changed` subscriber: queue each named person's Home for republishing."""
    refresher = HomeRefresher(services)

    async def republish(payload: dict[str, Any]) -> None:
        if services.settings.slack_bot_token is None:  # no Slack to publish to (CLI, unit tests)
            return
        refresher.request(payload.get("slack_user_ids") or ())

    return republish
