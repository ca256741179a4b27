"""Exactly once: the bot dies in the middle of a fan-out to 200 members, restarts, and finishes it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from bench.checkin_fanout import FRIDAY_1600_UTC, bulk_org
from bot.checkins.fanout import open_rounds, send_due_prompts
from sandbox.harness import Harness
from tests.e2e.fanout_steps import crash_mid_fanout

MEMBERS = 200
CRASH_AFTER = 70


def prompt_counts(h: Harness) -> Counter:
    keys = Counter()
    for email, user_id in h.users.items():
        for m in h.sandbox.dms(user_id):
            key = ((m.metadata or {}).get("event_payload") or {}).get("key", "")
            if key.startswith("checkin:prompt:"):
                keys[email] += 1
    return keys


@pytest.fixture
async def bulk(clock):
    clock.set(FRIDAY_1600_UTC - timedelta(hours=4))
    async with Harness(org=bulk_org(MEMBERS), clock=clock) as h:
        yield h


async def test_restart_mid_fanout_sends_each_prompt_exactly_once(bulk):
    h = bulk
    await open_rounds(h.services)
    h.clock.set(FRIDAY_1600_UTC)

    await crash_mid_fanout(h, after=CRASH_AFTER, concurrency=8)
    sent_before = sum(prompt_counts(h).values())
    assert CRASH_AFTER <= sent_before < MEMBERS

    # A second tick right away leaves the dead instance's claims alone (they are not stale yet) ...
    await send_due_prompts(h.services)
    # ... and once they are stale, takes them over, checking Slack's history before re-sending.
    h.clock.advance(minutes=3)
    await send_due_prompts(h.services)

    counts = prompt_counts(h)
    assert len(counts) == MEMBERS and set(counts.values()) == {1}
    assert h.sandbox.calls_to("conversations.history"), "stale claims were resolved from Slack's history"
