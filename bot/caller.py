"""Who sent a Slack request: their language before the ack, their org record only when a listener asks.

The language is cached per person for a few minutes (a change of Slack locale may take that long to
show), so that acking needs no database round trip; the org record is read on demand, after the ack.
"""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from sqlalchemy import select

from bot.services import Services
from storage.models import Member, Membership, Team
from storage.org import member_by_slack_id

LOCALE_TTL_SECONDS = 300.0
LOCALE_CACHE_MAX = 50_000


class LocaleCache:
    """slack user id -> (member's locale, their first team's locale), for a few minutes."""

    def __init__(self, ttl: float = LOCALE_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, tuple[str | None, str | None]]] = {}

    async def get(self, services: Services, user_id: str) -> tuple[str | None, str | None]:
        now = time.monotonic()
        hit = self._entries.get(user_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with services.sessions() as session:
            row = (await session.execute(
                select(Member.locale, Team.locale)
                .outerjoin(Membership, Membership.member_id == Member.id)
                .outerjoin(Team, Team.id == Membership.team_id)
                .where(Member.slack_user_id == user_id, Member.active.is_(True))
                .order_by(Membership.id).limit(1))).first()
        locales = (row[0], row[1]) if row else (None, None)
        if len(self._entries) >= LOCALE_CACHE_MAX:
            self._entries.clear()
        self._entries[user_id] = (now + self.ttl, locales)
        return locales


async def caller(context: AsyncBoltContext | dict[str, Any]) -> Member | None:
    """The caller's org record (memberships and teams loaded), read once per request."""
    if "member" not in context:
        services: Services = context["services"]
        member = None
        if context.get("user_id"):
            async with services.sessions() as session:
                member = await member_by_slack_id(session, context["user_id"])
        context["member"] = member
    return context["member"]
