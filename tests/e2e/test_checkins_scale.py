"""The weekly fan-out at scale (issue 14): profiles from `users.list` pages, Jira task lists in batches, and
prompts claimed in small leased batches so that a crash holds up only what was in flight."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.checkin_fanout import FRIDAY_1600_UTC, bulk_org
from bot.checkins.fanout import open_rounds, send_due_prompts
from bot.slack import SlackProfile
from sandbox.harness import Harness
from sandbox.slack import text_of
from storage.models import CheckinPrompt
from tests.e2e.fanout_steps import crash_mid_fanout


def emails(n: int) -> list[str]:
    return [f"p{i:05d}@bulk.example" for i in range(n)]


def prompts_to(h: Harness, email: str) -> list:
    return [m for m in h.sandbox.dms(h.user(email)) if "checkin_start" in str(m.blocks)]


async def states(h: Harness) -> Counter:
    async with h.services.sessions() as s:
        return Counter(dict((await s.execute(select(CheckinPrompt.state, func.count())
                                             .group_by(CheckinPrompt.state))).all()))


@pytest.fixture
async def bulk(clock, database_url):
    clock.set(FRIDAY_1600_UTC - timedelta(hours=4))
    async with Harness(org=bulk_org(120), clock=clock, database_url=database_url) as h:
        await open_rounds(h.services)
        yield h


async def test_profiles_come_from_users_list_pages_not_one_users_info_each(bulk):
    h = bulk
    away, moved, korean, *_ = emails(120)
    h.sandbox.change_user(h.user(away), status_emoji=":palm_tree:")
    h.sandbox.change_user(h.user(moved), tz="America/Los_Angeles")  # no user_change event reaches the bot
    h.sandbox.change_user(h.user(korean), locale="ko-KR")
    h.clock.set(FRIDAY_1600_UTC)
    listed = len(h.sandbox.calls_to("users.list"))  # the org set-up's
    await send_due_prompts(h.services)

    assert not h.sandbox.calls_to("users.info")
    assert len(h.sandbox.calls_to("users.list")) == listed + 1  # 120 people: one page
    assert not prompts_to(h, away) and "away" in text_of(h.sandbox.dms(h.user(away))[0]).lower()
    assert not prompts_to(h, moved)  # due at 16:00 in Los Angeles now
    assert "체크인" in text_of(prompts_to(h, korean)[0])
    assert (await states(h))["sent"] == 118

    h.clock.set(FRIDAY_1600_UTC + timedelta(hours=8))  # 16:00 in Los Angeles
    await send_due_prompts(h.services)
    assert len(prompts_to(h, moved)) == 1


async def test_no_directory_walk_when_nothing_is_due(bulk):
    listed = len(bulk.sandbox.calls_to("users.list"))
    await send_due_prompts(bulk.services)
    assert len(bulk.sandbox.calls_to("users.list")) == listed


async def test_after_a_crash_the_rest_goes_out_within_the_lease_not_after_minutes(bulk):
    """The dead tick held one batch; the prompts it never attempted go out with the next tick 15 s later,
    and those whose send had started wait for `deliver_once`'s check of Slack: never a duplicate."""
    h = bulk
    h.clock.set(FRIDAY_1600_UTC)
    await crash_mid_fanout(h, after=10, concurrency=4)

    await send_due_prompts(h.services)  # right away: the dead tick's lease still holds
    held = (await states(h))["sending"]
    assert held > 10

    h.clock.advance(seconds=15)
    await send_due_prompts(h.services)
    done = await states(h)
    assert done["sent"] >= 120 - 4 and done["sent"] + done["sending"] == 120

    h.clock.advance(minutes=3)
    await send_due_prompts(h.services)
    counts = Counter(e for e in emails(120) for _ in prompts_to(h, e))
    assert len(counts) == 120 and set(counts.values()) == {1}
    assert (await states(h))["sent"] == 120


@pytest.fixture
async def with_jira(clock, database_url):
    clock.set(FRIDAY_1600_UTC - timedelta(hours=4))
    async with Harness(org=bulk_org(120), clock=clock, database_url=database_url, jira="cloud") as h:
        for n, email in enumerate(emails(120)):
            h.jira.create_issue("OPS", f"Task {n}a", assignee_email=email)
            h.jira.create_issue("OPS", f"Task {n}b", assignee_email=email)
            h.jira.create_issue("OPS", f"Done {n}", assignee_email=email, status="Done")
        h.jira.create_issue("OPS", "Someone else's", assignee_email="outsider@bulk.example")
        await open_rounds(h.services)
        yield h


def jira_requests(h: Harness) -> tuple[int, int]:
    """(issue searches, user searches) so far."""
    return h.jira.count("/search/jql"), h.jira.count("/user/search")


async def test_task_lists_come_in_one_search_per_50_members_and_account_ids_are_kept(with_jira):
    h = with_jira
    h.clock.set(FRIDAY_1600_UTC)
    h.jira.inject(429, times=1, path_contains="/search/jql", retry_after=0)  # a short Retry-After is waited out
    await send_due_prompts(h.services)
    searches, lookups = jira_requests(h)
    assert searches <= 3 + 2 and lookups == 120  # ceil(120/50) = 3 searches; each account id looked up once
    for email in emails(120)[::17]:
        n = int(email[1:6])
        text = text_of(prompts_to(h, email)[0])
        assert f"Task {n}a" in text and f"Task {n}b" in text and "Done" not in text and "Someone" not in text

    # the next week's round asks Jira for the lists only: the account ids were kept
    from bot.checkins.fanout import run_due
    for when in (FRIDAY_1600_UTC + timedelta(days=6, hours=20), FRIDAY_1600_UTC + timedelta(days=7)):
        h.clock.set(when)
        await run_due(h.services)
    assert all(len(prompts_to(h, e)) == 2 for e in emails(120))
    more_searches, more_lookups = jira_requests(h)
    assert more_lookups == lookups and more_searches - searches <= 3 + 2


async def test_a_throttled_jira_is_waited_out_briefly_then_marked_in_the_prompt(with_jira):
    h = with_jira
    h.clock.set(FRIDAY_1600_UTC)
    h.jira.inject(429, times=10_000, path_contains="/search/jql", retry_after=60)  # longer than a prompt waits
    await send_due_prompts(h.services)
    assert (await states(h))["sent"] == 120  # the prompts still went out, saying what is missing
    for email in emails(120):
        text = text_of(prompts_to(h, email)[0])
        assert "could not be loaded" in text and "Task" not in text


async def test_a_live_sender_keeps_its_lease_so_another_instance_does_not_take_its_batch(bulk):
    """Sends take a second each here (the fake clock moves with every post): 40 s into the batch, another
    instance's tick finds nothing to take over, and every prompt still goes out once."""
    h = bulk
    h.clock.set(FRIDAY_1600_UTC)
    other, _server = await h.add_instance()
    client = h.services.slack
    real_post = client.chat_postMessage
    posted = 0
    taken: list[int] = []

    async def slow_post(**kwargs):
        nonlocal posted
        response = await real_post(**kwargs)
        posted += 1
        h.clock.advance(seconds=1)
        if posted == 40:
            taken.append(await send_due_prompts(other))
        return response

    client.chat_postMessage = slow_post
    await send_due_prompts(h.services, concurrency=4)
    assert taken == [0]
    counts = Counter(e for e in emails(120) for _ in prompts_to(h, e))
    assert len(counts) == 120 and set(counts.values()) == {1}


async def test_a_rounds_jira_requests_share_kept_alive_connections(with_jira):
    """One aiohttp session per adapter, not one per call (each of which paid a new connection)."""
    h = with_jira
    h.clock.set(FRIDAY_1600_UTC)
    before = len(h.jira.requests)
    await send_due_prompts(h.services)
    used = {r.connection for r in h.jira.requests[before:]}
    assert len(h.jira.requests) - before > 100 and len(used) <= 8  # at most one connection per lookup in flight


async def test_a_fan_out_lets_go_of_the_profiles_of_prompts_already_sent(clock, database_url):
    """A fan-out to 5,000 kept every profile it read until it ended (10 minutes at Slack's limits): the
    soak's RSS grew with the prompts sent. Only the page being sent (and the next, read meanwhile) is held."""
    clock.set(FRIDAY_1600_UTC - timedelta(hours=4))
    async with Harness(org=bulk_org(800), clock=clock, database_url=database_url) as h:  # 4 pages of 200
        await open_rounds(h.services)
        h.clock.set(FRIDAY_1600_UTC)
        client = h.services.slack
        real_post = client.chat_postMessage
        alive: list[int] = []

        def profiles() -> int:
            return sum(isinstance(o, SlackProfile) for o in gc.get_objects())

        before = profiles()  # what the org set-up left (the harness keeps its report)

        async def post_and_count(**kwargs: Any) -> Any:
            alive.append(profiles() - before)
            return await real_post(**kwargs)

        client.chat_postMessage = post_and_count  # type: ignore[method-assign]
        await send_due_prompts(h.services)
    assert len(alive) >= 800 and max(alive[-50:]) <= 2 * 200  # the page being sent, the next being read
