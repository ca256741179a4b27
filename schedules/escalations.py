"""The escalation clock: every minute (and once at start-up) overdue steps advance, each exactly once."""

from __future__ import annotations

from bot.escalations import service
from bot.services import Services


async def tick(services: Services) -> None:
    """Claims overdue escalations by compare-and-set and sends what a crash left unsent."""
    await service.advance_due(services)
