"""Who sent a Slack request: their language before the ack, their org record only when a listener asks.

The language is cached per person for a few minutes (a change of Slack locale may take that long to
show), so that acking needs no database round trip; the org record is read on demand, after the ack.
A view submission's language is looked up only when it is needed (`caller_t`) or cached by the
transaction that read the caller anyway (`LocaleCache.put`).
"""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from sqlalchemy import select

from bot.i18n import Translator, translator
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

    def peek(self, user_id: str) -> tuple[str | None, str | None] | None:
        """The cached locales, or None (no database read)."""
        hit = self._entries.get(user_id)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def put(self, user_id: str, locales: tuple[str | None, str | None]) -> None:
        if len(self._entries) >= LOCALE_CACHE_MAX:
            self._entries.clear()
        self._entries[user_id] = (time.monotonic() + self.ttl, locales)

    async def get(self, services: Services, user_id: str) -> tuple[str | None, str | None]:
        hit = self.peek(user_id)
        if hit is not None:
            return hit
        async with services.sessions() as session:
            row = (await session.execute(
                select(Member.locale, Team.locale)
                .outerjoin(Membership, Membership.member_id == Member.id)
                .outerjoin(Team, Team.id == Membership.team_id)
                .where(Member.slack_user_id == user_id, Member.active.is_(True))
                .order_by(Membership.id).limit(1))).first()
        locales = (row[0], row[1]) if row else (None, None)
        self.put(user_id, locales)
        return locales


async def caller_t(context: AsyncBoltContext | dict[str, Any]) -> Translator:
    """The caller's translator (`t`), looked up now when the middleware left it for later."""
    if "t" not in context:
        cache: LocaleCache | None = context.get("locales")
        user_id = context.get("user_id")
        if cache is None or not user_id or "services" not in context:
            return translator()
        context["t"] = translator(*await cache.get(context["services"], user_id))
    t: Translator = context["t"]
    return t


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
