"""Rounds and prompts are created by insert-once: instances opening the same round at once (two of them, or
a tick that overlaps the previous one) agree on one round and one prompt per member, and meet no database
error (on PostgreSQL a lost race over a unique row would be a "duplicate key" error in the server's log)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import delete, event, func, select

from bench.checkin_fanout import FRIDAY_1600_UTC, bulk_org
from bot.checkins.fanout import open_rounds
from bot.clock import FakeClock
from sandbox.harness import Harness
from storage.models import CheckinPrompt, CheckinRound

MEMBERS = 20


async def test_rounds_and_missing_prompts_opened_at_once_make_one_of_each_and_no_database_error(
        clock: FakeClock, database_url: str) -> None:
    clock.set(FRIDAY_1600_UTC - timedelta(hours=4))
    async with Harness(org=bulk_org(MEMBERS), clock=clock, database_url=database_url) as h:
        errors: list[str] = []
        event.listen(h.services.db.engine.sync_engine, "handle_error",
                     lambda ctx: errors.append(type(ctx.original_exception).__name__))
        created = await asyncio.gather(*(open_rounds(h.services) for _ in range(4)))
        assert sorted(len(c) for c in created) == [0, 0, 0, 1]
        async with h.services.sessions.begin() as session:  # members who joined after the round was made
            await session.execute(delete(CheckinPrompt).where(CheckinPrompt.id % 2 == 0))
        await asyncio.gather(*(open_rounds(h.services) for _ in range(4)))
        async with h.services.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(CheckinRound)) == 1
            assert await session.scalar(select(func.count()).select_from(CheckinPrompt)) == MEMBERS
        assert errors == []
