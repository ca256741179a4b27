"""Who resolved an escalation, for the "Thank" button on its card (kudos read it through a provider)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.metrics import Resolvers
from storage.models import Escalation, EscalationStep


async def escalation_resolvers(session: AsyncSession, esc_id: int) -> Resolvers | None:
    """The people who resolved and acknowledged a resolved escalation, from its own record and timeline."""
    esc = await session.get(Escalation, esc_id)
    if esc is None or esc.state != "resolved":
        return None
    resolved_by = await session.scalar(
        select(EscalationStep.actor_slack_id).where(EscalationStep.escalation_id == esc_id,
                                                    EscalationStep.kind == "resolved")
        .order_by(EscalationStep.seq.desc()).limit(1))
    people = tuple(dict.fromkeys(p for p in (resolved_by, esc.acked_by_slack_id) if p))
    return Resolvers(esc.team_id, esc.ref, people)
