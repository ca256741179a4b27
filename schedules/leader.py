"""Which instance runs the clock. On PostgreSQL the leader holds an advisory lock on a connection of its
own: when the leader dies its connection closes, the lock is released, and another instance takes over
at its next try. On SQLite there is one process, which always leads. The claims each job makes on due
rows keep even a brief double run safe."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger("oneteam.leader")
LOCK_KEY = 0x0E7EA4  # any constant shared by every instance of OneTeam on the same database


class Leadership:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None

    @property
    def is_leader(self) -> bool:
        return self.db.is_sqlite or self._conn is not None

    async def try_acquire(self) -> bool:
        """True when this instance leads (now or already); never blocks."""
        if self.is_leader:
            if self._conn is not None and not await self._alive():
                self._conn = None
                log.warning("lost the leader lock's connection")
                return False
            return True
        conn = await self.db.engine.connect()
        try:
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})).scalar()
            await conn.commit()
        except Exception:
            await conn.close()
            raise
        if got:
            self._conn = conn
            log.info("this instance now runs the scheduler")
            return True
        await conn.close()
        return False

    async def _alive(self) -> bool:
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:
            return False

    async def release(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                await self._conn.commit()
            finally:
                await self._conn.close()
                self._conn = None
