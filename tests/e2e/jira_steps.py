"""Steps the Jira end-to-end tests share (test_jira, test_jira_status_out, test_jira_comments): one copy, so the
scenarios they start from stay the same in every file."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.jira import outbox
from sandbox.harness import Harness
from sandbox.slack import Message, text_of
from schedules.checkins import tick as checkin_tick

SAM = "sam@acme.example"  # care-hana's liaison
JISOO = "jisoo@hanabpo.example"  # a care-hana member who answers check-ins


async def settle(h: Harness) -> None:
    """Slack work, then the Jira work it started in the background."""
    await h.settle()
    await outbox.drain(h.services)


async def escalate(h: Harness, text: str) -> Message:
    """Raises through the real `/escalate` and returns the card in the team channel."""
    ack = await h.command(SAM, "/escalate", text)
    assert ack.status == 200
    await settle(h)
    return h.sandbox.channel_messages("C0HANA")[-1]


async def raise_p1(h: Harness) -> tuple[Message, str]:
    """A P1 for care-hana: its card and its ticket's key ("" while Jira has no ticket for it)."""
    card = await escalate(h, "P1 team:care-hana Payments page down")
    return card, next(iter(h.jira.issues), "")


def thread(h: Harness, card: Message) -> list[str]:
    return [text_of(m) for m in h.sandbox.channel_messages(card.channel, card.ts)]


async def click(h: Harness, email: str, action: str, card: Message) -> None:
    assert (await h.driver.block_action(h.user(email), action, message=card)).status == 200
    await settle(h)


async def report_blocker(h: Harness, blocker: str) -> None:
    """Jisoo answers Friday's check-in (16:00 in Seoul) with `blocker`, which goes to the liaison Sam by DM."""
    jisoo = h.user(JISOO)
    for when in (datetime(2026, 11, 19, 12, 0, tzinfo=UTC), datetime(2026, 11, 20, 7, 0, tzinfo=UTC)):
        h.clock.set(when)  # Thursday, then Friday 16:00 in Seoul: the check-in prompts go out
        await checkin_tick(h.services)
    [prompt] = [m for m in h.sandbox.dms(jisoo) if "checkin_start" in str(m.blocks)]
    await h.driver.block_action(jisoo, "checkin_start", message=prompt)
    await settle(h)
    await h.driver.submit_view(jisoo, h.sandbox.open_views(jisoo)[-1], inputs={
        "q_done": "a", "q_next": "b", "q_mood": 3, "q_blockers": blocker})
    await settle(h)
