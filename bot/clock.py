"""Time is injected so that tests move it instead of sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC datetime."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Waits `seconds` of this clock's time (a timer of the work itself, such as a lease's renewal)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock tests set and advance by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []
        self._sleeping = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta or timedelta(**kwargs)
        self._wake()
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when
        self._wake()

    async def sleep(self, seconds: float) -> None:
        """Returns once a test has moved the clock `seconds` on (never by itself)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self._now + timedelta(seconds=seconds), waiter)
        self._sleepers.append(entry)
        self._sleeping.set()
        try:
            await waiter
        finally:
            if entry in self._sleepers:  # cancelled while waiting
                self._sleepers.remove(entry)
                if not self._sleepers:
                    self._sleeping.clear()

    async def sleeping(self) -> None:
        """Returns once some task waits in `sleep`: the work under test has come to its next timer."""
        await self._sleeping.wait()

    def _wake(self) -> None:
        due = [entry for entry in self._sleepers if entry[0] <= self._now]
        self._sleepers = [entry for entry in self._sleepers if entry[0] > self._now]
        if not self._sleepers:
            self._sleeping.clear()
        for _, waiter in due:
            if not waiter.done():
                waiter.set_result(None)
