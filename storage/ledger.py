"""The replay ledger: keys of work done once whatever the number of deliveries or instances (Slack retries
of an event, a Jira webhook delivered twice, a file upload that has no idempotency key of its own)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import HandledDelivery
from storage.upsert import insert_once


async def first_time(sessions: async_sessionmaker[AsyncSession], key: str, at: datetime) -> bool:
    """True for the first claim of `key` in any instance (a lost claim is no error on the server)."""
    async with sessions.begin() as session:
        return await insert_once(session, HandledDelivery, {"key": key[:200], "handled_at": at})
