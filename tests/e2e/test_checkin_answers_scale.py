"""Check-in answers in a big team: the summary and the Home tabs cost the same per answer at 20 members as at
200, and a burst of answers queues at most one update of the summary message per round."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.orgfile import OrgFile
from sandbox.harness import Harness
from sandbox.slack import text_of
from storage.models import CheckinPrompt
from tests.e2e.fanout_steps import prompt_everyone
from tests.e2e.sql_steps import fired

FRIDAY_1600 = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
CHANNEL = "C0BULK"


def team_org(n: int) -> OrgFile:
    """One UTC team of `n` members, its summary in the team channel, as in examples/org.yml."""
    people = [{"email": f"p{i:04d}@bulk.example", "name": f"Person {i}", "slack_id": f"U1{i:06d}",
               "timezone": "UTC"} for i in range(n)]
    return OrgFile.model_validate({
        "organisation": {"name": "Bulk"},
        "people": people,
        "teams": [{"key": "bulk", "name": "Bulk team", "kind": "internal", "timezone": "UTC", "channel": CHANNEL,
                   "members": [p["email"] for p in people],
                   "checkins": {"time": "16:00", "summary_in_channel": True}}],
    })


def email(i: int) -> str:
    return f"p{i:04d}@bulk.example"


async def prompted(n: int) -> Harness:
    """A started harness whose `n` members have all been prompted."""
    h = Harness(org=team_org(n), clock=FakeClock(FRIDAY_1600.replace(hour=12)))
    await h.start()
    await prompt_everyone(h, FRIDAY_1600)
    return h


async def answer(h: Harness, i: int, done: str = "Closed 40 tickets", mood: int = 4) -> None:
    user = h.user(email(i))
    ack = await h.command(email(i), "/checkin")
    assert ack.ok
    await h.settle()
    view = h.sandbox.open_views(user)[-1]
    ack = await h.driver.submit_view(user, view, inputs={"q_done": done, "q_next": "More", "q_mood": mood})
    assert ack.ok and not (ack.body or {}).get("response_action")


async def cost_of_answers(n: int) -> dict[str, int]:
    """What three answers (after a first one that posts the summary) cost in a team of `n`."""
    h = await prompted(n)
    try:
        await answer(h, 0)
        await h.settle()
        engine = h.services.db.engine.sync_engine
        with fired((engine, "before_cursor_execute"), (CheckinPrompt, "load")) as counts:
            for i in (1, 2, 3):
                await answer(h, i)
                await h.settle()
        return counts
    finally:
        await h.stop()


async def test_an_answer_costs_the_same_in_a_team_of_20_as_of_200() -> None:
    small, big = await cost_of_answers(20), await cost_of_answers(200)
    assert big["load"] == small["load"]  # check-in prompts loaded as ORM objects
    assert big["before_cursor_execute"] == small["before_cursor_execute"]  # SQL statements


async def test_a_burst_of_answers_updates_the_summary_once_with_the_latest_counts() -> None:
    h = await prompted(30)
    try:
        await answer(h, 0, mood=5)
        await h.settle()
        updates_before = len(h.sandbox.calls_to("chat.update"))
        # 8 answers arrive together; the first edit they cause waits out a rate limit (2 s), and the answers
        # that come meanwhile are shown by one edit after it, not one each
        h.sandbox.inject(method="chat.update", status=429, retry_after=2)
        users = [h.user(email(i)) for i in range(1, 9)]
        for i in range(1, len(users) + 1):
            await h.command(email(i), "/checkin")
        await h.settle()
        views = [h.sandbox.open_views(user)[-1] for user in users]
        acks = await asyncio.gather(*(h.driver.submit_view(user, view, inputs={"q_done": "Done", "q_next": "Next",
                                                                              "q_mood": 3})
                                      for user, view in zip(users, views, strict=True)))
        assert all(ack.ok for ack in acks)
        await h.settle()
        parent = h.sandbox.channel_messages(CHANNEL)[0]
        parent_updates = [c for c in h.sandbox.calls_to("chat.update")[updates_before:]
                          if c.args.get("channel") == CHANNEL and c.args.get("ts") == parent.ts and c.status == 200]
        assert len(parent_updates) <= 2  # not one per answer
        assert "9 of 30 answered" in text_of(parent) and "3.2" in text_of(parent)  # (5 + 8 x 3) / 9
        replies = h.sandbox.channel_messages(CHANNEL, thread_ts=parent.ts)
        assert len(replies) == 9
        assert all("is in" in text_of(h.sandbox.dms(user)[0]) for user in users)
        # a member who sits the round out is no longer expected
        ack = await h.command(email(29), "/checkin", "skip on training")
        await h.settle()
        assert ack.ok and "9 of 29 answered" in text_of(h.sandbox.channel_messages(CHANNEL)[0])
    finally:
        await h.stop()


async def test_fifty_answers_submitted_at_once_are_each_acked_within_3_seconds() -> None:
    """Each ack carries the answer's result (the modal closes, or shows its mistakes): the answer is saved
    before it, and nothing else is."""
    h = await prompted(50)
    try:
        users = [h.user(email(i)) for i in range(50)]
        for i in range(50):
            await h.command(email(i), "/checkin")
        await h.settle()
        views = [h.sandbox.open_views(user)[-1] for user in users]
        acks = await asyncio.gather(*(
            h.driver.submit_view(user, view, inputs={"q_done": "Done", "q_next": "Next", "q_mood": 1 + i % 5})
            for i, (user, view) in enumerate(zip(users, views, strict=True))))
        assert all(a.ok and not (a.body or {}).get("response_action") for a in acks)
        assert max(a.elapsed for a in acks) < 3.0
        await h.settle()
        async with h.services.sessions() as session:
            answered = await session.scalar(select(func.count()).select_from(CheckinPrompt)
                                            .where(CheckinPrompt.state == "answered"))
        assert answered == 50
        assert "50 of 50 answered" in text_of(h.sandbox.channel_messages(CHANNEL)[0])
    finally:
        await h.stop()
