"""Slack -> Jira: acknowledging, resolving and reopening an escalation moves its ticket and comments on it,
once, in order, on Jira Cloud (v3, ADF) and Data Center (v2, wiki), through the real bot and sandbox Jira."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.escalations.ids import Action, Block
from bot.jira import outbox, sync
from bot.jira.config import JiraTransitions
from bot.orgfile import load
from sandbox.harness import EXAMPLE_ORG, Harness
from sandbox.slack import Message, text_of
from schedules.checkins import tick as checkin_tick
from storage.models import Escalation, JiraOutboxItem
from tests.e2e.jira_steps import JISOO, SAM, click, raise_p1, report_blocker, settle, thread

MINJI = "minji@hanabpo.example"
HOSTILE = "<!channel> <!here> <@U0X> <https://evil.example|click> & *b* [x|https://evil.example] {code} !img.png!"


@pytest.fixture(params=["cloud", "server"])
async def h(request: pytest.FixtureRequest, clock: FakeClock, database_url: str) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, jira=request.param, database_url=database_url) as harness:
        if request.param == "server":  # Data Center's classic "Done" screen asks for the resolution
            harness.jira.require_on_transition("Done", "resolution")
        yield harness


async def resolve(h: Harness, card: Message, note: str) -> None:
    minji = h.user(MINJI)
    await click(h, MINJI, Action.RESOLVE, card)
    done = await h.driver.submit_view(minji, h.sandbox.open_views(minji)[-1], inputs={Block.NOTE: note})
    assert done.status == 200
    await settle(h)


def comments(h: Harness, key: str) -> list[str]:
    return h.jira.comments_of(key)


def kinds(said: list[str]) -> list[str]:
    """Which change each comment tells (the team's locale is Korean)."""
    words = {"확인했습니다": "ack", "해결했습니다": "resolved", "다시 열었습니다": "reopened"}
    return [next((k for w, k in words.items() if w in s), "?") for s in said]


async def test_resolve_in_slack_moves_the_ticket_to_done_with_the_note_once(h: Harness) -> None:
    card, key = await raise_p1(h)
    await resolve(h, card, f"Restarted the refund worker {HOSTILE}")
    issue = h.jira.issues[key]
    assert issue["fields"]["status"] == "Done" and issue["fields"]["resolution"] == "Done"
    [comment] = comments(h, key)
    assert "Restarted the refund worker" in comment and "Kim Min" in comment  # the note and who

    # Again and again: the webhook echo, the poll, a later outbox tick change nothing and say nothing.
    before = thread(h, card)
    h.clock.advance(minutes=5)
    assert await outbox.tick(h.services) == 0
    await sync.tick(h.services)
    await settle(h)
    assert len(comments(h, key)) == 1 and len(h.jira.issues[key]["transitions"]) == 1
    assert thread(h, card) == before  # our own change is not announced back as "changed in Jira"
    async with h.services.sessions() as session:
        assert (await session.scalar(select(Escalation))).state == "resolved"


async def test_user_text_stays_text_in_jira_markup(h: Harness) -> None:
    card, key = await raise_p1(h)
    await resolve(h, card, HOSTILE)
    raw = h.jira.issues[key]["comments"][0]["body"]
    texts = [n for p in raw["content"] for n in p.get("content", [])]
    linked = [n for n in texts if n.get("marks")]
    assert all("evil.example" not in str(n.get("marks")) for n in linked)  # only our link back to Slack
    if h.jira.cloud:  # ADF: the note is one text node, as typed
        assert any(HOSTILE in n.get("text", "") for n in texts)
    else:  # wiki: every markup character escaped, so no link, macro, image or bold forms
        body = comments(h, key)[0]
        assert r"\[x\|https://evil.example\]" in body and r"\{code\}" in body and r"\!img.png\!" in body
        assert r"\*b\*" in body


async def test_acknowledge_then_reopen_move_the_ticket_in_order(h: Harness) -> None:
    card, key = await raise_p1(h)
    await click(h, MINJI, Action.ACK, card)
    assert h.jira.status_of(key) == "In Progress"
    await resolve(h, card, "Fixed")
    await click(h, SAM, Action.REOPEN, card)  # the raiser
    assert h.jira.status_of(key) == "To Do"
    assert h.jira.issues[key]["fields"]["resolution"] is None
    assert [t["to"] for t in h.jira.issues[key]["transitions"]] == ["In Progress", "Done", "To Do"]
    assert kinds(comments(h, key)) == ["ack", "resolved", "reopened"]


async def test_a_missing_transition_is_reported_to_the_liaison_once_and_not_retried(h: Harness) -> None:
    h.jira.remove_transition("Done")
    card, key = await raise_p1(h)
    await resolve(h, card, "Fixed")
    assert h.jira.status_of(key) == "To Do"
    assert len(comments(h, key)) == 1  # the note still reaches the ticket
    told = [m for m in h.sandbox.dms(h.user(SAM)) if key in text_of(m) and "transition" in text_of(m)]
    assert len(told) == 1
    async with h.services.sessions() as session:
        states = [i.state for i in (await session.scalars(select(JiraOutboxItem).order_by(JiraOutboxItem.id))).all()]
    assert states == ["done", "skipped"]
    for _ in range(3):
        h.clock.advance(hours=2)
        await outbox.tick(h.services)
        await settle(h)
    assert len([m for m in h.sandbox.dms(h.user(SAM)) if key in text_of(m) and "transition" in text_of(m)]) == 1
    transition_posts = [r for r in h.jira.requests if r.path.endswith("/transitions") and r.method == "POST"]
    assert transition_posts == []


async def test_jira_down_for_a_day_then_every_change_lands_once_in_order(h: Harness) -> None:
    h.jira.inject(503, times=10**9, path_contains="/rest/api")
    card, _ = await raise_p1(h)
    await click(h, MINJI, Action.ACK, card)
    await resolve(h, card, "Fixed while Jira was down")
    await click(h, SAM, Action.REOPEN, card)  # the raiser
    await click(h, MINJI, Action.ACK, card)
    start = h.clock.now()
    while h.clock.now() - start < timedelta(days=1):
        h.clock.advance(minutes=20)
        await outbox.tick(h.services)
    assert h.jira.issues == {}
    h.jira.faults.status_faults.clear()  # Jira is back
    h.clock.advance(hours=1)
    await outbox.tick(h.services)
    await settle(h)
    [key] = h.jira.issues
    assert [t["to"] for t in h.jira.issues[key]["transitions"]] == ["In Progress", "Done", "To Do", "In Progress"]
    assert kinds(comments(h, key)) == ["ack", "resolved", "reopened", "ack"]
    h.clock.advance(hours=2)
    assert await outbox.tick(h.services) == 0
    assert len(comments(h, key)) == 4


async def test_a_blocker_no_longer_blocking_moves_its_ticket_to_done(h: Harness) -> None:
    jisoo = h.user(JISOO)
    await report_blocker(h, "VPN to the CRM drops every hour")
    message = next(m for m in h.sandbox.dms(h.user(SAM)) if "blocker_jira" in str(m.blocks))
    await click(h, SAM, "blocker_jira", message)
    [key] = h.jira.issues
    h.clock.set(datetime(2026, 11, 27, 7, 0, tzinfo=UTC))  # next Friday: the blocker comes back in the prompt
    await checkin_tick(h.services)
    await settle(h)
    prompt = [m for m in h.sandbox.dms(jisoo) if "checkin_blocker_resolved" in str(m.blocks)][-1]
    assert (await h.driver.block_action(jisoo, "checkin_blocker_resolved", message=prompt)).status == 200
    await settle(h)
    assert h.jira.status_of(key) == "Done"
    assert len(comments(h, key)) == 1


async def test_a_severity_change_in_slack_moves_the_ticket_priority(h: Harness) -> None:
    card, key = await raise_p1(h)
    assert h.jira.issues[key]["fields"]["priority"] == "Highest"
    assert (await h.command(SAM, "/escalate", "severity ESC-1 p3")).status == 200
    await settle(h)
    assert h.jira.issues[key]["fields"]["priority"] == "Medium"  # care-hana maps P3 to Medium
    assert "P1 → P3" in comments(h, key)[-1]
    assert any("P1 → P3" in line for line in thread(h, card))
    async with h.services.sessions() as session:
        assert (await session.scalar(select(Escalation))).severity == "P3"
    before = h.jira.count(f"/issue/{key}", "PUT")
    assert (await h.command(SAM, "/escalate", "severity ESC-1 P3")).status == 200  # no change: nothing sent
    await settle(h)
    assert h.jira.count(f"/issue/{key}", "PUT") == before


async def test_resolved_in_jira_is_not_echoed_back_to_jira(h: Harness) -> None:
    _, key = await raise_p1(h)
    h.clock.advance(minutes=5)
    h.jira.resolve(key)  # someone resolves the ticket in Jira; care-hana lets that resolve the escalation
    h.clock.advance(minutes=5)
    await sync.tick(h.services)
    await settle(h)
    async with h.services.sessions() as session:
        assert (await session.scalar(select(Escalation))).state == "resolved"
    assert comments(h, key) == [] and len(h.jira.issues[key]["transitions"]) == 1


async def test_a_configured_transition_is_used(clock: FakeClock) -> None:
    spec = load(EXAMPLE_ORG)
    teams = [t.model_copy(update={"jira": t.jira.model_copy(update={
        "transitions": JiraTransitions(reopened="In Progress")})}) if t.key == "care-hana" else t for t in spec.teams]
    async with Harness(org=spec.model_copy(update={"teams": teams}), clock=clock, jira="cloud") as h:
        card, key = await raise_p1(h)
        await resolve(h, card, "Fixed")
        await click(h, SAM, Action.REOPEN, card)
        assert h.jira.status_of(key) == "In Progress"  # not the category's default (To Do)


async def test_a_required_field_jira_asks_for_is_reported_in_the_thread_not_retried(h: Harness) -> None:
    h.jira.require_on_transition("Done", "customfield_10010")  # a field OneTeam cannot fill
    card, key = await raise_p1(h)
    await resolve(h, card, "Fixed")
    assert h.jira.status_of(key) == "To Do"
    refused = [line for line in thread(h, card) if key in line and "customfield_10010" in line]
    assert len(refused) == 1
    async with h.services.sessions() as session:
        states = [i.state for i in (await session.scalars(select(JiraOutboxItem).order_by(JiraOutboxItem.id))).all()]
    assert states == ["done", "failed"]
    h.clock.advance(hours=3)
    assert await outbox.tick(h.services) == 0
