"""Check-ins job: open rounds, send due prompts and reminders, close rounds (all claimed in the database)."""

from __future__ import annotations

from bot.checkins.fanout import run_due
from bot.services import Services


async def tick(services: Services) -> None:
    await run_due(services)
