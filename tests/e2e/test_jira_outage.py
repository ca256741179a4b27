"""A week without Jira: the outbox keeps every write, retries at most hourly, and delivers each once after."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.clock import FakeClock
from bot.jira import outbox
from bot.jira.adapter import IssueRef, JiraAdapter
from sandbox.harness import Harness
from storage.models import JiraLink, JiraOutboxItem

SAM = "sam@acme.example"
TICK = timedelta(minutes=20)


@pytest.fixture
async def h(clock: FakeClock) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, jira="cloud") as harness:
        yield harness


async def jira_list(h: Harness) -> str:
    """`oneteam jira list`, run as an admin would, against the bot's database."""
    result = await asyncio.to_thread(CliRunner().invoke, main, ["jira", "list"],
                                     env={"DATABASE_URL": h.database_url})
    assert result.exit_code == 0, result.output
    return result.output


def test_backoff_is_capped_at_an_hour_for_any_attempt_count() -> None:
    assert outbox.backoff(1) == timedelta(seconds=30)
    assert outbox.backoff(43) == outbox.BACKOFF_MAX
    assert outbox.backoff(10**6) == outbox.BACKOFF_MAX


async def test_a_week_long_outage_retries_hourly_and_delivers_each_write_once(h: Harness, clock: FakeClock) -> None:
    h.jira.inject(503, times=10**9, path_contains="/rest/api")  # every Jira call fails, for as long as it takes
    for n in range(3):
        assert (await h.command(SAM, "/escalate", f"P1 team:care-hana Outage {n}")).ok
        await h.settle()
        await outbox.drain(h.services)
    attempts_at: dict[int, list[tuple[datetime, int]]] = {}
    start = clock.now()
    while clock.now() - start < timedelta(days=7):
        clock.advance(seconds=TICK.total_seconds())
        await outbox.tick(h.services)
        async with h.services.sessions() as session:
            items = (await session.scalars(select(JiraOutboxItem))).all()
        assert [i.state for i in items] == ["pending"] * 3  # never stuck `running`, never given up
        for item in items:
            seen = attempts_at.setdefault(item.id, [])
            if not seen or seen[-1][1] < item.attempts:
                seen.append((clock.now(), item.attempts))
        if (clock.now() - start) % timedelta(days=1) < TICK:
            listing = await jira_list(h)
            assert listing.count("\tpending\t") == 3 and "running" not in listing
    for seen in attempts_at.values():
        assert seen[-1][1] > 43  # past the attempt that used to overflow
        late = [at for at, _ in seen if at - start > timedelta(hours=6)]  # past the short early backoffs
        gaps = [b - a for a, b in itertools.pairwise(late)]
        assert all(gap >= timedelta(hours=1) for gap in gaps)
        assert all(gap <= timedelta(hours=1) + TICK for gap in gaps)  # and it keeps trying every hour
    assert h.jira.issues == {}

    h.jira.faults.status_faults.clear()  # Jira is back
    clock.advance(hours=1)
    await outbox.tick(h.services)
    await outbox.drain(h.services)
    assert sorted(i["fields"]["summary"].split("] ")[1] for i in h.jira.issues.values()) == [
        "Outage 0", "Outage 1", "Outage 2"]
    clock.advance(hours=2)
    await outbox.tick(h.services)
    assert len(h.jira.issues) == 3  # each delivered exactly once
    assert "the Jira outbox is empty" in await jira_list(h)


async def test_one_failing_item_does_not_stop_the_batch(h: Harness, clock: FakeClock,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    h.jira.inject(503, times=2, path_contains="/rest/api")
    for n in range(2):
        await h.command(SAM, "/escalate", f"P1 team:care-hana Outage {n}")
        await h.settle()
        await outbox.drain(h.services)
    real = outbox._create
    calls: list[int] = []

    async def first_breaks(adapter: JiraAdapter, item: JiraOutboxItem, link: JiraLink) -> IssueRef:
        """The real create, except that the first item of the batch hits an unexpected error."""
        calls.append(item.id)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return await real(adapter, item, link)

    monkeypatch.setattr(outbox, "_create", first_breaks)
    clock.advance(hours=1)
    assert await outbox.tick(h.services) == 2
    async with h.services.sessions() as session:
        states = [i.state for i in (await session.scalars(select(JiraOutboxItem).order_by(JiraOutboxItem.id))).all()]
    assert states == ["pending", "done"]
    clock.advance(hours=1)
    await outbox.tick(h.services)
    assert len(h.jira.issues) == 2
