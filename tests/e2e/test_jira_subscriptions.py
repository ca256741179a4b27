"""`/oneteam jira subscribe`: Jira changes posted to a team's channel, filtered by JQL and kind; only the
team's internal liaisons and managers change them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.jira import sync
from sandbox.harness import Harness
from sandbox.slack import text_of

SAM, DANA, JISOO, MINJI = "sam@acme.example", "dana@acme.example", "jisoo@hanabpo.example", "minji@hanabpo.example"
HANA = "C0HANA"
HOSTILE = "<!channel> <!here> <@U0X> <https://evil.example|click> & *b*"


@pytest.fixture
async def h(clock: FakeClock, database_url: str) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, jira="cloud", database_url=database_url) as harness:
        yield harness


async def oneteam(h: Harness, email: str, text: str) -> list[str]:
    user = h.user(email)
    before = len(h.sandbox.ephemerals(user))
    ack = await h.driver.slash(user, "/oneteam", text, channel_id=HANA)
    assert ack.status == 200
    await h.settle()
    return [text_of(m) for m in h.sandbox.ephemerals(user)[before:]]


async def none_left(h: Harness) -> bool:
    said = await oneteam(h, SAM, "jira subscriptions")
    return any("no Jira subscriptions" in s or "구독이 없습니다" in s for s in said)


def channel(h: Harness) -> list[str]:
    return [text_of(m) for m in h.sandbox.channel_messages(HANA) if not m.ephemeral]


async def test_a_subscription_posts_a_transition_and_ignores_what_its_filter_excludes(h: Harness) -> None:
    high = h.jira.create_issue("CARE", f"Refunds stuck {HOSTILE}", priority="High")
    low = h.jira.create_issue("CARE", "Typo on the help page", priority="Low")
    said = await oneteam(h, SAM, "jira subscribe project = CARE AND priority = High transitioned")
    assert any("transitioned" in s for s in said)
    h.clock.advance(minutes=5)
    h.jira.set_status(high, "In Progress")
    h.jira.set_status(low, "In Progress")  # excluded by the JQL
    h.jira.create_issue("CARE", "New and high", priority="High")  # `created` is not subscribed
    h.jira.add_comment(high, "a remark", author_email="lee@acme.example")  # nor `commented`
    h.clock.advance(minutes=5)
    await sync.tick(h.services)
    posts = channel(h)
    moved = [p for p in posts if high in p]
    assert len(moved) == 1 and "In Progress" in moved[0] and "To Do" in moved[0]
    assert "<!channel>" not in moved[0] and "&lt;!channel&gt;" in moved[0]
    assert not any(low in p or "New and high" in p or "a remark" in p for p in posts)
    h.clock.advance(minutes=5)
    await sync.tick(h.services)
    assert channel(h) == posts  # once


async def test_created_and_commented_subscriptions_and_unsubscribe(h: Harness) -> None:
    said = await oneteam(h, DANA, "jira subscribe CARE created commented")
    h.clock.advance(minutes=5)
    key = h.jira.create_issue("CARE", "Chargeback spike")
    h.jira.add_comment(key, "Looking into it", author_email="lee@acme.example")
    h.clock.advance(minutes=5)
    await sync.tick(h.services)
    assert any(key in p and "Chargeback spike" in p for p in channel(h))
    assert any("Looking into it" in p for p in channel(h))
    listed = await oneteam(h, SAM, "jira subscriptions")
    assert any("CARE" in s for s in listed)
    number = re.findall(r"\d+", said[0])[-1]  # "... as number 1."
    assert (await oneteam(h, SAM, f"jira unsubscribe {number}"))
    assert await none_left(h)


@pytest.mark.parametrize("who", [JISOO, MINJI])
async def test_people_without_the_role_are_refused_and_nothing_is_subscribed(h: Harness, who: str) -> None:
    said = await oneteam(h, who, "jira subscribe CARE")
    assert any("리에종과 매니저만" in s or "liaisons and managers" in s for s in said)
    assert await none_left(h)
