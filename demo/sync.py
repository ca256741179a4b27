"""Demo scene: one weekly sync from the draft agenda to the minutes, with thanks across the line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.calendar import Calendar
from bot.sync import service
from bot.sync.config import sync_config
from bot.sync.ids import Action, Block, due_block, owner_block, what_block
from sandbox.slack import text_of
from storage.org import team_by_key

TEAM, SAM, MINJI = "care-hana", "sam@acme.example", "minji@hanabpo.example"


async def scene(stage: Any) -> None:
    h = stage.h
    async with h.services.sessions() as session:
        team = await team_by_key(session, TEAM)
    cfg = sync_config(team.config) if team is not None else None
    if not stage.check(team is not None and cfg is not None, "Hana BPO's team has a weekly sync in the org file"):
        return
    assert team is not None and cfg is not None
    starts = cfg.current_start(h.clock.now(), Calendar(team.timezone))
    channel = cfg.channel or team.channel_id or ""

    def agenda() -> Any:
        return next((m for m in h.sandbox.channel_messages(channel) if Action.ADD_ITEM in str(m.blocks)), None)

    stage.title("Recognition: thanks across the line")
    stage.narrate("Sam (internal) thanks Min-ji (Hana BPO) in the shared channel; it is posted in the team's "
                  "language, Korean.")
    await h.command(SAM, "/kudos", f"<@{h.user(MINJI)}> for covering the weekend queue", channel_id=channel)
    await h.settle()
    thanks = [m for m in h.sandbox.channel_messages(channel) if "weekend queue" in text_of(m)]
    if stage.check(len(thanks) == 1, "the thanks were posted once in the team channel"):
        stage.show("#care-hana", "the thanks", thanks[0])

    stage.title("The weekly sync: the draft agenda assembles itself")
    h.clock.set(max(h.clock.now(), starts - cfg.lead))
    stage.narrate(f"{cfg.agenda_before} before the meeting, OneTeam posts the draft agenda in the shared channel.")
    await service.run_due(h.services)
    await service.run_due(h.services)  # again: nothing is posted twice
    await h.settle()
    posted = agenda()
    if not stage.check(posted is not None, "the draft agenda was posted once, on time"):
        return
    stage.show("#care-hana", "the draft agenda", posted)

    stage.narrate("Min-ji (vendor) and Sam (internal) each add an item; Sam, the facilitator, moves his first.")
    for email, topic, side in ((MINJI, "Weekend staffing for December", "vendor"),
                               (SAM, "New refund policy from 1 Dec", "internal")):
        user = h.user(email)
        await h.driver.block_action(user, Action.ADD_ITEM, message=agenda())
        await h.settle()
        await h.driver.submit_view(user, h.sandbox.open_views(user)[-1], inputs={Block.TOPIC: topic,
                                                                                  Block.SIDE: side})
        await h.settle()
    second = next(b["block_id"] for b in reversed(agenda().blocks) if str(b.get("block_id", "")).startswith(
        "sync_item_"))
    await h.driver.block_action(h.user(SAM), Action.ITEM_MENU, message=agenda(), block_id=second,
                                selected_option=f"up:{second.removeprefix('sync_item_')}")
    await h.settle()
    shown = text_of(agenda())
    stage.show("#care-hana", "the agenda, updated in place", agenda())
    stage.check(shown.index("New refund policy") < shown.index("Weekend staffing"),
                "both sides added items and the facilitator reordered them")

    stage.title("After the meeting: minutes and action items")
    h.clock.set(starts + cfg.length)
    await service.run_due(h.services)
    await h.settle()
    ask = [m for m in h.sandbox.dms(h.user(SAM)) if Action.MINUTES in str(m.blocks)]
    if not stage.check(len(ask) == 1, "the facilitator was asked for the minutes by DM"):
        return
    stage.show(stage.name(SAM), "a DM", ask[0])
    await h.driver.block_action(h.user(SAM), Action.MINUTES, message=ask[0])
    await h.settle()
    due = Calendar(team.timezone).local_date(starts + timedelta(days=1))
    await h.driver.submit_view(h.user(SAM), h.sandbox.open_views(h.user(SAM))[-1], inputs={
        Block.DECISIONS: "Refund policy goes live on 1 Dec; Hana BPO staffs two extra agents on weekends.",
        what_block(1): "Send the December weekend roster", owner_block(1): h.user(MINJI), due_block(1): due})
    await h.settle()
    thread = h.sandbox.channel_messages(channel, thread_ts=agenda().ts)
    if stage.check(len(thread) == 1, "the minutes were posted in the agenda's thread"):
        stage.show("#care-hana", "the agenda's thread", thread[0])
    owner = [m for m in h.sandbox.dms(h.user(MINJI)) if "December weekend roster" in text_of(m)]
    if stage.check(len(owner) == 1, "the owner got a DM in her language"):
        stage.show(stage.name(MINJI), "a DM", owner[0])
