"""KPI rules and storage: who may see and record KPIs, weekly values, computed snapshots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import calendar
from bot.errors import UserFacingError
from bot.kpi.config import KpiConfig, KpiSpec, kpi_config
from bot.kpi.sources import SOURCES, Metrics
from bot.metrics import OVERSEER_ROLES, MetricsProviders, TeamMetrics
from bot.permissions import Action, Subject, allowed, authorize
from storage.models import KpiValue, Member, Membership, Team
from storage.org import team_by_key
from storage.upsert import upsert

KPI_VALUE_KEY = ("team_id", "kpi_key", "week")  # one value per team, KPI and ISO week

KPI_ROLES = OVERSEER_ROLES  # liaisons and managers
SET_WEEKS_BACK = 52  # `/kpi set` corrects the past year, not decades back (a typo such as 1999-W01)
TABLE_WEEKS = 4
HISTORY_WEEKS = 12


@dataclass(frozen=True)
class KpiPoint:
    week: str
    value: float
    source: str


@dataclass(frozen=True)
class KpiStatus:
    """One KPI over some weeks: values present, oldest first."""

    spec: KpiSpec
    points: tuple[KpiPoint, ...]

    @property
    def latest(self) -> KpiPoint | None:
        return self.points[-1] if self.points else None

    @property
    def on_track(self) -> bool | None:
        return None if self.latest is None else self.spec.on_track(self.latest.value)

    def value_in(self, week: str) -> float | None:
        return next((p.value for p in self.points if p.week == week), None)


@dataclass(frozen=True)
class TeamKpis:
    team_key: str
    team_name: str
    week: str
    weeks: tuple[str, ...]
    kpis: tuple[KpiStatus, ...]


@dataclass(frozen=True)
class Recorded:
    team_name: str
    spec: KpiSpec
    week: str
    value: float
    replaced: float | None
    status_now: bool
    notify: tuple[str, ...]  # Slack ids whose App Home shows this KPI


# --- who may do what ---------------------------------------------------------------------------------------
async def kpi_teams(session: AsyncSession, member: Member | None, action: Action = Action.KPI_VIEW) -> list[Team]:
    """The caller's teams that define KPIs and where the permission table allows `action`."""
    if member is None:
        raise UserFacingError("core.errors.not_in_org")
    rows = await session.scalars(
        select(Membership).where(Membership.member_id == member.id).options(selectinload(Membership.team)))
    return sorted((ms.team for ms in rows if ms.team.active and kpi_config(ms.team.config).definitions
                   and allowed(member, action, Subject(team_id=ms.team_id))), key=lambda t: t.key)


async def pick_team(session: AsyncSession, member: Member | None, team_key: str | None,
                    action: Action = Action.KPI_VIEW) -> Team:
    """The team a command is about: the one named, else the caller's only KPI team; refuses others."""
    if team_key is not None:
        if member is None:
            raise UserFacingError("core.errors.not_in_org")
        team = await team_by_key(session, team_key)
        if team is None or not team.active or not kpi_config(team.config).definitions:
            raise UserFacingError("kpi.errors.not_allowed", team=team_key)
        authorize(member, action, Subject(team_id=team.id), team=team_key)
        return team
    mine = await kpi_teams(session, member, action)
    if not mine:
        raise UserFacingError("kpi.errors.no_teams")
    if len(mine) > 1:
        raise UserFacingError("kpi.errors.which_team", teams=", ".join(t.key for t in mine))
    return mine[0]


def find_kpi(config: KpiConfig, name: str) -> KpiSpec:
    spec = config.find(name)
    if spec is None:
        raise UserFacingError("kpi.errors.unknown_kpi", kpi=name,
                              valid=", ".join(d.key for d in config.definitions))
    return spec


# --- values ---------------------------------------------------------------------------------------------
async def kpi_statuses(session: AsyncSession, team: Team, week_list: Sequence[str], now: datetime,
                       providers: MetricsProviders, metrics: TeamMetrics | None = None) -> tuple[KpiStatus, ...]:
    """Each KPI's values over `week_list`. Computed KPIs missing a week are computed from the other
    features' data (`providers`, or an existing `metrics` cache); a finished week's value is stored as a
    snapshot, the running week's is not."""
    config = kpi_config(team.config)
    if not config.definitions:
        return ()
    rows = (await session.scalars(select(KpiValue).where(
        KpiValue.team_id == team.id, KpiValue.week.in_(list(week_list))))).all()
    stored = {(r.kpi_key, r.week): r for r in rows}
    metrics = metrics or Metrics(session, team.id, providers)
    out = []
    for spec in config.definitions:
        points = []
        for week in week_list:
            row = stored.get((spec.key, week))
            if row is not None:
                points.append(KpiPoint(week, row.value, row.source))
                continue
            if spec.manual:
                continue
            start, end = calendar.bounds(week, team.timezone)
            value = await SOURCES[spec.source](metrics, start, min(end, now))
            if value is None or math.isnan(value):
                continue
            if end <= now:
                await upsert(session, KpiValue, {"team_id": team.id, "kpi_key": spec.key, "week": week,
                                                 "value": value, "source": "computed", "recorded_at": now},
                             keys=KPI_VALUE_KEY)
            points.append(KpiPoint(week, value, "computed"))
        out.append(KpiStatus(spec, tuple(points)))
    return tuple(out)


async def team_kpis(session: AsyncSession, team: Team, now: datetime, providers: MetricsProviders,
                    count: int = TABLE_WEEKS) -> TeamKpis:
    week = calendar.current_week(now, team.timezone)
    week_list = calendar.last_weeks(week, count)
    return TeamKpis(team.key, team.name, week, tuple(week_list),
                    await kpi_statuses(session, team, week_list, now, providers))


def check_value(spec: KpiSpec, raw: str) -> float:
    """A number within the KPI's range; `92%`, `1,200` and `4.5` are accepted."""
    text = raw.strip().removesuffix("%").replace(",", "")
    try:
        value = float(text)
    except ValueError:
        raise UserFacingError("kpi.errors.not_a_number", value=raw) from None
    if not math.isfinite(value):
        raise UserFacingError("kpi.errors.not_a_number", value=raw)
    upper = spec.upper
    if value < spec.min or (upper is not None and value > upper):
        high = "∞" if upper is None else f"{upper:g}"
        raise UserFacingError("kpi.errors.out_of_range", value=raw, kpi=spec.key, low=f"{spec.min:g}", high=high)
    return value


async def record_value(session: AsyncSession, team: Team, spec: KpiSpec, week: str, value: float,
                       member: Member, now: datetime) -> Recorded:
    """Records a manual value for a week; replacing an earlier value is allowed and reported."""
    if not spec.manual:
        raise UserFacingError("kpi.errors.computed", kpi=spec.key)
    current = calendar.current_week(now, team.timezone)
    if calendar.monday(week) > calendar.monday(current):
        raise UserFacingError("kpi.errors.future_week", week=week)
    oldest = calendar.shift(current, -(SET_WEEKS_BACK - 1))
    if calendar.monday(week) < calendar.monday(oldest):
        raise UserFacingError("kpi.errors.too_old", week=week, oldest=oldest, weeks=SET_WEEKS_BACK)
    row = await session.scalar(select(KpiValue).where(
        KpiValue.team_id == team.id, KpiValue.kpi_key == spec.key, KpiValue.week == week))
    replaced = row.value if row is not None else None
    await upsert(session, KpiValue, {"team_id": team.id, "kpi_key": spec.key, "week": week, "value": value,
                                     "source": "manual", "recorded_by": member.id, "recorded_at": now},
                 keys=KPI_VALUE_KEY, update=("value", "source", "recorded_by", "recorded_at"))
    return Recorded(team.name, spec, week, value, replaced, spec.on_track(value), await kpi_viewers(session, team.id))


async def kpi_viewers(session: AsyncSession, team_id: int) -> tuple[str, ...]:
    """Slack ids of the people whose App Home shows this team's KPIs."""
    rows = await session.execute(
        select(Member.slack_user_id, Membership.roles).join(Membership, Membership.member_id == Member.id)
        .where(Membership.team_id == team_id, Member.slack_user_id.is_not(None), Member.active.is_(True)))
    return tuple(sorted(uid for uid, roles in rows.all() if uid is not None and KPI_ROLES & set(roles)))
