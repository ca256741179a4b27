"""The escalation clock: every minute (and once at start-up) overdue steps advance, each exactly once."""

from __future__ import annotations

from bot.escalations import service
from bot.services import Services


async def tick(services: Services) -> None:
    """Claims overdue escalations by compare-and-set and sends what a crash left unsent."""
    await service.advance_due(services)


async def sla_tick(services: Services) -> None:
    """Announces SLA warnings and breaches that fell due, each once (a job of its own, so that a slow
    SLA pass never delays the escalation steps)."""
    await service.advance_sla(services)
