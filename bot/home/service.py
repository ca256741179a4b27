"""What a person's App Home shows, gathered from each feature, and publishing it when they open the tab
or when something changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.events import HomeChanged
from bot.home.blocks import home_view
from bot.i18n import translator
from bot.metrics import OVERSEER_ROLES, CheckinCard, EscalationCard, KpiPanel, KudosNote, SurveyCard, SyncHome
from bot.services import Services
from storage.models import Member
from storage.org import member_by_slack_id

log = logging.getLogger("oneteam.home")
HOME_KUDOS = 5  # the latest thanks a person received


@dataclass
class HomeData:
    name: str
    timezone: str
    oversees: bool  # a liaison or manager somewhere
    checkin: CheckinCard | None = None
    survey: SurveyCard | None = None
    my_escalations: list[EscalationCard] = field(default_factory=list)
    team_escalations: list[EscalationCard] = field(default_factory=list)
    kpis: list[KpiPanel] = field(default_factory=list)
    kudos: Sequence[KudosNote] = ()  # thanks received, newest first
    sync: SyncHome | None = None  # the next weekly sync and my open action items


async def home_data(services: Services, member: Member) -> HomeData:
    """What each feature shows this person, through the providers it registered (bot/wiring.py)."""
    now = services.clock.now()
    home = services.metrics
    overseen = sorted((ms.team for ms in member.memberships if OVERSEER_ROLES & set(ms.roles) and ms.team.active),
                      key=lambda t: t.key)
    data = HomeData(member.name, member.timezone or "UTC", bool(overseen))
    async with services.sessions.begin() as session:
        if home.home_checkin:
            data.checkin = await home.home_checkin(session, member)
        if home.home_escalations:
            data.my_escalations, data.team_escalations = await home.home_escalations(
                session, member, {ms.team_id for ms in member.memberships if OVERSEER_ROLES & set(ms.roles)})
        if home.home_kpis:
            panels = [await home.home_kpis(session, team, now, home) for team in overseen]
            data.kpis = [p for p in panels if p is not None]
        if home.kudos_received is not None and member.slack_user_id:
            data.kudos = await home.kudos_received(session, member.slack_user_id, HOME_KUDOS)
        if home.sync_home is not None and member.slack_user_id:
            data.sync = await home.sync_home(session, member.slack_user_id, now)
    if home.home_survey:
        data.survey = await home.home_survey(services, member)
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
    """The `HomeChanged` subscriber: queue each named person's Home for republishing."""
    refresher = HomeRefresher(services)

    async def republish(event: HomeChanged) -> None:
        if services.settings.slack_bot_token is None:  # no Slack to publish to (CLI, unit tests)
            return
        refresher.request(event.slack_user_ids)

    return republish
