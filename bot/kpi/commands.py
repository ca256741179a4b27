"""`/kpi` from its text to its answer: the one function the Slack listener calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import blocks as bk
from bot import calendar
from bot.errors import UserFacingError
from bot.events import HomeChanged
from bot.i18n import Translator
from bot.kpi import blocks
from bot.kpi.config import kpi_config
from bot.kpi.service import (
    HISTORY_WEEKS,
    check_value,
    find_kpi,
    kpi_statuses,
    kpi_teams,
    pick_team,
    record_value,
    team_kpis,
)
from bot.metrics import MetricsProviders, TeamMetrics
from bot.permissions import Action
from bot.services import Services
from storage.models import Member, Team
from storage.org import team_by_key


async def run_kpi_command(services: Services, member: Member | None, text: str, t: Translator) -> bk.Rendered:
    tokens = text.split()
    sub = tokens[0].lower() if tokens else ""
    if sub == "help":
        return blocks.usage(t)
    if sub == "set":
        return await _set(services, member, tokens[1:], t)
    if sub == "history":
        return await _history(services, member, tokens[1:], t)
    if len(tokens) > 1 or (tokens and not await _is_team(services, sub)):  # a typo, not a team key
        return blocks.usage(t, t("kpi.errors.unknown", text=text.strip()[:60]))
    return await _overview(services, member, tokens[0] if tokens else None, t)


async def _is_team(services: Services, key: str) -> bool:
    async with services.sessions() as session:
        return await team_by_key(session, key) is not None


async def _overview(services: Services, member: Member | None, team_key: str | None, t: Translator) -> bk.Rendered:
    now = services.clock.now()
    async with services.sessions.begin() as session:
        teams = [await pick_team(session, member, team_key)] if team_key else await kpi_teams(session, member)
        if not teams:
            raise UserFacingError("kpi.errors.no_teams")
        return blocks.overview(t, [await team_kpis(session, team, now, services.metrics) for team in teams])


def _team_and_week(extra: list[str]) -> tuple[str | None, str | None]:
    team_key = week = None
    for token in extra:
        if calendar.is_week(token) and week is None:
            week = calendar.normalise(token)
        elif not calendar.is_week(token) and team_key is None:
            team_key = token.lower()
        else:
            raise UserFacingError("kpi.errors.bad_argument", text=token)
    return team_key, week


async def _set(services: Services, member: Member | None, args: list[str], t: Translator) -> bk.Rendered:
    if member is None:
        raise UserFacingError("core.errors.not_in_org")
    if len(args) < 2 or len(args) > 4:
        raise UserFacingError("kpi.errors.set_usage")
    team_key, week = _team_and_week(args[2:])
    now = services.clock.now()
    async with services.sessions.begin() as session:
        team = await pick_team(session, member, team_key, Action.KPI_SET)
        spec = find_kpi(kpi_config(team.config), args[0])
        value = check_value(spec, args[1])
        rec = await record_value(session, team, spec, week or calendar.current_week(now, team.timezone), value,
                                 member, now)
    await services.events.publish(HomeChanged(list(rec.notify), kpi_team_ids=[team.id]))
    return blocks.recorded(t, rec)


async def _history(services: Services, member: Member | None, args: list[str], t: Translator) -> bk.Rendered:
    if not 1 <= len(args) <= 2:
        raise UserFacingError("kpi.errors.history_usage")
    now = services.clock.now()
    async with services.sessions.begin() as session:
        team = await pick_team(session, member, args[1].lower() if len(args) == 2 else None)
        spec = find_kpi(kpi_config(team.config), args[0])
        week_list = calendar.last_weeks(calendar.current_week(now, team.timezone), HISTORY_WEEKS)
        statuses = await kpi_statuses(session, team, week_list, now, services.metrics)
    status = next(s for s in statuses if s.spec.key == spec.key)
    return blocks.history(t, team.name, status)


async def home_kpis(session: AsyncSession, team: Team, now: datetime, providers: MetricsProviders
                    ) -> blocks.HomePanel | None:
    """App Home's KPIs of a team (registered in bot/wiring.py); None when the team defines none."""
    if not kpi_config(team.config).definitions:
        return None
    return blocks.HomePanel(await team_kpis(session, team, now, providers))


async def digest_kpis(session: AsyncSession, team: Team, week_list: Sequence[str], now: datetime,
                      metrics: TeamMetrics) -> list[blocks.DigestKpi]:
    """The digest's KPIs of a team over `week_list` (registered in bot/wiring.py), read from the digest's
    own figures (`metrics`) so that each feature's are computed once."""
    return [blocks.DigestKpi(status)
            for status in await kpi_statuses(session, team, week_list, now, metrics.providers, metrics)]
