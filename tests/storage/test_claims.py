"""Claims by insert: one winner, and a lost claim is no error on the database server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.db import Database
from storage.ledger import first_time
from storage.milestones import first_start

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@asynccontextmanager
async def instance(url: str) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession], list[str]]]:
    """One instance with one connection (one server process on PostgreSQL, whose statistics the test can
    flush), and the database errors its statements met, caught by the code or not."""
    engine = create_async_engine(url, **({} if url.startswith("sqlite") else {"pool_size": 1, "max_overflow": 0}))
    errors: list[str] = []
    event.listen(engine.sync_engine, "handle_error", lambda ctx: errors.append(type(ctx.original_exception).__name__))
    try:
        yield engine, async_sessionmaker(engine, expire_on_commit=False), errors
    finally:
        await engine.dispose()


async def _rollbacks(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        count = int((await conn.execute(text(
            "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()"))).scalar_one())
        await conn.commit()  # (a rollback here would count)
        return count


async def _flush_stats(engine: AsyncEngine) -> None:
    """The server process reports its counters when idle after this call (PostgreSQL 15+); the second
    statement returns only once it has."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_stat_force_next_flush()"))
        await conn.commit()
        await conn.execute(text("SELECT 1"))
        await conn.commit()


async def test_contested_claims_have_one_winner_and_make_no_database_errors(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    await db.dispose()
    postgres = not database_url.startswith("sqlite")
    async with instance(database_url) as (a, sessions_a, errors_a), \
            instance(database_url) as (b, sessions_b, errors_b):
        if postgres:
            await _flush_stats(a)
            await _flush_stats(b)
            before = await _rollbacks(a)
        keys = [f"event:Ev{i}" for i in range(40)]
        won: list[Any] = await asyncio.gather(*(first_time(s, k, NOW) for k in keys for s in (sessions_a, sessions_b)))
        again = await first_time(sessions_a, keys[0], NOW)
        if postgres:  # (every transaction above commits: a rollback is a failed statement's)
            await _flush_stats(a)
            await _flush_stats(b)
            rolled_back = await _rollbacks(a) - before
        starts = await asyncio.gather(first_start(sessions_a, NOW), first_start(sessions_b, NOW.replace(hour=13)))
    assert [won[i] + won[i + 1] for i in range(0, len(won), 2)] == [1] * len(keys)  # one winner per key
    assert again is False and starts[0] == starts[1]
    if postgres:
        assert rolled_back == 0  # a "duplicate key" error aborts its transaction: none did
    assert errors_a == errors_b == []
