"""The weekly sync end to end on the fake clock: the draft agenda on time (once), both sides add items, the
facilitator edits, only above-threshold pulse figures, minutes with action items (owner DM, one Jira
ticket, one reminder in working hours, carried into the next agenda), hostile text kept inert."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.digest.service import digest_for
from bot.jira import outbox
from bot.kpi.sources import Metrics
from bot.metrics import ConcernMetrics, PulseMetrics, SurveyMetrics
from bot.sync.ids import Action, Block, due_block, owner_block, what_block
from sandbox.harness import Harness
from sandbox.slack import Message, text_of
from schedules.sync import tick
from storage.models import SyncActionItem

HANA = "C0HANA"
SAM, JISOO, MINJI = "sam@acme.example", "jisoo@hanabpo.example", "minji@hanabpo.example"
# Thursday 26 Nov 10:00 in Seoul is 01:00 UTC: the draft agenda is due 24 h before.
MEETING = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
AGENDA_AT = MEETING - timedelta(hours=24)
HOSTILE = "<!channel> <!here> <@U0X> <https://evil.example|click> & *b*"
LIVE = ("<!channel", "<!here", "<@U0X", "<https://evil")


def agendas(h: Harness) -> list[Message]:
    return [m for m in h.sandbox.channel_messages(HANA) if "주간 싱크 안건" in text_of(m)]


def agenda(h: Harness) -> Message:
    found = agendas(h)
    assert len(found) == 1, f"expected one agenda, found {len(found)}"
    return found[0]


async def at(h: Harness, when: datetime) -> None:
    h.clock.set(when)
    await tick(h.services)
    await h.settle()


async def add(h: Harness, email: str, topic: str, side: str = "vendor"):
    user = h.user(email)
    await h.driver.block_action(user, Action.ADD_ITEM, message=agenda(h))
    await h.settle()
    view = h.sandbox.open_views(user)[-1]
    ack = await h.driver.submit_view(user, view, inputs={Block.TOPIC: topic, Block.SIDE: side})
    await h.settle()
    return ack


async def menu(h: Harness, email: str, choice: str):
    ack = await h.driver.block_action(h.user(email), Action.ITEM_MENU, message=agenda(h),
                                      block_id=f"sync_item_{choice.split(':')[1]}", selected_option=choice)
    await h.settle()
    return ack


async def test_the_draft_agenda_is_posted_on_time_once_in_the_teams_language(harness: Harness) -> None:
    h = harness
    await h.command(SAM, "/kudos", f"<@{h.user(MINJI)}> for covering the night shift", channel_id=HANA)
    await h.command(SAM, "/escalate", "P2 care-hana Refund queue slow")
    await h.settle()
    await at(h, AGENDA_AT - timedelta(minutes=1))
    assert agendas(h) == []
    await at(h, AGENDA_AT)
    await at(h, AGENDA_AT + timedelta(minutes=1))
    shown = text_of(agenda(h))
    assert "Refund queue slow" in shown  # open escalations
    assert "for covering the night shift" in shown and "벤더 팀에게 1건" in shown  # kudos across the line: a win
    assert "추가된 안건" in shown  # items people add


async def test_only_pulse_figures_above_the_threshold_reach_the_agenda(harness: Harness) -> None:
    h = harness

    class Said:
        def __init__(self, text: str) -> None:
            self.said = text

        def text(self, t: object) -> str:
            return self.said

    async def pulse(session: AsyncSession, team_id: int, start: datetime, end: datetime) -> PulseMetrics:
        shown = SurveyMetrics(1, date(2026, 11, 10), 6, None, None, (
            ConcernMetrics("q1", Said("Workload is fair"), 2.1, True),
            ConcernMetrics("q2", Said("I know whom to ask"), 4.4, False)))
        hidden = SurveyMetrics(2, date(2026, 11, 24), None, None, None, (
            ConcernMetrics("q3", Said("Below the threshold"), 1.0, True),))
        return PulseMetrics(team_id, (shown, hidden), ())

    h.services.metrics = replace(h.services.metrics, pulse=pulse)
    await at(h, AGENDA_AT)
    shown = text_of(agenda(h))
    assert "Workload is fair (2.1/5)" in shown  # flagged, from a survey above the threshold
    assert "I know whom to ask" not in shown  # not flagged
    assert "Below the threshold" not in shown  # a survey below the threshold shows nothing


async def test_both_sides_add_items_and_the_facilitator_reorders_and_drops(harness: Harness) -> None:
    h = harness
    await at(h, AGENDA_AT)
    empty = await add(h, MINJI, "   ")
    assert empty.body["response_action"] == "errors" and Block.TOPIC in empty.body["errors"]
    await add(h, MINJI, HOSTILE, "vendor")  # the vendor side
    await add(h, SAM, "Refund SLA for December", "internal")  # the internal side
    shown = text_of(agenda(h))
    assert shown.index("&lt;!channel&gt;") < shown.index("Refund SLA for December")
    payload = str(agenda(h).blocks)
    assert not any(token in payload for token in LIVE)

    refused = await menu(h, JISOO, "drop:2")  # not the facilitator (liaison): refused, nothing changes
    assert refused.status == 200 and "Refund SLA for December" in text_of(agenda(h))
    assert any("싱크 진행자만" in text_of(m) for m in h.sandbox.ephemerals(h.user(JISOO)))

    await menu(h, SAM, "up:2")
    shown = text_of(agenda(h))
    assert shown.index("Refund SLA for December") < shown.index("&lt;!channel&gt;")
    await menu(h, SAM, "drop:1")
    assert "&lt;!channel&gt;" not in text_of(agenda(h)) and len(agendas(h)) == 1  # updated in place


async def test_minutes_action_items_jira_once_reminder_and_carry_over(clock, database_url) -> None:
    async with Harness(clock=clock, database_url=database_url, jira="cloud") as h:
        sam, minji = h.user(SAM), h.user(MINJI)
        await at(h, AGENDA_AT)
        await at(h, MEETING + timedelta(minutes=59))
        assert not [m for m in h.sandbox.dms(sam) if "회의록" in text_of(m) or "Record minutes" in text_of(m)]
        await at(h, MEETING + timedelta(hours=1))
        asks = [m for m in h.sandbox.dms(sam) if "Record minutes" in text_of(m)]
        assert len(asks) == 1  # the facilitator (liaison), in his language

        await h.driver.block_action(sam, Action.MINUTES, message=asks[0])
        await h.settle()
        view = h.sandbox.open_views(sam)[-1]
        past = await h.driver.submit_view(sam, view, inputs={
            what_block(1): "Fix the refund macro", owner_block(1): minji, due_block(1): date(2026, 11, 20)})
        assert due_block(1) in past.body["errors"]
        no_owner = await h.driver.submit_view(sam, view, inputs={
            what_block(1): "Fix the refund macro", due_block(1): date(2026, 11, 27)})
        assert owner_block(1) in no_owner.body["errors"]
        done = await h.driver.submit_view(sam, view, inputs={
            Block.DECISIONS: f"Refunds go first. {HOSTILE}", what_block(1): "Fix the refund macro",
            owner_block(1): minji, due_block(1): date(2026, 11, 27), Block.JIRA: ["1"]})
        assert done.status == 200 and done.body in (None, "", {})
        await h.settle()
        await outbox.drain(h.services)
        await h.settle()

        minutes = h.sandbox.channel_messages(HANA, thread_ts=agenda(h).ts)
        assert any("Fix the refund macro" in text_of(m) and "Refunds go first" in text_of(m) for m in minutes)
        assert not any(token in str(m.blocks) + m.text for m in minutes for token in LIVE)
        owner_dms = [m for m in h.sandbox.dms(minji) if "새 실행 항목" in text_of(m)]
        assert len(owner_dms) == 1  # in Min-ji's language
        assert len(h.jira.issues) == 1  # one ticket, through the event and the outbox
        again = await h.driver.submit_view(sam, view, inputs={what_block(1): "Again", owner_block(1): minji,
                                                               due_block(1): date(2026, 11, 27)})
        assert again.body["response_action"] == "errors"  # recorded once
        await outbox.drain(h.services)
        assert len(h.jira.issues) == 1

        # Due Friday 27 Nov: reminded once inside Min-ji's working hours (Seoul), not at night.
        await at(h, datetime(2026, 11, 26, 15, 0, tzinfo=UTC))  # Fri 00:00 in Seoul: due, but the middle of the night
        assert not [m for m in h.sandbox.dms(minji) if "알림:" in text_of(m)]
        await at(h, datetime(2026, 11, 26, 23, 0, tzinfo=UTC))  # Fri 08:00 in Seoul
        await at(h, datetime(2026, 11, 27, 1, 0, tzinfo=UTC))
        reminders = [m for m in h.sandbox.dms(minji) if "알림:" in text_of(m) and "Fix the refund macro" in text_of(m)]
        assert len(reminders) == 1

        await h.driver.event({"type": "app_home_opened", "user": minji, "tab": "home"})
        await h.settle()
        home = text_of(h.sandbox.home(minji) or {})
        assert "다음 주간 싱크" in home and "내 실행 항목" in home and "Fix the refund macro" in home

        # Still open: it carries into next week's agenda; /oneteam actions lists it.
        await at(h, AGENDA_AT + timedelta(days=7))
        nxt = [m for m in agendas(h) if m.ts != agendas(h)[0].ts]
        assert len(nxt) == 1 and "Fix the refund macro" in text_of(nxt[0])
        ack = await h.command(SAM, "/oneteam", "actions care-hana")
        await h.settle()
        assert "Fix the refund macro" in text_of(h.sandbox.ephemerals(sam)[-1])

        await h.driver.block_action(minji, Action.DONE, message=reminders[0])
        await h.settle()
        async with h.services.sessions() as session:
            item = await session.scalar(select(SyncActionItem))
        assert item is not None and item.state == "done" and item.jira_key
        assert ack.status == 200

        # Closed after its due date: the digest and the KPI count it as late.
        digest, _ = await digest_for(h.services, "care-hana", "2026-W48", locale="en")
        together = digest.section("together")
        assert together is not None
        assert {i.label: i.value for i in together.items}["Weekly sync action items"] == (
            "0 of 1 due closed on time · 0 open")
        async with h.services.sessions() as session:
            on_time = await Metrics(session, item.team_id, h.services.metrics).source_value(
                "sync_actions_on_time", datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
        assert on_time == 0.0


async def test_three_instances_post_each_agenda_ask_and_reminder_exactly_once(harness: Harness) -> None:
    h = harness
    instances = [h.services] + [(await h.add_instance())[0] for _ in range(2)]

    async def everywhere(when: datetime) -> None:
        h.clock.set(when)
        for _ in range(2):
            await asyncio.gather(*(tick(s) for s in instances))
        await h.settle()

    await everywhere(AGENDA_AT)
    await everywhere(MEETING + timedelta(hours=1))
    sam, minji = h.user(SAM), h.user(MINJI)
    ask = next(m for m in h.sandbox.dms(sam) if "Record minutes" in text_of(m))
    await h.driver.block_action(sam, Action.MINUTES, message=ask)
    await h.settle()
    await h.driver.submit_view(sam, h.sandbox.open_views(sam)[-1], inputs={
        what_block(1): "Share the Q1 roster", owner_block(1): minji, due_block(1): date(2026, 11, 27)})
    await h.settle()
    await everywhere(datetime(2026, 11, 27, 1, 0, tzinfo=UTC))  # Friday 10:00 in Seoul
    keys: Counter[str] = Counter(
        ((m.metadata or {}).get("event_payload") or {}).get("key", "")
        for messages in h.sandbox.ws.messages.values() for m in messages)
    sync_keys = {k: n for k, n in keys.items() if k.startswith("sync:")}
    kinds = Counter(k.split(":")[1] for k in sync_keys)
    assert all(n == 1 for n in sync_keys.values()), sync_keys
    assert kinds["agenda"] == 1 and kinds["ask"] == 1 and kinds["remind"] == 1 and kinds["minutes"] == 1
    assert len(agendas(h)) == 1


async def test_hostile_text_never_reaches_slack_as_markup(harness: Harness) -> None:
    h = harness
    sam, minji = h.user(SAM), h.user(MINJI)
    await h.command(SAM, "/kudos", f"<@{minji}> {HOSTILE}", channel_id=HANA)
    await at(h, AGENDA_AT)
    user = h.user(MINJI)
    await h.driver.block_action(user, Action.ADD_ITEM, message=agenda(h))
    await h.settle()
    await h.driver.submit_view(user, h.sandbox.open_views(user)[-1], inputs={
        Block.TOPIC: HOSTILE, Block.DETAILS: HOSTILE, Block.SIDE: "vendor"})
    await h.settle()
    await at(h, MEETING + timedelta(hours=1))
    ask = next(m for m in h.sandbox.dms(sam) if "Record minutes" in text_of(m))
    await h.driver.block_action(sam, Action.MINUTES, message=ask)
    await h.settle()
    await h.driver.submit_view(sam, h.sandbox.open_views(sam)[-1], inputs={
        Block.DECISIONS: HOSTILE, what_block(1): HOSTILE, owner_block(1): minji, due_block(1): date(2026, 11, 27)})
    await h.settle()
    await at(h, datetime(2026, 11, 27, 1, 0, tzinfo=UTC))  # the reminder
    await h.command(SAM, "/oneteam", "actions")
    await h.driver.event({"type": "app_home_opened", "user": minji, "tab": "home"})
    await h.settle()
    sent = [str(call.args) for call in h.sandbox.calls
            if call.method in ("chat.postMessage", "chat.update", "views.publish", "views.open")]
    sent += [str(m.blocks) + m.text for m in h.sandbox.ws.ephemeral_log]
    assert sum("&lt;!channel&gt;" in text for text in sent) >= 6  # shown, as text, on every surface
    leaks = [text[:200] for text in sent if any(token in text for token in LIVE)]
    assert not leaks, leaks
