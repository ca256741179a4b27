"""Several instances on one database, crashes and a flaky Slack: nothing happens twice, nothing is lost."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.services import Services
from sandbox.harness import Harness
from schedules.scheduler import JOBS, run_job
from storage.models import Delivery

STEP = timedelta(hours=1)


@pytest.fixture
async def jira_harness(clock: FakeClock, database_url: str) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, database_url=database_url, jira="cloud") as h:
        yield h


def delivered_keys(h: Harness) -> Counter[str]:
    """OneTeam's delivery key of every message the workspace holds (DMs and channels, threads included)."""
    keys: Counter[str] = Counter()
    for messages in h.sandbox.ws.messages.values():
        for message in messages:
            key = ((message.metadata or {}).get("event_payload") or {}).get("key")
            if key:
                keys[key] += 1
    return keys


async def every_job_everywhere(instances: list[Services]) -> None:
    """The worst case for claims: every instance runs every job at the same moment."""
    await asyncio.gather(*(run_job(job, s) for s in instances for job in JOBS))


async def run_week(h: Harness, instances: list[Services], hours: int = 8 * 24) -> None:
    for _ in range(hours):
        h.clock.advance(STEP)
        await every_job_everywhere(instances)
    await h.settle()


async def deliveries(services: Services) -> set[str]:
    from sqlalchemy import select

    async with services.sessions() as session:
        return set(await session.scalars(select(Delivery.key).where(Delivery.state == "sent")))


async def test_three_instances_do_a_week_of_scheduled_work_exactly_once(jira_harness: Harness) -> None:
    h = jira_harness
    instances = [h.services] + [(await h.add_instance())[0] for _ in range(2)]
    # A P1 nobody acknowledges: it climbs the levels and wants a Jira ticket, all while three instances tick.
    ack = await h.driver.slash(h.user("priya@acme.example"), "/escalate", "P1 team:care-hana Card refunds fail")
    assert ack.status == 200
    await h.settle()
    await run_week(h, instances)

    sent = await deliveries(h.services)
    keys = delivered_keys(h)
    duplicated = {k: n for k, n in keys.items() if n > 1}
    assert not duplicated, duplicated
    assert set(keys) == sent  # every recorded delivery is in Slack once, and nothing unrecorded was sent
    kinds = Counter(k.split(":")[0] + ":" + k.split(":")[1] for k in sent)
    assert kinds["checkin:prompt"] >= 3  # the Seoul vendor team was prompted...
    assert any(k.startswith("esc:") for k in sent)  # ...the escalation notified its levels...
    assert any(k.startswith("digest:") for k in sent)  # ...and the Monday digest went out
    posts = [r for r in h.jira.requests if r.method == "POST" and r.path.rstrip("/").endswith("/issue")]
    assert len(h.jira.issues) == 1 and len(posts) == 1  # one Jira ticket for the P1, created once


async def test_an_instance_dying_mid_fan_out_is_finished_by_the_others(jira_harness: Harness) -> None:
    h = jira_harness
    others = [(await h.add_instance())[0] for _ in range(2)]
    from schedules import checkins

    h.clock.set(h.clock.now().replace(hour=6, minute=59))
    await checkins.tick(h.services)  # running before the prompts fall due (a fresh install skips earlier ones)
    h.clock.advance(minutes=2)  # past Friday 16:00 in Seoul: the vendor team's prompts are due
    h.sandbox.inject(method="chat.postMessage", status="timeout", times=1)  # the leader hangs mid-send...
    leader = asyncio.create_task(checkins.tick(h.services))
    await asyncio.sleep(0)  # (start it)
    await h.stop_bot()  # ...and is killed
    leader.cancel()
    h.clock.advance(minutes=5)  # past the claim's lease
    await every_job_everywhere(others)
    await every_job_everywhere(others)
    await h.settle()
    keys = delivered_keys(h)
    prompts = {k: n for k, n in keys.items() if k.startswith("checkin:prompt:")}
    assert prompts and all(n == 1 for n in prompts.values()), prompts
    vendor_staff = {"minji@hanabpo.example", "jisoo@hanabpo.example", "hyun@hanabpo.example"}
    prompted = {u for u in (h.user(e) for e in vendor_staff) if h.sandbox.dms(u)}
    assert prompted == {h.user(e) for e in vendor_staff}


async def test_a_flaky_slack_still_gets_every_prompt_and_notification_once(harness: Harness) -> None:
    h = harness
    h.clock.set(h.clock.now().replace(hour=6))  # Friday morning UTC: running before any prompt is due
    await every_job_everywhere([h.services])
    h.sandbox.hang_seconds = 5
    h.sandbox.inject_random(rate=0.2, statuses=(429, 500, "timeout"), seed=7)
    ack = await h.driver.slash(h.user("priya@acme.example"), "/escalate", "P1 team:care-hana Queue is down")
    assert ack.status == 200
    await h.settle()
    for _ in range(30):  # Friday morning to Saturday noon, a tick every hour
        h.clock.advance(STEP)
        await every_job_everywhere([h.services])
    await h.settle()
    h.sandbox.inject_random(rate=0.0)
    for _ in range(3):  # once Slack is healthy, whatever failed is retried
        h.clock.advance(minutes=10)
        await every_job_everywhere([h.services])
    await h.settle()
    keys = delivered_keys(h)
    assert keys and all(n == 1 for n in keys.values()), {k: n for k, n in keys.items() if n > 1}
    assert set(keys) == await deliveries(h.services)
    vendor = [h.user(e) for e in ("minji@hanabpo.example", "jisoo@hanabpo.example", "hyun@hanabpo.example")]
    for user in vendor:  # each vendor member holds exactly one prompt
        prompts = [m for m in h.sandbox.dms(user)
                   if ((m.metadata or {}).get("event_payload") or {}).get("key", "").startswith("checkin:prompt:")]
        assert len(prompts) == 1
    assert any(k.startswith("esc:") for k in keys)
