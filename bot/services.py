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
        slack=make_client(secret_value(settings.slack_bot_token), settings.slack_api_url),
        clock=clock or SystemClock(),
    )
    wiring.connect(services)
    return services
