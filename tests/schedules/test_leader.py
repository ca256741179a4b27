"""One instance runs the clock; when it dies another takes over."""

from __future__ import annotations

import pytest

from schedules.leader import Leadership
from storage.db import Database


async def test_only_one_instance_leads_and_another_takes_over(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite is one process: it always leads")
    first, second = Database(database_url), Database(database_url)
    a, b = Leadership(first), Leadership(second)
    try:
        assert await a.try_acquire() is True
        assert await b.try_acquire() is False
        assert await a.try_acquire() is True  # still leading
        await a._conn.invalidate()  # the leader dies: its connection, and the lock, go with it
        assert await b.try_acquire() is True
    finally:
        await b.release()
        await second.dispose()
        await first.dispose()


async def test_sqlite_always_leads(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert await Leadership(db).try_acquire() is True
    await db.dispose()
