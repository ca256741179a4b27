"""Engine, sessions and migrations for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers proceed while the scheduler writes; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


class _WriteTurns:
    """Gives this process's SQLite write transactions the database in turn (first come, first served).

    SQLite has one writer at a time; a connection that finds the write lock taken polls for it in its own
    thread, sleeping longer between tries (up to 100 ms), so a burst of small writes from many connections
    (a fan-out recording hundreds of sends a second as a rate-limit window opens) let fresh writers overtake
    one that had been waiting until it gave up after `busy_timeout` ("database is locked"), although no
    transaction held the lock for more than a few milliseconds. Here a transaction's first write waits in an
    asyncio queue until the previous writer of this process has committed or rolled back; `busy_timeout`
    is left for other processes (`oneteam` CLI commands)."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
    PATIENCE = 30.0  # seconds in the queue before giving up as SQLite would (a writer stuck mid-transaction)

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _turns(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()  # one queue per event loop (a CLI command may run several)
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    def before_execute(self, conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if "write_turn" in conn.info or not statement.lstrip()[:7].upper().startswith(self.WRITES):
            return
        lock = self._turns()
        try:
            conn.connection.dbapi_connection.run_async(lambda _driver: self._queue(lock))  # type: ignore[union-attr]
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked (by a write transaction of this process)") from None
        conn.info["write_turn"] = lock

    async def _queue(self, lock: asyncio.Lock) -> None:
        """Waits for the turn; `asyncio.timeout`, not `wait_for`: in Python 3.11 `wait_for` can swallow a
        cancellation that comes as the turn is given, and the cancelled task would write on."""
        async with asyncio.timeout(self.PATIENCE):
            await lock.acquire()

    @staticmethod
    def _release(info: dict[Any, Any]) -> None:
        lock = info.pop("write_turn", None)
        if lock is not None:
            lock.release()

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self.before_execute)
        event.listen(engine, "commit", lambda conn: self._release(conn.info))
        event.listen(engine, "rollback", lambda conn: self._release(conn.info))
        # a connection back in the pool has ended its transaction whichever way (a cancelled task included)
        event.listen(engine, "checkin", lambda _dbapi, record: self._release(record.info) if record else None)


class Database:
    """One engine and session factory per process, built from `DATABASE_URL`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # Names this process: pulse receipts say which process holds their answers in memory, and on
        # PostgreSQL the connections carry it, so that others can tell whether that process is alive.
        self.instance = uuid.uuid4().hex
        # Never echo SQL, and keep parameters (pulse answers, Slack ids) out of error messages as well.
        kwargs: dict[str, Any] = {"echo": False, "hide_parameters": True}
        if not self.is_sqlite:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10,
                          connect_args={"server_settings": {"application_name": f"oneteam:{self.instance}"}})
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            _WriteTurns().attach(self.engine.sync_engine)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(self.engine, expire_on_commit=False)

    async def migrate(self) -> None:
        """Apply every Alembic migration head (features branch off the foundation revision)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "heads")
