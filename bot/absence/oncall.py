"""Who is on call: `/oneteam oncall [team]`, `/oneteam cover @person ‹first day› [last day] [team] [rotation]`,
and the provider escalation levels read a rotation through (`MetricsProviders.on_duty`).

A cover puts a person on duty for whole days of the team's calendar zone. It may be recorded by the team's
liaisons, managers and admins, or by the person who covers (taking a shift themselves); `bot/permissions.py`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import blocks as bk
from bot.absence.service import MAX_AHEAD_DAYS, parse_day
from bot.calendar import team_calendar
from bot.errors import UserFacingError
from bot.i18n import Translator
from bot.permissions import Action, Subject, authorize
from bot.rotations import Rotation, oncall_config
from bot.services import Services
from storage.models import Member, Membership, OncallCover, Team
from storage.org import member_by_slack_id, team_by_key

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


async def on_duty(session: AsyncSession, team: Team, name: str, now: datetime) -> list[Member]:
    """Whoever is on duty in the team's rotation `name` at `now`: a cover for the day, else the schedule."""
    rotation = oncall_config(team.config).rotation(name)
    if rotation is None:
        return []
    day = now.astimezone(team_calendar(team).tz).date()
    cover = await session.scalar(select(OncallCover).where(
        OncallCover.team_id == team.id, OncallCover.rotation == name, OncallCover.first_day <= day,
        OncallCover.last_day >= day).order_by(OncallCover.id.desc()).limit(1))
    if cover is not None:
        member = await session.get(Member, cover.member_id)
        return [member] if member is not None and member.active else []
    email = rotation.shift(now, team_calendar(team).tz)[0]
    member = await session.scalar(select(Member).where(Member.email == email, Member.active.is_(True)))
    return [member] if member is not None else []


async def _teams(session: AsyncSession, member: Member, key: str | None) -> list[Team]:
    if key is not None:
        team = await team_by_key(session, key.lower())
        if team is None:
            raise UserFacingError("absence.errors.unknown_team", team=key[:40])
        return [team]
    ids = [ms.team_id for ms in member.memberships]
    teams = (await session.scalars(select(Team).where(Team.id.in_(ids), Team.active.is_(True))
                                   .order_by(Team.key))).all()
    return [t for t in teams if oncall_config(t.config).rotations]


def _who(member: Member | None, fallback: str) -> str:
    if member is None:
        return fallback
    return bk.mention(member.slack_user_id) if member.slack_user_id else member.name


async def oncall(services: Services, member: Member, args: list[str], t: Translator) -> bk.Rendered:
    """Each rotation of the caller's teams (or of `team`): who is on now, until when, and who is next."""
    if len(args) > 1:
        raise UserFacingError("absence.errors.oncall_usage")
    now = services.clock.now()
    lines: list[str] = []
    async with services.sessions() as session:
        for team in await _teams(session, member, args[0] if args else None):
            tz = team_calendar(team).tz
            for rotation in oncall_config(team.config).rotations:
                current = await on_duty(session, team, rotation.name, now)
                _, _, ends = rotation.shift(now, tz)
                following = await on_duty(session, team, rotation.name, ends)
                lines.append(t("absence.oncall.line", team=team.name, rotation=rotation.name,
                               now=_who(current[0] if current else None, "-"), until=t.date_token(ends),
                               next=_who(following[0] if following else None, "-")))
    if not lines:
        raise UserFacingError("absence.errors.no_rotations")
    title = t("absence.oncall.title")
    return bk.Rendered(title, [bk.section(title), bk.section(bk.Mrkdwn("\n").join(lines))])


def _rotation_of(team: Team, name: str | None) -> Rotation:
    rotations = oncall_config(team.config).rotations
    found = next((r for r in rotations if name in (None, r.name)), None)
    if found is None:
        raise UserFacingError("absence.errors.no_rotation", team=team.name, name=name or "")
    return found


async def cover(services: Services, member: Member, args: list[str], t: Translator) -> bk.Rendered:
    """Records that `@person` is on duty in a rotation from the first to the last day (team's calendar)."""
    mentioned = _MENTION.match(args[0]) if args else None
    if mentioned is None or len(args) < 2 or len(args) > 5:
        raise UserFacingError("absence.errors.cover_usage")
    first = parse_day(args[1])
    has_last = len(args) > 2 and bool(re.match(r"^\d", args[2]))
    last = parse_day(args[2]) if has_last else first
    rest = args[3 if has_last else 2:]
    async with services.sessions.begin() as session:
        person = await member_by_slack_id(session, mentioned[1])
        if person is None:
            raise UserFacingError("absence.errors.cover_unknown_person")
        teams = await _teams(session, member, rest[0] if rest else None)
        if not teams:
            raise UserFacingError("absence.errors.no_rotations")
        team = teams[0]
        caller = await session.scalar(select(Member).where(Member.id == member.id)
                                      .options(selectinload(Member.memberships).selectinload(Membership.team)))
        authorize(caller or member, Action.ONCALL_COVER, Subject(team_id=team.id, owner_id=person.id),
                  team=team.name)
        rotation = _rotation_of(team, rest[1] if len(rest) > 1 else None)
        today = services.clock.now().astimezone(team_calendar(team).tz).date()
        if first > last:
            raise UserFacingError("absence.errors.order", first=t.day(first), last=t.day(last))
        if last < today:
            raise UserFacingError("absence.errors.past", last=t.day(last))
        if last > today + timedelta(days=MAX_AHEAD_DAYS):
            raise UserFacingError("absence.errors.too_far", days=MAX_AHEAD_DAYS)
        clash = await session.scalar(select(OncallCover).where(
            OncallCover.team_id == team.id, OncallCover.rotation == rotation.name,
            OncallCover.first_day <= last, OncallCover.last_day >= first).limit(1))
        if clash is not None:
            raise UserFacingError("absence.errors.cover_overlap", first=t.day(clash.first_day),
                                  last=t.day(clash.last_day), rotation=rotation.name)
        session.add(OncallCover(team_id=team.id, rotation=rotation.name, member_id=person.id, first_day=first,
                                last_day=last, created_by=member.id, created_at=services.clock.now()))
        text = t("absence.cover.done", who=_who(person, person.name), rotation=rotation.name, team=team.name,
                 first=t.day(first), last=t.day(last))
    return bk.Rendered(text, [bk.section(text)])
