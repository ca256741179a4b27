"""Upserts that replace a row (`storage.upsert.upsert` with `update`) in a long-running bot."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

from sqlalchemy import Column, func, select

from bot.slack import SlackProfile, snapshot_values
from storage.db import Database
from storage.models import ProfileSnapshot
from storage.org import keep_profiles

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def test_a_replacing_upsert_builds_no_copy_of_the_table_each_time(database_url: str) -> None:
    """Each `INSERT … ON CONFLICT DO UPDATE` built its own `excluded` alias: a copy of every column of the
    table, cyclic garbage that piled up between full collections (bench/soak.py: 3,600 KPI sets)."""
    db = Database(database_url)
    await db.migrate()

    async def keep(status: str) -> None:
        profile = SlackProfile("U1", "T1", "Minji", None, "Asia/Seoul", "ko-KR", status, "", False)
        async with db.sessions.begin() as session:
            await keep_profiles(session, [snapshot_values(profile, NOW)])

    try:
        await keep("first")  # what is built once, on first use
        gc.collect()
        gc.disable()
        try:
            before = sum(isinstance(o, Column) for o in gc.get_objects())
            for i in range(20):
                await keep(f"status {i}")
            built = sum(isinstance(o, Column) for o in gc.get_objects()) - before
        finally:
            gc.enable()
        async with db.sessions() as session:
            kept = (await session.execute(select(func.count(), func.max(ProfileSnapshot.status_text)))).one()
    finally:
        await db.dispose()
    assert tuple(kept) == (1, "status 19")  # one row, with the last status
    assert built == 0
