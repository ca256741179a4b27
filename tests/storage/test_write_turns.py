"""SQLite: the process's write transactions take turns in a queue instead of racing for the lock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from storage.db import Database
from storage.models import Delivery

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
BUSY_MS = 50  # SQLite's own wait for the lock, shortened from the 5 s the bot sets so the test stays quick


async def test_a_writer_waits_its_turn_however_long_the_writer_before_it_takes(tmp_path: Path) -> None:
    """A burst of sends once made a writer give up with "database is locked" while every transaction was
    short: SQLite's polling lets newer writers overtake. A writer now queues behind this process's current
    one and writes when it is done, however long that took, instead of failing after `busy_timeout`."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}")
    await db.migrate()
    await db.engine.dispose()  # new connections, with the shortened wait below

    def short_busy(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        cur.close()

    event.listen(db.engine.sync_engine, "connect", short_busy)
    writing, finish = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with db.sessions.begin() as session:
            session.add(Delivery(key="first", channel="U1", state="sending", claimed_at=NOW))
            await session.flush()  # holds the write lock from here to the commit
            writing.set()
            await finish.wait()

    async def second() -> None:
        async with db.sessions.begin() as session:
            session.add(Delivery(key="second", channel="U1", state="sending", claimed_at=NOW))

    try:
        holder = asyncio.create_task(first())
        await writing.wait()
        waiter = asyncio.create_task(second())
        # real time, as SQLite's wait is: ten times its busy timeout, and the waiter has neither failed nor written
        done, _ = await asyncio.wait({waiter}, timeout=BUSY_MS / 100)
        assert not done, waiter.exception()
        finish.set()
        await asyncio.gather(holder, waiter)
        async with db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Delivery)) == 2
    finally:
        await db.dispose()
