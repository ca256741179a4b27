"""Connects features to each other's domain events at start-up (see `bot.events`)."""

from __future__ import annotations

from bot.services import Services


def connect(services: Services) -> None:
    """Each feature that reacts to another's events subscribes here (one line per feature)."""
