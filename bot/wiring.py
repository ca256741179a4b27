"""The composition root: builds the services and connects features to each other at start-up, through
domain events (see `bot.events`) and read-only providers (see `bot.metrics`). The one module of `bot/`
that imports every feature, so that no feature imports another."""

from __future__ import annotations

from functools import partial

from bot.clock import Clock, SystemClock
from bot.metrics import MetricsProviders
from bot.services import Services
from bot.settings import Settings, secret_value
from bot.slack import make_client
from storage.db import Database


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """The one `Services` of a process (or of a test's bot), with every feature connected."""
    services = Services(
        settings=settings,
        db=Database(settings.database_url),
        slack=make_client(secret_value(settings.slack_bot_token), settings.slack_api_url,
                          timeout=settings.slack_timeout),
        clock=clock or SystemClock(),
    )
    connect(services)
    return services


def connect(services: Services) -> None:
    """Each feature that reacts to another's events subscribes here (one line per feature), and each one
    that publishes figures for KPIs and the digest registers its provider."""
    # Imported here: they build on bot.services.
    from bot.checkins.fanout import on_timezone_changed
    from bot.checkins.service import checkin_metrics, latest_open_blockers
    from bot.escalations.service import escalation_metrics
    from bot.home.service import on_home_changed
    from bot.jira.service import jira_metrics
    from bot.jira.wiring import connect as connect_jira
    from bot.pulse.service import pulse_metrics

    connect_jira(services)  # Jira: adapter, events, webhook route
    services.events.subscribe("home.changed", on_home_changed(services))  # App Home: republish on change
    # Read-only figures each feature publishes for KPIs and the digest.
    services.metrics = MetricsProviders(checkins=checkin_metrics, escalations=escalation_metrics,
                                        pulse=pulse_metrics, jira=jira_metrics, open_blockers=latest_open_blockers)
    services.events.subscribe("member.timezone_changed",  # check-ins: prompts move to the new local time
                              partial(on_timezone_changed, services))
