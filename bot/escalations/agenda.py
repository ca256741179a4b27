"""A team's open escalations as the weekly sync agenda lists them (read through a provider)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.metrics import OpenEscalation
from storage.models import Escalation, EscalationStep


async def open_escalations(session: AsyncSession, team_id: int, limit: int) -> Sequence[OpenEscalation]:
    """Open and acknowledged escalations, most severe first; `breached` when level 1 missed its deadline
    (the timeline shows an escalation by the clock before any acknowledgement)."""
    rows = (await session.scalars(
        select(Escalation).where(Escalation.team_id == team_id, Escalation.state != "resolved")
        .order_by(Escalation.severity, Escalation.created_at).limit(limit))).all()
    out = []
    for esc in rows:
        by_clock = await session.scalar(select(EscalationStep.id).where(
            EscalationStep.escalation_id == esc.id, EscalationStep.kind == "escalated",
            EscalationStep.actor_slack_id.is_(None)).limit(1))
        out.append(OpenEscalation(esc.ref, esc.severity, esc.summary, by_clock is not None))
    return out
