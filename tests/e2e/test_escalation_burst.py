"""A burst of raises into one channel with Slack's limits on: responders' DMs never wait behind the cards."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from sandbox.harness import Harness
from sandbox.slack import RateLimits

HANA, CARE = "C0HANA", "C0CARE"
PRIYA, MINJI = "priya@acme.example", "minji@hanabpo.example"
BURST = 20


async def test_a_burst_of_raises_sends_every_level_one_dm_and_other_channels_before_the_last_card(clock, database_url):
    # Slack's per-method limits, 20x faster so that the test takes a second instead of twenty.
    async with Harness(clock=clock, database_url=database_url, rate_limits=RateLimits(scale=20)) as h:
        raises = [h.command(PRIYA, "/escalate", f"P1 care-hana Burst number {n}") for n in range(BURST)]
        raises.append(h.command(PRIYA, "/escalate", "P1 care-internal Another channel, raised last"))
        acks = await asyncio.gather(*raises)
        assert all(ack.status == 200 for ack in acks)
        await h.settle(limit=60)
        posts = [c for c in h.sandbox.calls if c.method == "chat.postMessage" and c.status == 200]
        cards = [i for i, c in enumerate(posts) if c.args["channel"] == HANA and not c.args.get("thread_ts")]
        dms = [i for i, c in enumerate(posts) if c.args["channel"] == h.user(MINJI)]
        assert len(cards) == BURST and len(dms) == BURST
        assert max(dms) < cards[-1], "a level-1 DM waited behind the channel's cards"
        other = [i for i, c in enumerate(posts) if c.args["channel"] == CARE]
        assert len(other) == 1 and other[0] < cards[-1], "another channel's card waited behind this channel's"
        # Whether a channel is shared is read once per channel for the burst (conversations.info allows 50/min).
        assert sorted(c.args["channel"] for c in h.sandbox.calls_to("conversations.info")) == [CARE, HANA]
        sent = Counter((c.args["channel"], c.args.get("thread_ts"), c.args["text"]) for c in posts)
        assert [m for m, n in sent.items() if n > 1] == []
        refs = {re.search(r"ESC-\d+", posts[i].args["text"]).group(0) for i in dms}
        assert len(refs) == BURST  # one DM about each escalation
