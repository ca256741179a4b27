"""Demo scene: a P2's SLA clock warns the responder at 80% and, missed, tells the manager and marks the card."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.escalations import service
from storage.models import Escalation

SUMMARY = "Chat queue wait over 10 minutes"


async def scene(stage: Any) -> None:
    from sandbox.slack import text_of

    h = stage.h
    priya, minji, dana = "priya@acme.example", "minji@hanabpo.example", "dana@acme.example"
    stage.title("SLA clocks: a warning at 80%, then a breach the manager hears about")
    stage.narrate("Priya raises a P2 for Hana BPO. Its SLA: acknowledge within 1 hour, resolve within 8.")
    await h.command(priya, "/escalate", f"P2 care-hana {SUMMARY}")
    await h.settle()
    async with h.services.sessions() as session:
        esc = await session.scalar(select(Escalation).where(Escalation.summary == SUMMARY))
    if not stage.check(esc is not None, "the escalation was raised with its SLA clocks running"):
        return
    ref = esc.ref

    def sla_dms(email: str) -> list[Any]:
        return [m for m in h.sandbox.dms(h.user(email)) if ref in text_of(m) and "SLA" in text_of(m)]

    stage.narrate("48 minutes pass (80% of the hour) with nobody acknowledging.")
    h.clock.advance(minutes=48)
    await service.advance_sla(h.services)
    await h.settle()
    if stage.check(len(sla_dms(minji)) == 1, "Min-ji, the responder, was warned"):
        stage.show(stage.name(minji), "a DM", sla_dms(minji)[0])
    stage.narrate("The hour runs out.")
    h.clock.advance(minutes=12)
    await service.advance_sla(h.services)
    await h.settle()
    if stage.check(len(sla_dms(dana)) == 1, "Dana, the manager, was told of the breach"):
        stage.show(stage.name(dana), "a DM", sla_dms(dana)[0])
    card = next(m for m in h.sandbox.channel_messages(esc.channel_id) if ref in text_of(m))
    stage.check("missed" in str(card.blocks) or "초과" in str(card.blocks), "the card shows the missed target")
    stage.show("#care-hana", f"the {ref} card", card)
