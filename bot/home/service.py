"""What a person's App Home shows, gathered from each feature, and publishing it when they open the tab
or when something changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.events import HomeChanged
from bot.home.blocks import home_view
from bot.i18n import translator
from bot.metrics import OVERSEER_ROLES, CheckinCard, EscalationCard, KpiPanel, KudosNote, SurveyCard, SyncHome
from bot.pacing import Pacer
from bot.services import Services
from storage.models import Member, Team
from storage.org import member_by_slack_id

log = logging.getLogger("oneteam.home")
HOME_KUDOS = 5  # the latest thanks a person received
KPI_PANEL_TTL = timedelta(minutes=1)
PUBLISHES_PER_MINUTE = 60  # of views.publish's 100 (Tier 4): the rest is for Homes opened meanwhile
PUBLISH_BURST = 20
KPI_PANELS_KEY, REFRESHER_KEY = "home.kpi_panels", "home.refresher"


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
            panels = kpi_panels(services)
            data.kpis = [p for p in [await panels.get(session, team, now) for team in overseen] if p is not None]
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


class KpiPanels:
    """Each team's KPI panel, computed once for every viewer of that team and kept for `KPI_PANEL_TTL`: a
    Home publish must not recompute a team's KPIs for each event (an answer, an escalation step). A KPI
    value set by hand is seen at once (`HomeChanged.kpi_team_ids` drops the team's panel); figures computed
    from other features' data follow within the expiry."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.panels: dict[int, tuple[datetime, KpiPanel | None]] = {}

    async def get(self, session: AsyncSession, team: Team, now: datetime) -> KpiPanel | None:
        cached = self.panels.get(team.id)
        if cached is not None and now - cached[0] < KPI_PANEL_TTL:
            return cached[1]
        compute = self.services.metrics.home_kpis
        panel = await compute(session, team, now, self.services.metrics) if compute else None
        self.panels[team.id] = (now, panel)
        return panel

    def forget(self, team_ids: Iterable[int]) -> None:
        for team_id in team_ids:
            self.panels.pop(team_id, None)


def kpi_panels(services: Services) -> KpiPanels:
    """The process's one `KpiPanels` (kept with the services)."""
    found = services.extras.get(KPI_PANELS_KEY)
    if not isinstance(found, KpiPanels):
        found = services.extras[KPI_PANELS_KEY] = KpiPanels(services)
    return found


class HomeRefresher:
    """Republishes Home tabs in the background, one at a time, each person once however often they were
    named meanwhile (the latest state: it is read when their turn comes), behind the acks people wait for
    and below `views.publish`'s limit (Tier 4, 100 a minute), leaving room for the Homes people open: a
    fan-out to thousands must not wait for the rate limit, nor push a Home being opened into a 429."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.pending: dict[str, None] = {}  # insertion-ordered set
        self.pacer = Pacer(PUBLISHES_PER_MINUTE * services.settings.slack_rate_scale, PUBLISH_BURST)
        self._worker: asyncio.Task | None = None

    def request(self, user_ids: Iterable[str | None]) -> None:
        self.pending.update(dict.fromkeys(u for u in user_ids if u))
        if self.pending and (self._worker is None or self._worker.done()):
            self._worker = self.services.spawn(self._drain(), "home-refresh")

    def published(self, user_id: str) -> None:
        """The person's Home was just published (they opened it): a pending refresh would repeat it."""
        self.pending.pop(user_id, None)

    async def _drain(self) -> None:
        while self.pending:
            await self.services.acks.quiet()  # Home tabs can wait; people waiting for an ack cannot
            await self.pacer.wait()
            if not self.pending:
                break
            user_id = next(iter(self.pending))
            del self.pending[user_id]
            try:
                await publish_home(self.services, user_id)
            except Exception:
                log.exception("home publish failed", extra={"user_id": user_id})


def home_refresher(services: Services) -> HomeRefresher:
    """The process's one `HomeRefresher` (kept with the services)."""
    found = services.extras.get(REFRESHER_KEY)
    if not isinstance(found, HomeRefresher):
        found = services.extras[REFRESHER_KEY] = HomeRefresher(services)
    return found


async def home_opened(services: Services, slack_user_id: str) -> None:
    """`app_home_opened`: the person is looking, so their Home goes out at once, not after the queue."""
    home_refresher(services).published(slack_user_id)
    await publish_home(services, slack_user_id)


def on_home_changed(services: Services) -> Any:
    """The `HomeChanged` subscriber: queue each named person's Home for republishing."""

    async def republish(event: HomeChanged) -> None:
        kpi_panels(services).forget(event.kpi_team_ids)
        if services.settings.slack_bot_token is None:  # no Slack to publish to (CLI, unit tests)
            return
        home_refresher(services).request(event.slack_user_ids)

    return republish
