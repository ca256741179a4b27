"""Check-ins job: open rounds, send due prompts and reminders, close rounds (all claimed in the database)."""

from __future__ import annotations

from bot.checkins.fanout import read_profiles_ahead, run_due
from bot.services import Services


async def tick(services: Services) -> None:
    await run_due(services)


async def profiles_tick(services: Services) -> None:
    """Reads ahead the Slack profiles of people on no `users.list` page whose prompt falls due soon: its own
    job, so that its paced reads never hold up the check-ins tick."""
    await read_profiles_ahead(services)
