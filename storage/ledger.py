"""The replay ledger: keys of work done once whatever the number of deliveries or instances (Slack retries
of an event, a Jira webhook delivered twice, a file upload that has no idempotency key of its own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import HandledDelivery
from storage.upsert import insert_once


async def first_time(sessions: async_sessionmaker[AsyncSession], key: str, at: datetime) -> bool:
    """True for the first claim of `key` in any instance (a lost claim is no error on the server)."""
    async with sessions.begin() as session:
        return await claim(session, key, at)


async def claim(session: AsyncSession, key: str, at: datetime) -> bool:
    """`first_time` inside the caller's transaction: the claim commits, or rolls back, with the work it guards."""
    return await insert_once(session, HandledDelivery, {"key": key[:200], "handled_at": at})


class AlreadyHandled(Exception):
    """The work's key was claimed before (a replay): the transaction that raised it rolls back."""


@dataclass(frozen=True)
class Claim:
    """A request's key, claimed by the transaction that does the request's work (one write, not two)."""

    key: str
    at: datetime

    async def within(self, session: AsyncSession) -> None:
        """Claims the key in `session`'s transaction; raises AlreadyHandled for a replay."""
        if not await claim(session, self.key, self.at):
            raise AlreadyHandled(self.key.split(":")[0])
