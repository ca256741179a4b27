"""Demo scene: a P1 nobody at level 1 answers climbs to level 2, is acknowledged there and resolved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.escalations import service
from bot.escalations.ids import Action, Block, View
from storage.models import Escalation
from storage.rows import existing

SUMMARY = "Card refunds failing for every customer since 09:40"


async def scene(stage: Any) -> None:
    from sandbox.slack import text_of

    h = stage.h
    priya, minji, sam = "priya@acme.example", "minji@hanabpo.example", "sam@acme.example"
    stage.title("An emergency: a P1 climbs the escalation levels until someone answers")
    stage.narrate("Priya (internal) sees refunds failing and raises a P1 for the Hana BPO team in one line.")
    await h.command(priya, "/escalate", f"P1 care-hana {SUMMARY}")
    await h.settle()
    async with h.services.sessions() as session:
        esc = await session.scalar(select(Escalation).where(Escalation.summary == SUMMARY))
    if not stage.check(esc is not None, "the escalation was raised"):
        return
    ref = esc.ref

    def card() -> Any:
        return next((m for m in h.sandbox.channel_messages(esc.channel_id) if ref in text_of(m)), None)

    def dms(email: str) -> list[Any]:
        return [m for m in h.sandbox.dms(h.user(email)) if ref in text_of(m)]

    stage.show("#care-hana (shared with Hana BPO)", f"the {ref} card", card())
    if stage.check(len(dms(minji)) == 1, "Min-ji, the vendor lead (level 1), got a DM"):
        stage.show(stage.name(minji), "a DM", dms(minji)[0])

    stage.narrate("Fifteen minutes pass and Min-ji does not answer. The escalation clock calls level 2.")
    h.clock.advance(minutes=15)
    await service.advance_due(h.services)
    thread = h.sandbox.channel_messages(esc.channel_id, thread_ts=card().ts)
    stage.screen("#care-hana", "the card, updated in place, and its thread", stage.visible(card()) + "\n  ↳ "
                 + "\n  ↳ ".join(stage.visible(m) for m in thread))
    if stage.check(len(dms(sam)) == 1, "Sam, the liaison (level 2), got a DM"):
        stage.show(stage.name(sam), "a DM", dms(sam)[0])

    stage.narrate("Sam acknowledges from the card: the escalation clock stops.")
    await h.driver.block_action(h.user(sam), Action.ACK, message=card())
    await h.settle()
    h.clock.advance(minutes=20)
    await service.advance_due(h.services)
    async with h.services.sessions() as session:
        esc = await existing(session, Escalation, esc.id)
    stage.check(esc.state == "acknowledged" and esc.level == 2, "acknowledged at level 2; no further escalation")

    stage.narrate("The refund worker is restarted; Sam resolves with a note.")
    await h.driver.block_action(h.user(sam), Action.RESOLVE, message=card())
    await h.settle()
    modal = next(v for v in h.sandbox.open_views(h.user(sam)) if v["callback_id"] == View.RESOLVE)
    await h.driver.submit_view(h.user(sam), modal, inputs={Block.NOTE: "Restarted the refund worker; "
                                                                        "47 refunds replayed."})
    await h.settle()
    stage.show("#care-hana", "the card", card())
    rating = dms(priya)
    if stage.check(len(rating) == 1, "Priya was asked to rate the handling"):
        stage.show(stage.name(priya), "a DM", rating[0])
        await h.driver.block_action(h.user(priya), f"{Action.RATE}_5", message=rating[0])
        await h.settle()
        stage.show(stage.name(priya), "the DM after clicking 5", dms(priya)[0])
    async with h.services.sessions() as session:
        found = await service.get(session, esc.id)
    assert found is not None
    esc = found
    stage.screen("OneTeam", f"the {ref} timeline", "\n".join(
        f"{s.at:%H:%M} {s.kind} (level {s.level}){' by ' + s.actor_name if s.actor_name else ''}"
        f"{' of ' + s.actor_org if s.actor_org else ''}" for s in esc.steps))
    stage.check(esc.state == "resolved" and esc.satisfaction == 5, f"{ref} resolved and rated 5/5")
