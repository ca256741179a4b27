"""Connects features to each other's domain events at start-up (see `bot.events`)."""

from __future__ import annotations

from functools import partial

from bot.services import Services


def connect(services: Services) -> None:
    """Each feature that reacts to another's events subscribes here (one line per feature)."""
    from bot.checkins.fanout import on_timezone_changed
    from bot.home.service import on_home_changed  # imported here: they build on bot.services
    from bot.jira.wiring import connect as connect_jira

    connect_jira(services)  # Jira: adapter, events, webhook route
    services.events.subscribe("home.changed", on_home_changed(services))  # App Home: republish on change
    services.events.subscribe("member.timezone_changed",  # check-ins: prompts move to the new local time
                              partial(on_timezone_changed, services))
