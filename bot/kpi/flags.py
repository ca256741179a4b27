"""KPIs off track, or back on target since last week, for the weekly sync agenda (read through a provider)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kpi.config import kpi_config
from bot.kpi.service import team_kpis
from bot.metrics import KpiFlag, MetricsProviders
from storage.models import Team


async def kpi_flags(session: AsyncSession, team_id: int, now: datetime,
                    providers: MetricsProviders) -> Sequence[KpiFlag]:
    team = await session.get(Team, team_id)
    if team is None or not kpi_config(team.config).definitions:
        return []
    table = await team_kpis(session, team, now, providers, count=2)
    flags = []
    for status in table.kpis:
        latest = status.latest
        if latest is None:
            continue
        on_track = status.spec.on_track(latest.value)
        earlier = [p for p in status.points if p.week != latest.week]
        was_off = bool(earlier) and not status.spec.on_track(earlier[-1].value)
        if not on_track or was_off:
            flags.append(KpiFlag(status.spec.name, latest.value, status.spec.unit, on_track, on_track and was_off))
    return flags
