"""The weekly sync: wakes every minute to draft agendas whose time has come, ask facilitators for minutes
when a meeting has ended, and remind owners of due action items. Meeting rows (unique per team and start)
and delivery keys make each of these happen once, whichever instance wakes."""

from __future__ import annotations

from bot.services import Services
from bot.sync.service import run_due

EVERY_SECONDS = 60


async def tick(services: Services) -> None:
    await run_due(services)
