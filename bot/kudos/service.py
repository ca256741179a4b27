"""Giving kudos: who may thank whom, the daily limit, where the thanks are shown, and the figures other
features read through providers (the digest, the sync agenda, App Home, the cross-side KPI).

Nothing is stored for a refused kudos: every check runs before the rows are written.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import mention
from bot.calendar import Calendar, zone
from bot.delivery import deliver_once
from bot.errors import UserFacingError
from bot.events import HomeChanged
from bot.i18n import Translator
from bot.kudos import blocks
from bot.kudos.config import kudos_config
from bot.kudos.ids import Block
from bot.metrics import KudosMetrics, KudosNote
from bot.permissions import Action, Actor, Subject, authorize, identify, side_of
from bot.services import Services
from storage.models import Kudos, KudosDay, Member, Team
from storage.org import member_by_slack_id
from storage.rows import rowcount
from storage.upsert import upsert

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>[,\s]*")
REASON_MAX = 1000


@dataclass(frozen=True)
class KudosRequest:
    recipients: tuple[str, ...]  # Slack user ids
    reason: str
    public: bool = True  # posted in the team channel; else sent to each person privately
    link: str | None = None  # the thanked message's permalink (message shortcut)
    channel_id: str | None = None  # where the command was typed (picks the team when it is a team channel)
    team_id: int | None = None  # the thanked escalation's team, read from its record


@dataclass(frozen=True)
class Given:
    team_name: str
    channel_id: str | None  # the team channel it was posted to; None when sent privately
    recipients: tuple[str, ...]


def parse_command(text: str, channel_id: str | None = None) -> KudosRequest:
    """`@person [@person…] why`: the mentions first (Slack sends them escaped as `<@U…|name>`), then the reason."""
    rest, people = text.strip(), []
    while (found := MENTION.match(rest)) is not None:
        people.append(found.group(1))
        rest = rest[found.end():]
    if not people:
        raise UserFacingError("kudos.errors.usage")
    return KudosRequest(tuple(dict.fromkeys(people)), rest.strip(), channel_id=channel_id)


async def _is_bot(services: Services, user_id: str) -> bool:
    try:
        user: dict[str, Any] = (await services.slack.users_info(user=user_id))["user"]
    except SlackApiError:
        return False
    return bool(user.get("is_bot")) or user_id == "USLACKBOT"


def _pick_team(giver: Member, receivers: Sequence[Member], channel_id: str | None, team_id: int | None) -> Team:
    """The team the thanks belong to: the escalation's team for "Thank", else the team of the channel it was
    typed in, else one the giver shares with everyone thanked, else the giver's first team."""
    teams = [ms.team for person in (giver, *receivers) for ms in person.memberships if ms.team.active]
    mine = [ms.team for ms in giver.memberships if ms.team.active]
    if not mine:
        raise UserFacingError("core.errors.not_in_org")
    for team in teams:
        if team.id == team_id or (channel_id and team.channel_id == channel_id):
            return team
    for team in mine:
        if all(any(ms.team_id == team.id for ms in r.memberships) for r in receivers):
            return team
    return mine[0]


@dataclass
class _Checked:
    giver: Member
    receivers: list[Member]
    team: Team
    day: str
    reason: str
    limit: int


async def _check(session: AsyncSession, services: Services, actor: Actor, request: KudosRequest) -> _Checked:
    """Every refusal, in the order a person fixes them; nothing is written here."""
    if not request.recipients:
        raise UserFacingError("kudos.errors.usage", block_id=Block.RECIPIENTS)
    giver = await identify(session, actor)
    receivers: list[Member] = []
    for user_id in request.recipients:
        if user_id == giver.slack_user_id:
            raise UserFacingError("kudos.errors.to_self", block_id=Block.RECIPIENTS)
        receiver = await member_by_slack_id(session, user_id)
        if receiver is None:
            raise UserFacingError("kudos.errors.to_bot" if await _is_bot(services, user_id)
                                  else "kudos.errors.outside_org", block_id=Block.RECIPIENTS, user=mention(user_id))
        receivers.append(receiver)
    reason = request.reason.strip()
    if not reason:
        raise UserFacingError("kudos.errors.no_reason", block_id=Block.REASON)
    if len(reason) > REASON_MAX:
        raise UserFacingError("kudos.errors.too_long", block_id=Block.REASON, limit=REASON_MAX)
    team = _pick_team(giver, receivers, request.channel_id, request.team_id)
    authorize(giver, Action.KUDOS_GIVE, Subject(team.id), connect=actor.external)
    day = Calendar(zone(giver.timezone, team.timezone)).local_date(services.clock.now()).isoformat()
    limit = kudos_config(team.config).daily_limit
    given_today = await session.scalar(select(KudosDay.given).where(
        KudosDay.giver_id == giver.id, KudosDay.day == day)) or 0
    if given_today + len(receivers) > limit:  # early, for the modal; `_take_from_limit` is the one that holds
        raise UserFacingError("kudos.errors.daily_limit", block_id=Block.RECIPIENTS, limit=limit)
    return _Checked(giver, receivers, team, day, reason, limit)


async def _take_from_limit(session: AsyncSession, c: _Checked) -> None:
    """Counts these thanks against the giver's day in one conditional UPDATE: of two /kudos at the same
    moment the second waits for the first's row and is refused if the first used up the limit."""
    await upsert(session, KudosDay, {"giver_id": c.giver.id, "day": c.day, "given": 0}, keys=("giver_id", "day"))
    taken = await session.execute(update(KudosDay).where(
        KudosDay.giver_id == c.giver.id, KudosDay.day == c.day,
        KudosDay.given + len(c.receivers) <= c.limit).values(given=KudosDay.given + len(c.receivers)))
    if rowcount(taken) != 1:
        raise UserFacingError("kudos.errors.daily_limit", block_id=Block.RECIPIENTS, limit=c.limit)


async def check(services: Services, actor: Actor, request: KudosRequest) -> None:
    """Raises the refusal a modal shows next to its input, before the modal closes."""
    async with services.sessions() as session:
        await _check(session, services, actor, request)


async def give(services: Services, actor: Actor, request: KudosRequest) -> Given:
    """Records the thanks and shows them (channel or DMs); refusals raise with nothing stored."""
    now = services.clock.now()
    async with services.sessions.begin() as session:
        c = await _check(session, services, actor, request)
        await _take_from_limit(session, c)
        giver, receivers, team, day, reason = c.giver, c.receivers, c.team, c.day, c.reason
        batch = str(uuid.uuid4())
        public = request.public and bool(team.channel_id)
        for receiver in receivers:
            session.add(Kudos(batch=batch, team_id=team.id, giver_id=giver.id, receiver_id=receiver.id,
                              giver_side=side_of(giver).value, receiver_side=side_of(receiver).value,
                              reason=reason, public=public, link=request.link, day=day, created_at=now))
        giver_id, giver_name = giver.slack_user_id or "", giver.name
        team_name, team_channel, team_locale = team.name, team.channel_id, team.locale
        targets = [(r.slack_user_id or "", r.locale or team_locale) for r in receivers]
    ids = tuple(user for user, _ in targets)
    if public and team_channel:
        message = blocks.kudos_message(services.t(team_locale), giver_id, ids, reason, request.link)
        await deliver_once(services, f"kudos:{batch}", team_channel, text=message.text, blocks=message.blocks)
    else:
        for user_id, locale in targets:
            message = blocks.kudos_dm(services.t(locale), giver_id, giver_name, reason, request.link)
            await deliver_once(services, f"kudos:{batch}:{user_id}", user_id, text=message.text,
                               blocks=message.blocks)
    await services.events.publish(HomeChanged(list(ids)))
    return Given(team_name, team_channel if public else None, ids)


async def kudos_metrics(session: AsyncSession, team_id: int, start: datetime, end: datetime) -> KudosMetrics | None:
    """Thanks given in a team over [start, end), counted by direction across the line."""
    rows = (await session.execute(
        select(Kudos.giver_side, Kudos.receiver_side, func.count())
        .where(Kudos.team_id == team_id, Kudos.created_at >= start, Kudos.created_at < end)
        .group_by(Kudos.giver_side, Kudos.receiver_side))).all()
    if not rows:
        return None
    counts = {(g, r): n for g, r, n in rows}
    return KudosMetrics(
        total=sum(counts.values()),
        internal_to_vendor=counts.get(("internal", "vendor"), 0),
        vendor_to_internal=counts.get(("vendor", "internal"), 0))


async def public_kudos(session: AsyncSession, team_id: int, start: datetime, end: datetime,
                       limit: int) -> Sequence[KudosNote]:
    """The latest thanks posted in the team's channel over [start, end) that crossed the line (private
    ones stay private), one per batch, newest first."""
    giver, receiver = Member.__table__.alias("giver"), Member.__table__.alias("receiver")
    rows = (await session.execute(
        select(Kudos.batch, giver.c.name, receiver.c.name, Kudos.reason, Kudos.giver_side, Kudos.created_at)
        .join(giver, giver.c.id == Kudos.giver_id).join(receiver, receiver.c.id == Kudos.receiver_id)
        .where(Kudos.team_id == team_id, Kudos.public.is_(True), Kudos.giver_side != Kudos.receiver_side,
               Kudos.created_at >= start, Kudos.created_at < end)
        .order_by(Kudos.created_at.desc(), Kudos.id))).all()
    notes: dict[str, KudosNote] = {}
    for batch, giver_name, receiver_name, reason, side, _ in rows:
        if batch in notes:
            old = notes[batch]
            notes[batch] = KudosNote(old.giver, (*old.receivers, receiver_name), old.reason, old.from_vendor)
        elif len(notes) < limit:
            notes[batch] = KudosNote(giver_name, (receiver_name,), reason, side == "vendor")
    return list(notes.values())


async def received_by(session: AsyncSession, slack_user_id: str, limit: int) -> Sequence[KudosNote]:
    """The thanks a person received (App Home), newest first."""
    giver, receiver = Member.__table__.alias("giver"), Member.__table__.alias("receiver")
    rows = (await session.execute(
        select(giver.c.name, Kudos.reason, Kudos.giver_side)
        .join(giver, giver.c.id == Kudos.giver_id).join(receiver, receiver.c.id == Kudos.receiver_id)
        .where(receiver.c.slack_user_id == slack_user_id)
        .order_by(Kudos.created_at.desc(), Kudos.id.desc()).limit(limit))).all()
    return [KudosNote(name, (), reason, side == "vendor") for name, reason, side in rows]


async def message_modal(services: Services, actor: Actor, t: Translator, channel_id: str, message_ts: str,
                        author: str | None) -> dict[str, Any]:
    """"Say thanks for this": the modal pre-filled with the message's author; the message is named by its
    channel and ts, and its permalink is asked of Slack again when the modal is submitted."""
    async with services.sessions() as session:
        await identify(session, actor)
    url = await permalink(services, channel_id, message_ts)
    return blocks.give_modal(t, recipients=[author] if author else [], url=url,
                             source={"channel": channel_id, "ts": message_ts})


async def resolvers_modal(services: Services, actor: Actor, t: Translator, esc_id: int) -> dict[str, Any]:
    """"Thank" on a resolved escalation: the modal pre-filled with its resolvers, read from its record."""
    find = services.metrics.escalation_resolvers
    async with services.sessions() as session:
        giver = await identify(session, actor)
        resolvers = None if find is None else await find(session, esc_id)
    if resolvers is None:
        raise UserFacingError("escalations.errors.not_found")
    people = [p for p in resolvers.slack_ids if p != giver.slack_user_id]
    if not people:
        raise UserFacingError("kudos.errors.no_resolvers")
    return blocks.give_modal(t, recipients=people, reason=t.plain("kudos.for_escalation", ref=resolvers.ref),
                             source={"escalation": str(esc_id)})


async def escalation_team(services: Services, esc_id: int) -> int | None:
    """The team of the escalation a "Thank" modal was opened from, from its record."""
    find = services.metrics.escalation_resolvers
    if find is None:
        return None
    async with services.sessions() as session:
        resolvers = await find(session, esc_id)
    return None if resolvers is None else resolvers.team_id


async def permalink(services: Services, channel_id: str, message_ts: str) -> str | None:
    """The message's permalink from Slack itself (never a URL from the request)."""
    try:
        return str((await services.slack.chat_getPermalink(channel=channel_id, message_ts=message_ts))["permalink"])
    except SlackApiError:
        return None
