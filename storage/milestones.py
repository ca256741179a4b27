"""Reading and recording `Milestone`s."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import CheckinRound, Milestone
from storage.upsert import insert_once

FIRST_START = "first_start"


async def first_start(sessions: async_sessionmaker[AsyncSession], now: datetime) -> datetime:
    """When the scheduler first ran on this database; the first call records `now` (one instance wins), or
    the first check-in round's creation on a database from before this record existed."""
    async with sessions() as session:
        row = await session.get(Milestone, FIRST_START)
        earliest = None if row is not None else await session.scalar(select(func.min(CheckinRound.created_at)))
    if row is not None:
        return row.at
    if earliest is not None:
        now = min(now, earliest)
    async with sessions.begin() as session:
        won = await insert_once(session, Milestone, {"name": FIRST_START, "at": now})
    if not won:  # another instance recorded it first
        async with sessions() as session:
            row = await session.get(Milestone, FIRST_START)
        assert row is not None
        return row.at
    return now
