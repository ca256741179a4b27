"""Everything a listener or a job needs, built once at start-up and passed along (no globals)."""

from __future__ import annotations

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


@dataclass
class Services:
    settings: Settings
    db: Database
    slack: AsyncWebClient
    clock: Clock = field(default_factory=SystemClock)
    events: EventBus = field(default_factory=EventBus)
    # Feature adapters that are optional (e.g. Jira when JIRA_URL is unset) hang here.
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.db.sessions

    @property
    def directory(self) -> SlackDirectory:
        return SlackDirectory(self.slack)

    def t(self, *locales: str | None) -> Translator:
        return translator(*locales)


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
