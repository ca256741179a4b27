"""Everything a listener or a job needs, built once at start-up and passed along (no globals)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.events import EventBus
from bot.i18n import Translator, translator
from bot.metrics import MetricsProviders
from bot.settings import Settings
from bot.slack import BotIdentity, SlackDirectory
from storage.db import Database

log = logging.getLogger("oneteam.services")


class AckGate:
    """Acks first: work a listener does after its ack waits (briefly) while other requests are still
    waiting for theirs, so that a burst of commands is acked at the speed of a bare app and the work
    behind them follows.

    The gate opens once no request has been in flight for `settle` seconds: a burst has brief gaps between
    its requests, and work let through in such a gap would run in the middle of the burst. No work waits
    longer than `max_wait`: under steady load it must still progress, and a modal's trigger_id lives 3 s.
    An open gate lets the waiting work through one at a time, one per turn of the event loop, oldest first,
    and stops when a request comes in: hundreds of waiters woken together would all run before the next
    request's first step (bench/ack_latency.py: a request that came as a burst's work was let through waited
    60 ms more)."""

    def __init__(self, *, settle: float = 0.02, max_wait: float = 2.0) -> None:
        self.settle, self.max_wait = settle, max_wait
        self.in_flight = 0
        self._open = True
        self._settling: asyncio.TimerHandle | None = None
        self._waiting: dict[asyncio.Future[None], None] = {}  # insertion-ordered: oldest first
        self._releasing = False

    def enter(self) -> None:
        self.in_flight += 1
        self._open = False
        if self._settling is not None:
            self._settling.cancel()
            self._settling = None

    def leave(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        if not self.in_flight and self._settling is None:
            self._settling = asyncio.get_running_loop().call_later(self.settle, self._settled)

    def _settled(self) -> None:
        self._settling = None
        if not self.in_flight:
            self._open = True
            if not self._releasing:
                self._release()

    def _release(self) -> None:
        """Wakes the oldest waiter, and calls itself again on the loop's next turn while the gate is open."""
        self._releasing = False
        if not self._open or not self._waiting:
            return
        waiter = next(iter(self._waiting))
        del self._waiting[waiter]
        if not waiter.done():
            waiter.set_result(None)
        self._releasing = True
        asyncio.get_running_loop().call_soon(self._release)

    async def quiet(self, limit: float | None = None) -> None:
        """Returns once no request waits for its ack (and the work that waited longer has been let through),
        or after `limit` (default `max_wait`) seconds."""
        if self._open and not self._waiting:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[waiter] = None
        try:
            with contextlib.suppress(TimeoutError):  # (not `wait_for`: it can swallow a cancellation in 3.11)
                async with asyncio.timeout(self.max_wait if limit is None else max(0.0, limit)):
                    await waiter
        finally:
            self._waiting.pop(waiter, None)


@dataclass
class Services:
    settings: Settings
    db: Database
    slack: AsyncWebClient
    clock: Clock = field(default_factory=SystemClock)
    events: EventBus = field(default_factory=EventBus)
    # Feature adapters that are optional (e.g. Jira when JIRA_URL is unset) hang here.
    extras: dict[str, Any] = field(default_factory=dict)
    background: set[asyncio.Task] = field(default_factory=set)
    # Scheduled job runs in progress: a stop waits for them to unwind before it closes the database.
    jobs: set[asyncio.Task] = field(default_factory=set)
    acks: AckGate = field(default_factory=AckGate)
    # What each feature publishes for KPIs and the digest (registered in bot/wiring.py).
    metrics: MetricsProviders = field(default_factory=MetricsProviders)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.db.sessions

    @property
    def directory(self) -> SlackDirectory:
        return SlackDirectory(self.slack)

    @cached_property
    def identity(self) -> BotIdentity:
        return BotIdentity(self.slack)

    def t(self, *locales: str | None) -> Translator:
        return translator(*locales)

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task:
        """Runs work that must not hold up its caller (an ack, a tick); a clean stop waits for it."""
        task = asyncio.create_task(work, name=name)
        self.background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception(), extra={"task": task.get_name()})

