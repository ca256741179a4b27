"""Weekly manager digest: wakes every few minutes and sends the digests whose time has come
(Monday 09:00 in each manager's zone by default). Unique delivery keys make it once per manager and week."""

from __future__ import annotations

from bot.digest.service import send_due_digests
from bot.services import Services

EVERY_SECONDS = 300


async def tick(services: Services) -> None:
    await send_due_digests(services)
