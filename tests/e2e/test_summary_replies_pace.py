"""Every message the bot posts, whichever feature posts it, takes a token of one workspace budget below
`chat.postMessage`'s workspace cap. Before, only the check-in summary's replies were paced: a pulse survey's
invitations (sent one after the other, unpaced) filled the cap of 600 a minute while a team's answers came in,
and the replies got 429s whose Retry-After (up to a minute) stalled their channels: 64 of 1,000 replies were out
a minute after the answers in bench/checkin_answers.py."""

from __future__ import annotations

import asyncio

from bot.delivery import deliver_once
from bot.orgfile import OrgFile
from bot.pacing import WORKSPACE_POSTS_BURST, WORKSPACE_POSTS_PER_MINUTE
from sandbox.harness import Harness

N = 40


def people_org() -> OrgFile:
    people = [{"email": f"p{i:04d}@posts.example", "name": f"Person {i}", "slack_id": f"U4{i:06d}",
               "timezone": "UTC"} for i in range(N)]
    return OrgFile.model_validate({
        "organisation": {"name": "Posts"},
        "people": people,
        "teams": [{"key": "posts", "name": "Posts team", "kind": "internal", "timezone": "UTC", "channel": "C0POSTS",
                   "members": [p["email"] for p in people]}],
    })


async def test_posts_of_every_feature_stay_within_one_workspace_budget() -> None:
    # The bot paces as by default (SLACK_RATE_SCALE 1); the sandbox's limits are off so that only the bot's
    # own pacing shows in the calls' times.
    h = Harness(org=people_org(), slack_rate_scale=1)
    await h.start()
    try:
        users = [h.user(f"p{i:04d}@posts.example") for i in range(N)]
        sent = await asyncio.gather(*(deliver_once(h.services, f"test:dm:{i}", user, text="Hello")
                                      for i, user in enumerate(users)))
        assert all(s is not None and s.fresh for s in sent)
        times = sorted(c.time for c in h.sandbox.calls_to("chat.postMessage"))
        assert len(times) == N
        # a burst, then one post every 60/580 s: 40 posts take at least 29 intervals (with 10% to spare)
        interval = 60 / WORKSPACE_POSTS_PER_MINUTE
        assert times[-1] - times[0] >= (N - WORKSPACE_POSTS_BURST - 1) * interval * 0.9
    finally:
        await h.stop()
