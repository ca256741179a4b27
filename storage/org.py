"""Queries about the organisation that every feature needs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.db import Database
from storage.models import Member, Membership, ProfileSnapshot, Team
from storage.upsert import upsert

ORG_APPLY_LOCK = 0x0E7EA5  # PostgreSQL advisory lock: one org apply at a time across instances


async def member_by_slack_id(session: AsyncSession, slack_user_id: str) -> Member | None:
    return await session.scalar(
        select(Member)
        .where(Member.slack_user_id == slack_user_id, Member.active.is_(True))
        .options(joinedload(Member.memberships).joinedload(Membership.team))
    )


async def team_by_key(session: AsyncSession, key: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.key == key, Team.active.is_(True)))


async def active_teams(session: AsyncSession) -> Sequence[Team]:
    return (await session.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.key))).all()


async def team_members(session: AsyncSession, team_id: int, *roles: str) -> list[tuple[Member, list[str]]]:
    """Active members of a team with their roles there; filtered to any of `roles` when given.

    The roles are a JSON list: the database narrows the rows by their text (the same on SQLite and
    PostgreSQL), so that finding a team's three liaisons does not load its 10,000 agents; the exact test
    is then made here."""
    query = (
        select(Member, Membership.roles)
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.team_id == team_id, Member.active.is_(True))
        .order_by(Member.id)
    )
    if roles:
        as_text = cast(Membership.roles, String)
        query = query.where(or_(*(as_text.contains(f'"{role}"', autoescape=True) for role in roles)))
    out = [(m, list(r)) for m, r in (await session.execute(query)).all()]
    return [(m, r) for m, r in out if not roles or set(roles) & set(r)]


def roles_in(member: Member, team_id: int) -> set[str]:
    """A member's roles in one team (needs `memberships` loaded); admins are admins everywhere."""
    roles = {r for ms in member.memberships if ms.team_id == team_id for r in ms.roles}
    return roles | ({"admin"} if member.is_admin else set())


@asynccontextmanager
async def org_apply_turn(db: Database) -> AsyncIterator[None]:
    """Held while one instance applies the org file: instances starting together take turns, and the later
    ones then find the digest already stored. SQLite has a single process, so nothing to hold."""
    if db.is_sqlite:
        yield
        return
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ORG_APPLY_LOCK})
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ORG_APPLY_LOCK})
            await conn.commit()


async def keep_profiles(session: AsyncSession, rows: Iterable[dict[str, Any]]) -> None:
    """Stores profile snapshots (`ProfileSnapshot` columns), replacing older ones of the same people."""
    for values in rows:
        await upsert(session, ProfileSnapshot, values, ("slack_user_id",),
                     update=[k for k in values if k != "slack_user_id"])


async def refresh_kept_profile(session: AsyncSession, values: dict[str, Any]) -> None:
    """Updates the snapshot of someone whose profile is kept (a `user_change` event); creates none, since a
    snapshot marks a person read one by one (on no `users.list` page)."""
    await session.execute(update(ProfileSnapshot).where(ProfileSnapshot.slack_user_id == values["slack_user_id"])
                          .values({k: v for k, v in values.items() if k != "slack_user_id"}))


async def kept_profiles(session: AsyncSession, slack_user_ids: Iterable[str], since: datetime) -> list[ProfileSnapshot]:
    """The snapshots of these people read at `since` or later."""
    return list((await session.scalars(select(ProfileSnapshot).where(
        ProfileSnapshot.slack_user_id.in_(list(slack_user_ids)), ProfileSnapshot.read_at >= since))).all())
