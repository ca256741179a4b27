"""The pulse cadence job: due work is rows (surveys, flags, follow-ups); this only wakes it up."""

from __future__ import annotations

from bot.pulse import flows
from bot.services import Services


async def tick(services: Services) -> None:
    await flows.run(services)
