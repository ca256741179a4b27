"""Jira jobs: run due outbox writes, pull changes from Jira (the webhook's safety net), store weekly counts.
Each is a no-op when Jira is not configured."""

from __future__ import annotations

from bot.jira import outbox, service, sync
from bot.services import Services

OUTBOX_EVERY = 30
SYNC_EVERY = 300  # the default: every 5 minutes
STATS_EVERY = 3600


async def outbox_tick(services: Services) -> None:
    await outbox.tick(services)


async def sync_tick(services: Services) -> None:
    await sync.tick(services)


async def stats_tick(services: Services) -> None:
    await service.compute_weekly_stats(services)
