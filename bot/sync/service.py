"""The weekly sync: drafting the agenda on time, items both sides add, the facilitator's edits, minutes,
action items (owner DMs, Jira through an event, reminders in working hours, carried into the next agenda).

What the agenda shows of other features comes through the read-only providers of `bot.metrics`; what this
feature tells others goes out as typed events (`ActionItemTicketWanted`, `HomeChanged`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Rendered
from bot.calendar import Calendar, zone
from bot.delivery import deliver_once
from bot.errors import UserFacingError
from bot.events import ActionItemTicketWanted, HomeChanged, JiraIssueLinked
from bot.i18n import Translator
from bot.metrics import (
    KpiFlag,
    KudosMetrics,
    KudosNote,
    Note,
    OpenEscalation,
    SyncAction,
    SyncHome,
    SyncMetrics,
)
from bot.pacing import update_message
from bot.permissions import Action, Actor, Subject, authorize, identify
from bot.services import Services
from bot.sync import blocks
from bot.sync.config import SyncConfig, sync_config
from bot.sync.ids import Block, due_block, owner_block, what_block
from storage.models import Member, SyncActionItem, SyncItem, SyncMeeting, Team
from storage.org import active_teams, member_by_slack_id, team_by_key, team_members
from storage.rows import rowcount
from storage.upsert import insert_once

log = logging.getLogger("oneteam.sync")
AGENDA_BLOCKERS, AGENDA_ESCALATIONS, AGENDA_KUDOS, AGENDA_ITEMS = 5, 5, 3, 15
TOPIC_MAX, DETAILS_MAX, WHAT_MAX = 150, 1000, 300


# --- what the agenda shows --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Concern:
    statement: str
    average: float


@dataclass(frozen=True)
class OpenAction:
    id: int
    what: str
    owner_slack_id: str
    due: date


@dataclass
class Agenda:
    meeting_id: int
    team_name: str
    starts_at: datetime
    timezone: str
    blockers: Sequence[str] = ()
    notes: Sequence[Note] = ()
    escalations: Sequence[OpenEscalation] = ()
    kpis: Sequence[KpiFlag] = ()
    concerns: Sequence[Concern] = ()
    respondents: int | None = None
    kudos: KudosMetrics | None = None
    kudos_notes: Sequence[KudosNote] = ()
    actions: Sequence[OpenAction] = ()
    items: Sequence[SyncItem] = field(default_factory=list)


def _subject(team: Team, cfg: SyncConfig, owner_id: int | None = None) -> Subject:
    return Subject(team.id, owner_id=owner_id, facilitator_role=cfg.facilitator)


def _cfg(team: Team) -> SyncConfig:
    cfg = sync_config(team.config)
    if cfg is None:
        raise UserFacingError("sync.errors.no_sync", team=team.name)
    return cfg


async def agenda_of(services: Services, session: AsyncSession, meeting: SyncMeeting, team: Team,
                    t: Translator) -> Agenda:
    """Everything the agenda shows, read when it is drafted or changed. Pulse figures come only from a survey
    whose team figures passed the anonymity threshold (the provider leaves anything below it out)."""
    m, week_start = services.metrics, meeting.starts_at - timedelta(days=7)
    agenda = Agenda(meeting.id, team.name, meeting.starts_at, team.timezone)
    if m.open_blockers is not None:
        agenda.blockers = await m.open_blockers(session, team.id, AGENDA_BLOCKERS)
    if m.other_side_notes is not None:
        agenda.notes = await m.other_side_notes(session, team.id, week_start, meeting.starts_at)
    if m.open_escalations is not None:
        agenda.escalations = await m.open_escalations(session, team.id, AGENDA_ESCALATIONS)
    if m.kpi_flags is not None:
        agenda.kpis = await m.kpi_flags(session, team.id, meeting.starts_at, m)
    if m.pulse is not None:
        pulse = await m.pulse(session, team.id, meeting.starts_at - timedelta(days=28), meeting.starts_at)
        survey = pulse.latest_visible if pulse is not None else None
        if survey is not None:
            agenda.respondents = survey.respondents
            agenda.concerns = [Concern(c.statement.text(t), c.average) for c in survey.concerns if c.flagged]
    if m.kudos is not None:
        agenda.kudos = await m.kudos(session, team.id, week_start, meeting.starts_at)
    if m.kudos_notes is not None:
        agenda.kudos_notes = await m.kudos_notes(session, team.id, week_start, meeting.starts_at, AGENDA_KUDOS)
    agenda.actions = await _open_actions(session, team.id, before=meeting.id)
    agenda.items = (await session.scalars(select(SyncItem).where(
        SyncItem.meeting_id == meeting.id, SyncItem.dropped.is_(False))
        .order_by(SyncItem.position, SyncItem.id).limit(AGENDA_ITEMS))).all()
    return agenda


async def _open_actions(session: AsyncSession, team_id: int, before: int | None = None) -> list[OpenAction]:
    query = (select(SyncActionItem, Member.slack_user_id).join(Member, Member.id == SyncActionItem.owner_id)
             .where(SyncActionItem.team_id == team_id, SyncActionItem.state == "open")
             .order_by(SyncActionItem.due, SyncActionItem.id))
    if before is not None:
        query = query.where(SyncActionItem.meeting_id < before)
    return [OpenAction(a.id, a.what, slack or "", a.due) for a, slack in (await session.execute(query)).all()]


# --- the clock: draft, ask for minutes, remind ---------------------------------------------------------------
async def run_due(services: Services) -> None:
    """One tick: agendas whose time has come, minutes requests for meetings that ended, due reminders."""
    now = services.clock.now()
    async with services.sessions() as session:
        teams = [team for team in await active_teams(session) if sync_config(team.config) is not None]
    for team in teams:
        try:
            await _draft_due(services, team, now)
        except Exception:
            log.exception("sync agenda failed", extra={"team": team.key})
    await _ask_minutes_due(services, now)
    await remind_due(services)


async def _draft_due(services: Services, team: Team, now: datetime) -> None:
    cfg = _cfg(team)
    starts = cfg.current_start(now, Calendar(team.timezone))
    channel = cfg.channel or team.channel_id
    if now < starts - cfg.lead or not channel:
        return
    async with services.sessions.begin() as session:  # unless drafted already (or by another instance just now)
        await insert_once(session, SyncMeeting, {"team_id": team.id, "starts_at": starts,
                                                 "ends_at": starts + cfg.length, "channel_id": channel,
                                                 "state": "drafted"}, keys=("team_id", "starts_at"))
    async with services.sessions() as session:
        meeting = await session.scalar(select(SyncMeeting).where(SyncMeeting.team_id == team.id,
                                                                 SyncMeeting.starts_at == starts))
    if meeting is None or meeting.message_ts:
        return
    message = await _render(services, meeting.id)
    sent = await deliver_once(services, f"sync:agenda:{meeting.id}", meeting.channel_id, text=message.text,
                              blocks=message.blocks)
    if sent is not None:
        async with services.sessions.begin() as session:
            await session.execute(update(SyncMeeting).where(SyncMeeting.id == meeting.id)
                                  .values(message_ts=sent.ts, channel_id=sent.channel))


async def _render(services: Services, meeting_id: int) -> Rendered:
    async with services.sessions() as session:
        meeting = await _existing(session, meeting_id)
        team = await session.get(Team, meeting.team_id)
        assert team is not None
        t = services.t(team.locale)
        agenda = await agenda_of(services, session, meeting, team, t)
    return blocks.agenda_message(t, agenda)


async def refresh(services: Services, meeting_id: int) -> None:
    """The agenda message, updated in place."""
    async with services.sessions() as session:
        meeting = await _existing(session, meeting_id)
    if not meeting.message_ts:
        return
    message = await _render(services, meeting_id)
    await update_message(services, meeting.channel_id, meeting.message_ts, message)


async def _existing(session: AsyncSession, meeting_id: int) -> SyncMeeting:
    meeting = await session.get(SyncMeeting, meeting_id)
    if meeting is None:
        raise UserFacingError("sync.errors.not_found")
    return meeting


async def _facilitators(session: AsyncSession, team: Team, cfg: SyncConfig) -> list[Member]:
    return [m for m, _ in await team_members(session, team.id, cfg.facilitator) if m.slack_user_id]


async def _ask_minutes_due(services: Services, now: datetime) -> None:
    """Each facilitator gets one DM with the minutes button once the meeting has ended."""
    async with services.sessions() as session:
        meetings = (await session.scalars(select(SyncMeeting).where(
            SyncMeeting.state == "drafted", SyncMeeting.ends_at <= now, SyncMeeting.message_ts.is_not(None)))).all()
    for meeting in meetings:
        async with services.sessions() as session:
            team = await session.get(Team, meeting.team_id)
            cfg = sync_config(team.config) if team is not None else None
            people = [] if team is None or cfg is None else await _facilitators(session, team, cfg)
        asked = True
        for person in people:
            t = services.t(person.locale, team.locale if team else None)
            ask = blocks.minutes_request(t, meeting.id, team.name if team else "")
            try:
                await deliver_once(services, f"sync:ask:{meeting.id}:{person.id}", person.slack_user_id or "",
                                   text=ask.text, blocks=ask.blocks)
            except Exception:  # the next tick tries again; the key keeps it once
                asked = False
                log.exception("minutes request failed", extra={"meeting": meeting.id})
        if not asked:
            continue
        async with services.sessions.begin() as session:
            await session.execute(update(SyncMeeting).where(SyncMeeting.id == meeting.id,
                                                            SyncMeeting.state == "drafted").values(state="asked"))


async def remind_due(services: Services) -> int:
    """Action items due (by the owner's local date) remind their owner once, inside the owner's working
    hours; the delivery key makes it once across instances and restarts."""
    now, sent = services.clock.now(), 0
    async with services.sessions() as session:
        rows = (await session.execute(
            select(SyncActionItem, Member, Team).join(Member, Member.id == SyncActionItem.owner_id)
            .join(Team, Team.id == SyncActionItem.team_id)
            .where(SyncActionItem.state == "open", SyncActionItem.reminded_at.is_(None),
                   SyncActionItem.due <= (now + timedelta(days=1)).date()))).all()
    for item, owner, team in rows:
        cal = Calendar(zone(owner.timezone, team.timezone))
        if cal.local_date(now) < item.due or not cal.is_working(now) or not owner.slack_user_id:
            continue
        reminder = blocks.reminder(services.t(owner.locale, team.locale), item.id, item.what, item.due, team.name)
        try:
            done = await deliver_once(services, f"sync:remind:{item.id}", owner.slack_user_id, text=reminder.text,
                                      blocks=reminder.blocks)
        except Exception:  # the next tick tries again; the key keeps it once
            log.exception("action item reminder failed", extra={"action_item": item.id})
            continue
        if done is not None:
            sent += done.fresh
            async with services.sessions.begin() as session:
                await session.execute(update(SyncActionItem).where(SyncActionItem.id == item.id)
                                      .values(reminded_at=now))
    return sent


# --- people's actions ----------------------------------------------------------------------------------------
async def _meeting_team(session: AsyncSession, meeting_id: int) -> tuple[SyncMeeting, Team, SyncConfig]:
    meeting = await _existing(session, meeting_id)
    team = await session.get(Team, meeting.team_id)
    if team is None:
        raise UserFacingError("sync.errors.not_found")
    return meeting, team, _cfg(team)


async def check_may_add(services: Services, actor: Actor, meeting_id: int) -> None:
    async with services.sessions() as session:
        member = await identify(session, actor)
        _, team, cfg = await _meeting_team(session, meeting_id)
        authorize(member, Action.SYNC_ADD_ITEM, _subject(team, cfg), connect=actor.external)


@dataclass(frozen=True)
class NewItem:
    topic: str
    details: str
    owner_side: str


def validate_item(item: NewItem) -> NewItem:
    topic = " ".join(item.topic.split())
    if not topic:
        raise UserFacingError("sync.errors.topic_needed", block_id=Block.TOPIC)
    if len(topic) > TOPIC_MAX:
        raise UserFacingError("sync.errors.too_long", block_id=Block.TOPIC, limit=TOPIC_MAX)
    if len(item.details) > DETAILS_MAX:
        raise UserFacingError("sync.errors.too_long", block_id=Block.DETAILS, limit=DETAILS_MAX)
    if item.owner_side not in ("internal", "vendor"):
        raise UserFacingError("sync.errors.side_needed", block_id=Block.SIDE)
    return NewItem(topic, item.details.strip(), item.owner_side)


async def add_item(services: Services, actor: Actor, meeting_id: int, item: NewItem) -> None:
    item = validate_item(item)
    async with services.sessions.begin() as session:
        member = await identify(session, actor)
        meeting, team, cfg = await _meeting_team(session, meeting_id)
        authorize(member, Action.SYNC_ADD_ITEM, _subject(team, cfg), connect=actor.external)
        if meeting.state == "minuted":
            raise UserFacingError("sync.errors.closed")
        last = await session.scalar(select(func.max(SyncItem.position)).where(SyncItem.meeting_id == meeting_id))
        session.add(SyncItem(meeting_id=meeting_id, topic=item.topic, details=item.details,
                             owner_side=item.owner_side, added_by_id=member.id, position=(last or 0) + 1,
                             created_at=services.clock.now()))
    await refresh(services, meeting_id)


async def edit_item(services: Services, actor: Actor, item_id: int, move: str) -> None:
    """The facilitator moves an item up or down, or drops it."""
    async with services.sessions.begin() as session:
        member = await identify(session, actor)
        item = await session.get(SyncItem, item_id)
        if item is None or item.dropped:
            raise UserFacingError("sync.errors.not_found")
        meeting, team, cfg = await _meeting_team(session, item.meeting_id)
        authorize(member, Action.SYNC_EDIT_ITEM, _subject(team, cfg), connect=actor.external)
        if move == "drop":
            item.dropped = True
        else:
            siblings = list((await session.scalars(select(SyncItem).where(
                SyncItem.meeting_id == meeting.id, SyncItem.dropped.is_(False))
                .order_by(SyncItem.position, SyncItem.id))).all())
            at = siblings.index(item)
            other = at - 1 if move == "up" else at + 1
            if 0 <= other < len(siblings):
                siblings[at], siblings[other] = siblings[other], siblings[at]
            for position, sibling in enumerate(siblings, start=1):
                sibling.position = position
        meeting_id = meeting.id
    await refresh(services, meeting_id)


async def minutes_modal(services: Services, actor: Actor, t: Translator, meeting_id: int) -> dict[str, Any]:
    async with services.sessions() as session:
        member = await identify(session, actor)
        meeting, team, cfg = await _meeting_team(session, meeting_id)
        authorize(member, Action.SYNC_MINUTES, _subject(team, cfg), connect=actor.external)
        if meeting.state == "minuted":
            raise UserFacingError("sync.errors.already_minuted")
        return blocks.minutes_modal(t, meeting.id, team.name)


@dataclass(frozen=True)
class ActionDraft:
    row: int
    what: str
    owner: str | None  # Slack id
    due: date | None
    jira: bool = False


@dataclass(frozen=True)
class Minutes:
    decisions: str
    actions: Sequence[ActionDraft]


async def check_minutes(services: Services, actor: Actor, meeting_id: int, minutes: Minutes) -> None:
    """Every refusal of a minutes modal, shown next to its input; nothing is written here."""
    async with services.sessions() as session:
        await _check_minutes(session, services, actor, meeting_id, minutes)


async def _check_minutes(session: AsyncSession, services: Services, actor: Actor, meeting_id: int,
                         minutes: Minutes) -> tuple[SyncMeeting, Team, dict[str, Member]]:
    member = await identify(session, actor)
    meeting, team, cfg = await _meeting_team(session, meeting_id)
    authorize(member, Action.SYNC_MINUTES, _subject(team, cfg), connect=actor.external)
    if meeting.state == "minuted":
        raise UserFacingError("sync.errors.already_minuted")
    today = Calendar(team.timezone).local_date(services.clock.now())
    owners: dict[str, Member] = {}
    for draft in minutes.actions:
        if not draft.what.strip():
            if draft.owner or draft.due:
                raise UserFacingError("sync.errors.what_needed", block_id=what_block(draft.row))
            continue
        if len(draft.what) > WHAT_MAX:
            raise UserFacingError("sync.errors.too_long", block_id=what_block(draft.row), limit=WHAT_MAX)
        if not draft.owner:
            raise UserFacingError("sync.errors.owner_needed", block_id=owner_block(draft.row))
        owner = await member_by_slack_id(session, draft.owner)
        if owner is None:
            raise UserFacingError("sync.errors.owner_outside", block_id=owner_block(draft.row))
        owners[draft.owner] = owner
        if draft.due is None:
            raise UserFacingError("sync.errors.due_needed", block_id=due_block(draft.row))
        if draft.due < today:
            raise UserFacingError("sync.errors.due_past", block_id=due_block(draft.row))
    if not minutes.decisions.strip() and not owners:
        raise UserFacingError("sync.errors.nothing", block_id=Block.DECISIONS)
    return meeting, team, owners


async def record_minutes(services: Services, actor: Actor, meeting_id: int, minutes: Minutes) -> int:
    """Stores decisions and action items once (a compare-and-set on the meeting's state), posts the minutes in
    the agenda's thread, DMs each owner, and tells Jira about the items that want a ticket."""
    now = services.clock.now()
    async with services.sessions.begin() as session:
        meeting, team, owners = await _check_minutes(session, services, actor, meeting_id, minutes)
        taken = await session.execute(update(SyncMeeting).where(
            SyncMeeting.id == meeting_id, SyncMeeting.state != "minuted").values(
            state="minuted", decisions=minutes.decisions.strip(), minuted_at=now))
        if rowcount(taken) != 1:
            raise UserFacingError("sync.errors.already_minuted")
        created: list[tuple[SyncActionItem, Member]] = []
        for draft in minutes.actions:
            if draft.what.strip() and draft.owner and draft.due:
                item = SyncActionItem(team_id=team.id, meeting_id=meeting_id, what=" ".join(draft.what.split()),
                                      owner_id=owners[draft.owner].id, due=draft.due, state="open", created_at=now,
                                      jira_wanted=draft.jira)
                session.add(item)
                created.append((item, owners[draft.owner]))
        await session.flush()
        team_key, team_name, team_locale = team.key, team.name, team.locale
        channel, thread = meeting.channel_id, meeting.message_ts
        rows = [(i.id, i.what, i.due, i.jira_wanted, o.slack_user_id or "", o.locale) for i, o in created]
    t = services.t(team_locale)
    if thread:
        posted = blocks.minutes_message(t, minutes.decisions.strip(),
                                        [(what, owner, due) for _, what, due, _, owner, _ in rows])
        await deliver_once(services, f"sync:minutes:{meeting_id}", channel, text=posted.text, blocks=posted.blocks,
                           thread_ts=thread)
    for item_id, what, due, jira, owner, locale in rows:
        dm = blocks.owner_dm(services.t(locale, team_locale), item_id, what, due, team_name)
        await deliver_once(services, f"sync:owner:{item_id}", owner, text=dm.text, blocks=dm.blocks)
        if jira:
            await services.events.publish(ActionItemTicketWanted(
                item_id, team_key, what, t.plain("sync.jira_details", team=team_name, due=due.isoformat()),
                channel, thread))
    await services.events.publish(HomeChanged([r[4] for r in rows]))
    return len(rows)


async def close_action(services: Services, actor: Actor, item_id: int) -> str:
    """"Done" on an action item (its owner or the facilitator); closing twice changes nothing."""
    async with services.sessions.begin() as session:
        member = await identify(session, actor)
        item = await session.get(SyncActionItem, item_id)
        team = None if item is None else await session.get(Team, item.team_id)
        if item is None or team is None:
            raise UserFacingError("sync.errors.not_found")
        authorize(member, Action.SYNC_ACTION_DONE, _subject(team, _cfg(team), owner_id=item.owner_id),
                  connect=actor.external)
        await session.execute(update(SyncActionItem).where(SyncActionItem.id == item_id,
                                                           SyncActionItem.state == "open")
                              .values(state="done", closed_at=services.clock.now()))
        what, owner_id = item.what, item.owner_id
        owner = await session.get(Member, owner_id)
        watchers = [owner.slack_user_id] if owner is not None and owner.slack_user_id else []
    await services.events.publish(HomeChanged(watchers))
    return what


async def on_jira_linked(services: Services, event: JiraIssueLinked) -> None:
    """`JiraIssueLinked`: an action item's ticket exists; remember its key."""
    if event.origin != "action_item":
        return
    async with services.sessions.begin() as session:
        await session.execute(update(SyncActionItem).where(SyncActionItem.id == event.origin_id)
                              .values(jira_key=event.jira_key))


async def list_actions(services: Services, actor: Actor, t: Translator, team_key: str | None) -> Rendered:
    """`/oneteam actions [team]`: open action items of the caller's teams (or of one of them)."""
    async with services.sessions() as session:
        member = await identify(session, actor)
        if team_key:
            team = await team_by_key(session, team_key)
            if team is None:
                raise UserFacingError("sync.errors.unknown_team", team=team_key)
            teams = [team]
        else:
            teams = [ms.team for ms in member.memberships if ms.team.active and sync_config(ms.team.config)]
        listing = []
        for team in teams:
            authorize(member, Action.SYNC_ACTIONS_VIEW, Subject(team.id), connect=actor.external)
            listing.append((team.name, await _open_actions(session, team.id)))
    return blocks.action_list(t, listing)


# --- providers (App Home, KPIs, the digest) --------------------------------------------------------------------
async def sync_home(session: AsyncSession, slack_user_id: str, now: datetime) -> SyncHome | None:
    member = await member_by_slack_id(session, slack_user_id)
    if member is None:
        return None
    meetings = []
    for ms in member.memberships:
        cfg = sync_config(ms.team.config) if ms.team.active else None
        if cfg is not None:
            meetings.append((ms.team.name, cfg.current_start(now, Calendar(ms.team.timezone)),
                             cfg.channel or ms.team.channel_id or ""))
    rows = (await session.execute(
        select(SyncActionItem, Team.name).join(Team, Team.id == SyncActionItem.team_id)
        .where(SyncActionItem.owner_id == member.id, SyncActionItem.state == "open")
        .order_by(SyncActionItem.due))).all()
    if not meetings and not rows:
        return None
    return SyncHome(meetings, [SyncAction(a.what, a.due, name) for a, name in rows])


async def sync_metrics(session: AsyncSession, team_id: int, start: datetime, end: datetime) -> SyncMetrics | None:
    """Action items due in [start, end) (their due date in the team's zone): how many were closed by the end
    of that day in the team's zone; and how many are open now."""
    team = await session.get(Team, team_id)
    if team is None:
        return None
    cal = Calendar(team.timezone)
    first, last = cal.local_date(start), cal.local_date(end)
    items = (await session.scalars(select(SyncActionItem).where(
        SyncActionItem.team_id == team_id, SyncActionItem.due >= first, SyncActionItem.due < last))).all()
    open_now = await session.scalar(select(func.count()).select_from(SyncActionItem).where(
        SyncActionItem.team_id == team_id, SyncActionItem.state == "open")) or 0
    if not items and not open_now:
        return None
    on_time = sum(1 for i in items if i.closed_at is not None and cal.local_date(i.closed_at) <= i.due)
    return SyncMetrics(due=len(items), closed_on_time=on_time, open_now=open_now)
