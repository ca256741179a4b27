"""Everything a listener or a job needs, built once at start-up and passed along (no globals)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.events import EventBus
from bot.i18n import Translator, translator
from bot.settings import Settings, secret_value
from bot.slack import SlackDirectory, make_client
from storage.db import Database

log = logging.getLogger("oneteam.services")


class AckGate:
    """Acks first: work a listener does after its ack waits (briefly) while other requests are still
    waiting for theirs, so that a burst of commands is acked at the speed of a bare app and the work
    behind them follows."""

    MAX_WAIT_SECONDS = 5.0

    def __init__(self) -> None:
        self.in_flight = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    def enter(self) -> None:
        self.in_flight += 1
        self._quiet.clear()

    def leave(self) -> None:
        self.in_flight -= 1
        if self.in_flight <= 0:
            self.in_flight = 0
            self._quiet.set()

    async def quiet(self) -> None:
        if self.in_flight:
            try:
                await asyncio.wait_for(self._quiet.wait(), self.MAX_WAIT_SECONDS)
            except TimeoutError:
                pass  # under steady load the work must still make progress


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
    acks: AckGate = field(default_factory=AckGate)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.db.sessions

    @property
    def directory(self) -> SlackDirectory:
        return SlackDirectory(self.slack)

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


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    from bot import wiring

    services = Services(
        settings=settings,
        db=Database(settings.database_url),
        slack=make_client(secret_value(settings.slack_bot_token), settings.slack_api_url,
                          timeout=settings.slack_timeout),
        clock=clock or SystemClock(),
    )
    wiring.connect(services)
    return services
