"""One pacing per channel: the check-in summary's replies and the escalation cards posted to the same team
channel take turns from one queue, so that together they keep the channel's pace (1/s at Slack's limits)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from itertools import pairwise

from bot.clock import FakeClock
from bot.orgfile import OrgFile
from sandbox.harness import Harness
from sandbox.slack import RateLimits
from tests.e2e.fanout_steps import prompt_everyone

FRIDAY_1600 = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
CHANNEL = "C0BOTH"
N = 10
SCALE = 20


def email(i: int) -> str:
    return f"p{i:04d}@both.example"


def team_org() -> OrgFile:
    """One UTC team whose check-in summary and escalation cards both go to the team channel."""
    people = [{"email": email(i), "name": f"Person {i}", "slack_id": f"U2{i:06d}", "timezone": "UTC"}
              for i in range(N)]
    return OrgFile.model_validate({
        "organisation": {"name": "Both"},
        "people": people,
        "teams": [{"key": "both", "name": "Both team", "kind": "internal", "timezone": "UTC", "channel": CHANNEL,
                   "members": [p["email"] for p in people], "escalation": {"levels": [[email(0)]]},
                   "checkins": {"time": "16:00", "summary_in_channel": True}}],
    })


async def answer(h: Harness, i: int) -> None:
    """Submits the check-in form that `/checkin` opened."""
    user = h.user(email(i))
    view = h.sandbox.open_views(user)[-1]
    ack = await h.driver.submit_view(user, view, inputs={"q_done": "Closed 40 tickets", "q_next": "More",
                                                          "q_mood": 4})
    assert ack.ok


async def test_summary_replies_and_escalation_cards_in_one_channel_take_turns_without_a_429() -> None:
    # Slack's limits, 20x faster: one message per 50 ms in a channel.
    h = Harness(org=team_org(), clock=FakeClock(FRIDAY_1600.replace(hour=12)), rate_limits=RateLimits(scale=SCALE))
    await h.start()
    try:
        await prompt_everyone(h, FRIDAY_1600)
        assert all(ack.ok for ack in await asyncio.gather(*(h.command(email(i), "/checkin") for i in range(N))))
        await h.settle()
        raises = [h.command(email(1), "/escalate", f"P1 both Burst number {n}") for n in range(N)]
        acks = await asyncio.gather(*raises, *(answer(h, i) for i in range(N)))
        assert all(ack.ok for ack in acks[:N])
        await h.settle(limit=30)
        posts = [c for c in h.sandbox.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
        sent = [c for c in posts if c.status == 200]
        assert len([c for c in sent if "Burst number" in c.args["text"] and not c.args.get("thread_ts")]) == N
        assert len([c for c in sent if c.args.get("thread_ts")]) >= N  # the answers (and the cards' threads)
        assert [c.status for c in posts if c.status != 200] == []
        # Each message went at least 1/scale s after the previous one in the channel, whoever posted it.
        gaps = [b.time - a.time for a, b in pairwise(posts)]
        assert min(gaps) >= 1 / SCALE, "two features' messages went to one channel sooner than its pace"
    finally:
        await h.stop()
