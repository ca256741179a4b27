"""/escalate end to end: the real bot over signed HTTP against the sandbox workspace, with a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import func, select

from bot.escalations.ids import Action, Block, View
from bot.events import EscalationAcknowledged, EscalationEscalated, EscalationRaised, Event, HomeChanged
from sandbox.slack import Message, text_of
from schedules.escalations import tick
from storage.models import Escalation, EscalationStep

HANA = "C0HANA"
CARE = "C0CARE"
PRIYA, SAM, DANA = "priya@acme.example", "sam@acme.example", "dana@acme.example"
MINJI, JISOO = "minji@hanabpo.example", "jisoo@hanabpo.example"


def card(h, ref: str = "ESC-1", channel: str = HANA) -> Message:
    found = [m for m in h.sandbox.channel_messages(channel) if ref in text_of(m)]
    assert len(found) == 1, f"expected one card for {ref} in {channel}, found {len(found)}"
    return found[0]


def thread(h, ref: str = "ESC-1", channel: str = HANA) -> list[str]:
    return [text_of(m) for m in h.sandbox.channel_messages(channel, thread_ts=card(h, ref, channel).ts)]


def dms_about(h, email: str, ref: str = "ESC-1") -> list[Message]:
    return [m for m in h.sandbox.dms(h.user(email)) if ref in text_of(m)]


async def row(h, esc_id: int = 1) -> Escalation:
    async with h.services.sessions() as session:
        return await session.get(Escalation, esc_id)


async def steps(h, esc_id: int = 1) -> list[str]:
    async with h.services.sessions() as session:
        rows = await session.scalars(select(EscalationStep).where(EscalationStep.escalation_id == esc_id)
                                     .order_by(EscalationStep.seq))
        return [s.kind for s in rows]


async def count(h) -> int:
    async with h.services.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Escalation))


async def later(h, minutes: float) -> None:
    h.clock.advance(minutes=minutes)
    await tick(h.services)


async def cmd(h, email: str, text: str):
    ack = await h.command(email, "/escalate", text)
    await h.settle()
    return ack


async def click(h, user_id: str, action: str, **kwargs):
    ack = await h.driver.block_action(user_id, action, **kwargs)
    await h.settle()
    return ack


async def submit(h, user_id: str, view: dict, inputs: dict):
    ack = await h.driver.submit_view(user_id, view, inputs=inputs)
    await h.settle()
    return ack


async def raise_p1(h, email: str = PRIYA, text: str = "P1 care-hana Refund queue stuck since 9am") -> None:
    ack = await cmd(h, email, text)
    assert ack.status == 200


async def test_p1_unanswered_climbs_the_levels_at_the_right_times(harness):
    h = harness
    await raise_p1(h)
    assert (await row(h)).level == 1
    first = card(h)
    assert "P1" in text_of(first) and "Refund queue stuck" in text_of(first)
    assert len(dms_about(h, MINJI)) == 1 and not dms_about(h, SAM)
    assert any(m.ephemeral and "ESC-1" in text_of(m) for m in h.sandbox.ephemerals(h.user(PRIYA)))

    await later(h, 14)  # not yet: P1 waits 15 minutes at each level
    assert (await row(h)).level == 1 and thread(h) == []

    await later(h, 1)
    assert (await row(h)).level == 2
    assert card(h).updated and "2" in text_of(card(h))
    assert len(dms_about(h, SAM)) == 1 and not dms_about(h, DANA)
    assert len(thread(h)) == 1 and f"<@{h.user(SAM)}>" in thread(h)[0]

    await later(h, 15)
    assert (await row(h)).level == 3
    assert len(dms_about(h, DANA)) == 1 and len(thread(h)) == 2

    for _ in range(2):  # the last level is reminded `renotify_last` (2) times, then the clock stops
        await later(h, 15)
    assert len(dms_about(h, DANA)) == 3
    await later(h, 60)
    esc = await row(h)
    assert esc.next_step_at is None and len(dms_about(h, DANA)) == 3
    assert await steps(h) == ["raised", "notified", "escalated", "notified", "escalated", "notified",
                              "reminded", "notified", "reminded", "notified"]


async def test_acknowledge_stops_the_clock_and_records_the_vendor_org(harness):
    h = harness
    await raise_p1(h)
    ack = await click(h, h.user(MINJI), Action.ACK, message=card(h))
    assert ack.status == 200
    esc = await row(h)
    assert esc.state == "acknowledged" and esc.acked_by_org == "Hana BPO"
    assert "Hana BPO" in text_of(card(h)) and "Hana BPO" in thread(h)[-1]

    await later(h, 29)  # P1 would have escalated twice by now; acknowledged it does not
    assert (await row(h)).level == 1 and not dms_about(h, SAM)

    await later(h, 1)  # acknowledged but unresolved after 30 minutes: acknowledger and level reminded
    assert (await row(h)).state == "acknowledged"
    assert len(dms_about(h, MINJI)) == 2


async def test_resolve_with_a_note_then_rate_then_reopen(harness):
    h = harness
    await raise_p1(h)
    minji = h.user(MINJI)
    await click(h, minji, Action.RESOLVE, message=card(h))
    views = h.sandbox.open_views(minji)
    assert views and views[-1]["callback_id"] == View.RESOLVE

    empty = await submit(h, minji, views[-1], {Block.NOTE: "  "})
    assert empty.body["response_action"] == "errors" and (await row(h)).state == "open"

    done = await submit(h, minji, views[-1], {Block.NOTE: "Restarted the refund worker"})
    assert done.status == 200
    esc = await row(h)
    assert esc.state == "resolved" and esc.resolution_note == "Restarted the refund worker"
    assert esc.next_step_at is None
    # C0HANA is shared with Hana BPO: the note stays out of the channel, the raiser gets it by DM.
    assert not any("Restarted the refund worker" in line for line in thread(h))
    rating = [m for m in dms_about(h, PRIYA) if any(b.get("type") == "actions" for b in m.blocks)]
    assert len(rating) == 1 and "Restarted the refund worker" in text_of(rating[0])

    await click(h, h.user(PRIYA), f"{Action.RATE}_4", message=rating[0])
    assert (await row(h)).satisfaction == 4

    await later(h, 60)
    assert (await row(h)).state == "resolved"

    await click(h, h.user(PRIYA), Action.REOPEN, message=card(h))
    esc = await row(h)
    assert esc.state == "open" and esc.reopen_count == 1 and esc.next_step_at is not None
    assert (await steps(h))[-2:] == ["reopened", "notified"]
    assert len(dms_about(h, MINJI)) == 2


async def test_people_without_the_right_role_are_refused_and_nothing_changes(harness):
    h = harness
    await raise_p1(h)
    before = await steps(h)
    for email in (JISOO, PRIYA):  # a plain vendor member; the raiser from another team
        seen = len(h.sandbox.ephemerals(h.user(email)))
        await click(h, h.user(email), Action.ACK, message=card(h))
        refusals = h.sandbox.ephemerals(h.user(email))[seen:]
        assert len(refusals) == 1 and "ESC-1" in refusals[0].text, email
    await click(h, h.user(JISOO), Action.RESOLVE, message=card(h))
    assert h.sandbox.open_views(h.user(JISOO)) == []
    assert (await row(h)).state == "open" and await steps(h) == before

    # a later level (the liaison) may act before being called
    await click(h, h.user(SAM), Action.ACK, message=card(h))
    assert (await row(h)).state == "acknowledged"


async def test_unknown_external_users_are_refused(harness):
    h = harness
    await raise_p1(h)
    h.sandbox.add_user("U0STRANGER", "stranger", email="x@other.example", team_id="T0OTHER")
    await click(h, "U0STRANGER", Action.ACK, message=card(h))
    assert any("organisation" in m.text for m in h.sandbox.ephemerals("U0STRANGER"))
    ack = await h.driver.slash("U0STRANGER", "/escalate", "P2 let me in")
    await h.settle()
    assert ack.status == 200 and await count(h) == 1


async def test_quick_path_mistakes_get_the_usage_and_create_nothing(harness):
    h = harness
    bad = await cmd(h, PRIYA, "P9 everything is on fire")
    assert "P9" in bad.body["text"] and "P1" in bad.body["text"]
    bad = await cmd(h, PRIYA, "P2")
    assert "summary" in bad.body["text"]
    await cmd(h, PRIYA, "P2 team:nope Printer on fire")
    assert any("nope" in m.text for m in h.sandbox.ephemerals(h.user(PRIYA)))
    await cmd(h, SAM, "P2 Printer on fire")  # Sam is on two teams and did not say which
    assert any("team:" in m.text for m in h.sandbox.ephemerals(h.user(SAM)))
    assert await count(h) == 0


async def test_restart_with_an_overdue_timer_advances_exactly_once(harness):
    h = harness
    await raise_p1(h)
    await h.stop_bot()
    h.clock.advance(minutes=40)  # two timeouts passed while nobody was running
    await h.start_bot()
    await asyncio.gather(tick(h.services), tick(h.services))  # start-up run, and a second instance
    await tick(h.services)
    esc = await row(h)
    assert esc.level == 2
    assert len(dms_about(h, SAM)) == 1 and not dms_about(h, DANA) and len(thread(h)) == 1
    assert (await steps(h)).count("escalated") == 1
    assert esc.next_step_at == h.clock.now() + timedelta(minutes=15)


async def test_modal_raise_validates_then_posts_the_card(harness):
    h = harness
    priya = h.user(PRIYA)
    await cmd(h, PRIYA, "")
    view = h.sandbox.open_views(priya)[-1]
    assert view["callback_id"] == View.RAISE
    bad = await submit(h, priya, view, {Block.SUMMARY: " ", Block.SEVERITY: "P2",
                                                          Block.CATEGORY: "quality", Block.TEAM: "care-internal"})
    assert bad.body["response_action"] == "errors" and Block.SUMMARY in bad.body["errors"]
    assert await count(h) == 0
    ok = await submit(h, priya, view, {
        Block.SUMMARY: "Wrong tariff quoted", Block.SEVERITY: "P2", Block.CATEGORY: "communication",
        Block.TEAM: "care-internal", Block.DETAILS: "Three customers on Monday"})
    assert ok.status == 200
    c = card(h, channel=CARE)  # an internal channel: details are shown
    assert "Three customers on Monday" in text_of(c) and "Communication" in text_of(c)
    assert len(dms_about(h, PRIYA)) >= 1  # level 1 of care-internal is Priya by email; and her confirmation


async def test_list_shows_open_escalations_of_my_teams(harness):
    h = harness
    await raise_p1(h)
    await cmd(h, DANA, "P3 care-internal Slow macro library")
    await cmd(h, SAM, "list")
    listing = h.sandbox.ephemerals(h.user(SAM))[-1]
    assert "ESC-1" in text_of(listing) and "ESC-2" in text_of(listing)
    await cmd(h, MINJI, "list")
    listing = h.sandbox.ephemerals(h.user(MINJI))[-1]
    assert "ESC-1" in text_of(listing) and "ESC-2" not in text_of(listing)


async def test_events_follow_the_contract(harness):
    h = harness
    seen: list[Event] = []
    for kind in (EscalationRaised, EscalationEscalated, EscalationAcknowledged, HomeChanged):
        h.services.events.subscribe(kind, _recorder(seen))
    await raise_p1(h)
    await later(h, 15)
    await click(h, h.user(SAM), Action.ACK, message=card(h))
    assert [type(e) for e in seen] == [EscalationRaised, HomeChanged, EscalationEscalated, HomeChanged,
                                       EscalationAcknowledged, HomeChanged]
    raised = seen[0]
    assert isinstance(raised, EscalationRaised)
    assert raised.ref == "ESC-1" and raised.team_key == "care-hana" and raised.jira_wanted is True
    assert raised.channel_id == HANA and raised.message_ts == card(h).ts
    home = seen[1]
    assert isinstance(home, HomeChanged) and h.user(PRIYA) in home.slack_user_ids
    await cmd(h, DANA, "P3 care-internal Slow macro library")
    async with h.services.sessions() as session:
        assert (await session.get(Escalation, 2)).jira_wanted is False


def _recorder(seen: list[Event]) -> Callable[[Event], Awaitable[None]]:
    async def record(event: Event) -> None:
        seen.append(event)

    return record


async def test_blocker_escalate_opens_the_modal_prefilled(harness):
    from storage.models import CheckinBlocker, CheckinPrompt, CheckinRound, Member
    from storage.org import team_by_key

    h = harness
    now = h.clock.now()
    async with h.services.sessions.begin() as session:
        team = await team_by_key(session, "care-hana")
        jisoo = await session.scalar(select(Member).where(Member.email == JISOO))
        rnd = CheckinRound(team_id=team.id, week="2026-W47", day="2026-11-20", opens_at=now, closes_at=now,
                           created_at=now)
        session.add(rnd)
        await session.flush()
        prompt = CheckinPrompt(round_id=rnd.id, member_id=jisoo.id, timezone="Asia/Seoul", due_at=now)
        session.add(prompt)
        await session.flush()
        blocker = CheckinBlocker(prompt_id=prompt.id, team_id=team.id, member_id=jisoo.id,
                                 text="Waiting on refund API access", created_at=now)
        session.add(blocker)
        await session.flush()
        blocker_id = blocker.id
    sam = h.user(SAM)
    await click(h, sam, Action.BLOCKER, value=str(blocker_id), channel_id=h.sandbox.ws.dm_id(sam))
    view = h.sandbox.open_views(sam)[-1]
    summary = next(b for b in view["blocks"] if b.get("block_id") == Block.SUMMARY)["element"]
    team_el = next(b for b in view["blocks"] if b.get("block_id") == Block.TEAM)["element"]
    assert "Waiting on refund API access" in summary["initial_value"]
    assert team_el["initial_option"]["value"] == "care-hana"
    # Slack reports pre-filled inputs in the state as if typed
    await submit(h, sam, view, {Block.SUMMARY: summary["initial_value"], Block.TEAM: "care-hana",
                                Block.SEVERITY: "P2", Block.CATEGORY: "delivery_delay"})
    esc = await row(h)
    assert esc.blocker_id == blocker_id and esc.severity == "P2" and "refund API" in esc.summary


async def test_two_instances_ticking_together_advance_once(harness):
    from bot.wiring import build_services

    h = harness
    await raise_p1(h)
    other = build_services(h.settings(), clock=h.clock)  # a second bot process on the same database
    try:
        h.clock.advance(minutes=15)
        await asyncio.gather(tick(h.services), tick(other), tick(h.services), tick(other))
    finally:
        await other.db.dispose()
    assert (await row(h)).level == 2
    assert len(dms_about(h, SAM)) == 1 and len(thread(h)) == 1
    assert (await steps(h)).count("escalated") == 1


async def test_a_level_whose_dm_a_dead_process_left_sending_goes_out_before_the_next_level(harness):
    """Level 2's DM failed (Slack down), a process claimed it again and died before Slack answered; level 3
    falls due while that claim is still held: Dana is not paged before Sam's page is out."""
    from sqlalchemy import update

    from storage.models import Delivery

    h = harness
    sam, dana = h.user(SAM), h.user(DANA)
    await raise_p1(h)
    h.sandbox.inject(method="chat.postMessage", status=400, times=2)  # level 2's thread line and Sam's DM
    await later(h, 15)
    assert (await row(h)).level == 2 and not dms_about(h, SAM)
    h.clock.advance(minutes=15, seconds=-5)
    async with h.services.sessions.begin() as session:  # the dead process's claim of Sam's DM
        taken = await session.execute(update(Delivery).where(Delivery.key.like(f"esc:1:step:%:{sam}"))
                                      .values(claimed_at=h.clock.now()))
        assert taken.rowcount == 1
    await h.restart()
    await later(h, 5 / 60)  # level 3 is due; Sam's DM is still claimed by the dead process
    assert (await row(h)).level == 3
    await later(h, 0.5)  # the next tick: the dead process's claim has run out
    dms = [c.args["channel"] for c in h.sandbox.calls
           if c.method == "chat.postMessage" and c.error is None and c.args["channel"] in (sam, dana)]
    assert dms == [sam, dana]
    assert len(dms_about(h, SAM)) == 1 and len(dms_about(h, DANA)) == 1
