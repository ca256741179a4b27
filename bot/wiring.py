"""Connects features to each other's domain events at start-up (see `bot.events`)."""

from __future__ import annotations

import importlib

from bot.services import Services


def connect(services: Services) -> None:
    """Each feature that reacts to another's events subscribes here (one line per feature)."""
    importlib.import_module("bot.jira.wiring").connect(services)  # Jira: adapter, events, webhook route
    services.events.subscribe(  # App Home: republish whatever a feature says changed
        "home.changed", importlib.import_module("bot.home.service").on_home_changed(services))
