"""Escalation rules and storage: raise, acknowledge, escalate, resolve, reopen, rate, and the due-step tick.

Every change is a compare-and-set on `Escalation.step` (the seq of the last timeline row), so a button
pressed twice, a tick on two instances, or a restart with an overdue timer each change an escalation once.
Messages go out afterwards through `notify.sync`, which is idempotent per step.
"""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.blocks import Rendered
from bot.calendar import team_calendar
from bot.errors import UserFacingError
from bot.escalations import blocks, notify, sla
from bot.escalations.config import SEVERITIES
from bot.escalations.ids import CATEGORIES
from bot.escalations.policy import (
    Now,
    Skip,
    called_from,
    covering,
    level_people,
    next_staffed_level,
    rotation_people,
    team_policy,
)
from bot.escalations.timers import due_after
from bot.events import (
    EscalationAcknowledged,
    EscalationEscalated,
    EscalationEvent,
    EscalationRaised,
    EscalationReminded,
    EscalationReopened,
    EscalationResolved,
    EscalationSeverityChanged,
    HomeChanged,
    JiraIssueDone,
    JiraIssueLinked,
)
from bot.i18n import Translator
from bot.metrics import BlockerInfo, EscalationCard, EscalationMetrics
from bot.permissions import Action, Actor, Subject, authorize, identify
from bot.services import Services
from storage.models import Escalation, EscalationStep, Member, Team
from storage.org import active_teams, team_by_key, team_members
from storage.rows import existing, rowcount

log = logging.getLogger("oneteam.escalations")
LIVE = ("open", "acknowledged")
SUMMARY_MAX = 300
CAS_TRIES = 3
RAISE_SLOTS = 4
OPEN_LIST_MAX = 50
LIST_MAX = 500  # /escalate list shows 40 and counts the rest
WAIT_SIDES = ("internal", "vendor")


class Conflict(Exception):
    """Someone else changed the escalation first; the caller reloads and decides again."""


@dataclass(frozen=True)
class RaiseRequest:
    severity: str
    summary: str
    details: str = ""
    category: str = "quality"
    team_key: str | None = None
    channel_id: str | None = None  # where /escalate was typed (picks the team when none is named)
    blocker_id: int | None = None


@dataclass(frozen=True)
class Raised:
    id: int
    ref: str
    team_key: str
    channel_id: str | None
    level: int


@dataclass(frozen=True)
class Prefill:
    summary: str = ""
    details: str = ""
    team_key: str | None = None
    blocker_id: int | None = None


# --- parsing the quick path ---------------------------------------------------------------------------
def parse_quick(text: str) -> tuple[str, list[str]]:
    """`P2 [team] summary...` -> severity and the remaining words; raises with the usage on bad input."""
    words = text.split()
    if not words:
        raise UserFacingError("escalations.usage.empty")
    severity = words[0].upper()
    if severity not in SEVERITIES:
        raise UserFacingError("escalations.usage.bad_severity", given=words[0][:20])
    if len(words) == 1:
        raise UserFacingError("escalations.usage.no_summary")
    return severity, words[1:]


async def quick_request(session: AsyncSession, member: Member, severity: str, words: list[str],
                        channel_id: str | None) -> RaiseRequest:
    """Reads an optional team (`team:KEY`, or a first word that is a team key) and the summary."""
    team_key = None
    first = words[0]
    if first.lower().startswith("team:"):
        team_key = first[5:].lower()
        if await team_by_key(session, team_key) is None:
            raise UserFacingError("escalations.usage.unknown_team", team=team_key[:64])
        words = words[1:]
    elif await team_by_key(session, first.lower()) is not None:
        team_key, words = first.lower(), words[1:]
    summary = " ".join(words).strip()
    if not summary:
        raise UserFacingError("escalations.usage.no_summary")
    return RaiseRequest(severity=severity, summary=summary, team_key=team_key, channel_id=channel_id)


async def _pick_team(session: AsyncSession, member: Member, req: RaiseRequest) -> Team:
    if req.team_key:
        team = await team_by_key(session, req.team_key)
        if team is None:
            raise UserFacingError("escalations.usage.unknown_team", team=req.team_key[:64])
        return team
    teams = await active_teams(session)
    if req.channel_id:
        here = [t for t in teams if req.channel_id in (t.channel_id, team_policy(t).channel)]
        if len(here) == 1:
            return here[0]
    mine = [ms.team for ms in member.memberships if ms.team.active]
    if len(mine) == 1:
        return mine[0]
    raise UserFacingError("escalations.usage.which_team",
                          teams=", ".join(sorted(t.key for t in (mine or teams))))


def validate_request(req: RaiseRequest) -> RaiseRequest:
    if req.severity not in SEVERITIES:
        raise UserFacingError("escalations.usage.bad_severity", block_id="esc_severity", given=req.severity[:20])
    summary = " ".join(req.summary.split())
    if not summary:
        raise UserFacingError("escalations.usage.no_summary", block_id="esc_summary")
    if len(summary) > SUMMARY_MAX:
        raise UserFacingError("escalations.usage.too_long", block_id="esc_summary", max=SUMMARY_MAX)
    if req.category not in CATEGORIES:
        raise UserFacingError("escalations.usage.bad_category", block_id="esc_category")
    return RaiseRequest(req.severity, summary, req.details.strip(), req.category, req.team_key, req.channel_id,
                        req.blocker_id)


# --- raising ------------------------------------------------------------------------------------------
def _raise_slots(services: Services) -> asyncio.Semaphore:
    """Raises in progress at once, per process: a burst of /escalate queues here instead of taking every
    database connection and the event loop from the requests still waiting to be acked."""
    return services.extras.setdefault("escalations.raise_slots", asyncio.Semaphore(RAISE_SLOTS))


async def raise_escalation(services: Services, actor: Actor, req: RaiseRequest) -> Raised:
    """Creates the escalation with its first level called; the card and DMs follow in `notify.sync`."""
    req = validate_request(req)
    async with _raise_slots(services):
        raised = await _raise(services, actor, req)
    await _announce(services, raised)
    return raised


async def _raise(services: Services, actor: Actor, req: RaiseRequest) -> Raised:
    """Raises a validated request (the caller holds a raise slot, and announces it after letting go)."""
    now = services.clock.now()
    async with services.sessions() as session:
        member = await identify(session, actor)
        if req.blocker_id is not None:  # from private_metadata: proves nothing, so checked again here
            await _blocker(services, session, member, req.blocker_id, actor.external)
        team = await _pick_team(session, member, req)
        authorize(member, Action.ESCALATION_RAISE, Subject(team_id=team.id), connect=actor.external)
        channel = team_policy(team).channel or team.channel_id
    shared = await notify.channel_is_shared(services, channel) if channel else False
    async with services.sessions.begin() as session:
        team = await existing(session, Team, team.id)
        cfg = team_policy(team)
        skipped: list[Skip] = []
        first = await next_staffed_level(session, team, cfg, 0, Now(services.metrics, now), skipped)
        level, people = first or (1, [])
        esc = Escalation(
            team_id=team.id, state="open", severity=req.severity, category=req.category, summary=req.summary,
            details=req.details, raiser_slack_id=actor.slack_id, raiser_name=member.name,
            raiser_org=member.external_org, level=level, rounds=0, step=0, synced_step=0,
            next_step_at=due_after(now, cfg.timeout(req.severity), req.severity, cfg, team),
            channel_id=channel, channel_shared=shared, created_at=now, reopen_count=0,
            jira_wanted=req.severity in cfg.jira_auto, blocker_id=req.blocker_id,
            **sla.started(req.severity, team, cfg, now))
        session.add(esc)
        await session.flush()
        _add_step(session, esc, "raised", now, actor_id=actor.slack_id, name=member.name, org=member.external_org)
        for step in _skips(skipped, now):
            _add_step(session, esc, "skipped", now, note=step["note"])
        _add_step(session, esc, "notified", now, note=_ids(people))
        raised = Raised(esc.id, esc.ref, team.key, channel, level)
    log.info("escalation raised", extra={"escalation_id": raised.id, "severity": req.severity,
                                         "team": raised.team_key})
    return raised


async def _announce(services: Services, raised: Raised) -> None:
    """Sends the card and DMs outside the raise slots: a channel's 1 message/s must not hold raises (and the
    DMs of raises) into other channels, or the next raises into the same one."""
    await _sync_or_later(services, raised.id)
    await _publish(services, EscalationRaised, raised.id)


def _sync_lock(services: Services, esc_id: int) -> asyncio.Lock:
    """One sync of an escalation at a time in this process: the SLA sender runs beside the escalation tick,
    and two syncs racing on a send that timed out could both decide it was never sent."""
    locks: weakref.WeakValueDictionary[int, asyncio.Lock] = services.extras.setdefault(
        "escalations.sync_locks", weakref.WeakValueDictionary())
    lock = locks.get(esc_id)
    if lock is None:
        lock = locks[esc_id] = asyncio.Lock()
    return lock


async def _sync_or_later(services: Services, esc_id: int) -> None:
    """Posts the card and DMs now; if Slack fails, the escalation stands and the tick sends them."""
    try:
        async with _sync_lock(services, esc_id):
            await notify.sync(services, esc_id)
    except Exception:
        log.warning("escalation saved; Slack will be updated by the next tick", extra={"escalation_id": esc_id},
                    exc_info=True)


async def raise_quick(services: Services, actor: Actor, severity: str, words: list[str],
                      channel_id: str | None) -> Raised:
    """`/escalate P2 [team] summary`: the team and summary are read, then raised like the modal."""
    async with _raise_slots(services):
        async with services.sessions() as session:
            member = await identify(session, actor)
            req = await quick_request(session, member, severity, words, channel_id)
        raised = await _raise(services, actor, validate_request(req))
    await _announce(services, raised)
    return raised


async def raise_modal(services: Services, actor: Actor, t: Translator, *, channel_id: str | None = None,
                      blocker_id: int | None = None) -> dict[str, Any]:
    """The raise modal, pre-filled from a check-in blocker when there is one."""
    async with services.sessions() as session:
        member = await identify(session, actor)
        prefill = Prefill()
        if blocker_id is not None:
            prefill = prefill_from(await _blocker(services, session, member, blocker_id, actor.external))
        teams = await active_teams(session)
        team_key = prefill.team_key
        if team_key is None:
            try:
                team_key = (await _pick_team(session, member, RaiseRequest("P3", "-", channel_id=channel_id))).key
            except UserFacingError:
                team_key = None  # several teams: the person picks one
    return blocks.raise_modal(t, teams, team_key=team_key, summary=prefill.summary, details=prefill.details,
                              blocker_id=prefill.blocker_id)


async def list_open(services: Services, actor: Actor, t: Translator) -> Rendered:
    async with services.sessions() as session:
        member = await identify(session, actor)
        rows = await open_for(session, member, limit=LIST_MAX)
    dues = {esc.id: sla.next_due(esc, team, team_policy(team)) for esc, team in rows}
    rows.sort(key=lambda row: (dues[row[0].id] is None, dues[row[0].id] or row[0].created_at))
    return blocks.open_list(t, rows, dues)


def _add_step(session: AsyncSession, esc: Escalation, kind: str, at: datetime, *, actor_id: str | None = None,
              name: str | None = None, org: str | None = None, note: str | None = None) -> None:
    """Appends to the timeline of an escalation created in this session (no compare-and-set needed)."""
    esc.step += 1
    session.add(EscalationStep(escalation_id=esc.id, seq=esc.step, kind=kind, level=esc.level, at=at,
                               actor_slack_id=actor_id, actor_name=name, actor_org=org, note=note))


def _skips(skipped: list[Skip], now: datetime) -> list[dict[str, Any]]:
    """Timeline steps for levels passed over: which level, and why (everyone there is away)."""
    return [{"kind": "skipped", "at": now, "note": f"{level}:{why}"} for level, why in skipped]


def _ids(people: list[Any]) -> str:
    """Slack ids of the people called (Responders or plain ids), once each, for a `notified` step."""
    ids = [p if isinstance(p, str) else p.slack_id for p in people if p]
    return ",".join(dict.fromkeys(ids))


async def _transition(session: AsyncSession, esc: Escalation, steps: list[dict[str, Any]],
                      **changes: Any) -> None:
    """Compare-and-set on `step`: applies `changes` and appends `steps` only if nobody changed it since."""
    seq = esc.step
    result = await session.execute(
        update(Escalation).where(Escalation.id == esc.id, Escalation.step == seq, Escalation.state == esc.state)
        .values(step=seq + len(steps), **changes).execution_options(synchronize_session=False))
    if rowcount(result) != 1:
        raise Conflict
    level = changes.get("level", esc.level)
    for n, step in enumerate(steps, start=1):
        session.add(EscalationStep(escalation_id=esc.id, seq=seq + n, level=level, **step))


# --- the clock: overdue steps -------------------------------------------------------------------------
async def advance_due(services: Services) -> int:
    """Takes every overdue step once (across instances and restarts); returns how many advanced."""
    now = services.clock.now()
    async with services.sessions() as session:
        due = (await session.scalars(select(Escalation.id).where(
            Escalation.state.in_(LIVE), Escalation.next_step_at.is_not(None), Escalation.next_step_at <= now,
        ).order_by(Escalation.next_step_at))).all()
        behind = (await session.scalars(select(Escalation.id).where(
            Escalation.synced_step < Escalation.step))).all()
    advanced = 0
    for esc_id in due:
        try:
            event = await _advance(services, esc_id, now)
        except Conflict:
            continue  # another instance (or a person) got there first
        if event:
            advanced += 1
            await _sync_or_later(services, esc_id)
            await _publish(services, event, esc_id)
    for esc_id in set(behind) - set(due):
        await _sync_or_later(services, esc_id)  # messages a crash or a Slack outage left unsent
    return advanced


async def advance_sla(services: Services) -> int:
    """Announces every SLA warning and breach that fell due, once each (claimed by compare-and-set on the
    timeline; the messages go out through `notify.sync`, keyed per step); returns how many were announced."""
    now = services.clock.now()
    async with services.sessions() as session:
        due = (await session.scalars(select(Escalation.id).where(
            Escalation.state.in_(LIVE), Escalation.sla_next_at.is_not(None), Escalation.sla_next_at <= now,
        ).order_by(Escalation.sla_next_at))).all()
    announced = []
    teams: dict[int, Any] = {}  # per tick: each team's policy, level people and managers are read once
    for esc_id in due:
        try:
            async with services.sessions.begin() as session:
                if await _announce_sla(session, esc_id, Now(services.metrics, now), teams):
                    announced.append(esc_id)
        except Conflict:
            continue  # another instance (or a person) got there first
    if announced:  # Slack's rate limits must not hold up the clock; a crash leaves them to advance_due's sweep
        services.spawn(_deliver(services, announced), "sla-deliver")
    return len(announced)


async def _deliver(services: Services, esc_ids: list[int]) -> None:
    for esc_id in esc_ids:
        await _sync_or_later(services, esc_id)
        await _publish(services, None, esc_id)  # App Home shows the clocks


async def _announce_sla(session: AsyncSession, esc_id: int, moment: Now, teams: dict[int, Any]) -> bool:
    """Claims one escalation's due SLA announcements (False when nothing is due any more)."""
    now = moment.at
    esc = await session.get(Escalation, esc_id)
    if esc is None or esc.state not in LIVE or esc.sla_next_at is None or esc.sla_next_at > now:
        return False
    if esc.team_id not in teams:
        team = await existing(session, Team, esc.team_id)
        teams[esc.team_id] = (team, team_policy(team), {}, None)
    team, cfg, levels, managers = teams[esc.team_id]
    state = sla.State.of(esc)
    events = sla.fired(state, team, cfg, now)
    flags = sla.flags_after(esc.sla_flags, events)
    following = sla.next_at(sla.State(state.severity, state.acked, state.resolved, state.used, state.since,
                                      flags), team, cfg)
    steps: list[dict[str, Any]] = []
    if events:
        if esc.level not in levels:
            levels[esc.level] = await level_people(session, team, cfg, esc.level, moment)
        people = levels[esc.level]
        side = _side_holding(esc, people)
        if managers is None:
            managers = [m.slack_user_id for m, _ in await team_members(session, team.id, "manager")
                        if m.slack_user_id and not m.on_leave]
            teams[esc.team_id] = (team, cfg, levels, managers)
        for which, kind in events:
            if kind == "breach":
                steps += [{"kind": "sla_breach", "at": now, "note": f"{which}:{side}"},
                          {"kind": "notified", "at": now, "note": _ids(managers)}]
            else:
                steps += [{"kind": "sla_warning", "at": now, "note": which},
                          {"kind": "notified", "at": now,
                           "note": _ids([esc.acked_by_slack_id or "", *people])}]
    await _transition(session, esc, steps, sla_flags=flags, sla_next_at=following)
    return bool(events)


async def _missed_now(session: AsyncSession, esc: Escalation, team: Team, cfg: Any, moment: Now,
                      which: str) -> tuple[list[dict[str, Any]], int]:
    """A clock that stops now after its target passed unannounced (between two ticks) is recorded as
    breached all the same: (the breach step, if any, and the flags to store)."""
    now = moment.at
    rest = sla.left(sla.State.of(esc), which, team, cfg, now)
    if rest is None or rest > 0 or esc.sla_running_since is None or esc.sla_flags & sla.BREACHED[which]:
        return [], esc.sla_flags
    side = _side_holding(esc, await level_people(session, team, cfg, esc.level, moment))
    managers = [m.slack_user_id for m, _ in await team_members(session, team.id, "manager")
                if m.slack_user_id and not m.on_leave]
    return ([{"kind": "sla_breach", "at": now, "note": f"{which}:{side}"},
             {"kind": "notified", "at": now, "note": _ids(managers)}],
            sla.flags_after(esc.sla_flags, [(which, "breach")]))


def _side_holding(esc: Escalation, people: list[Any]) -> str:
    """The side whose clock was running: whoever acknowledged it, else the level being called (vendor when
    everyone called there is vendor staff)."""
    if esc.first_ack_at is not None:
        return "vendor" if esc.acked_by_org else "internal"
    return "vendor" if people and all(p.org for p in people) else "internal"


async def _advance(services: Services, esc_id: int, now: datetime) -> type[EscalationEvent] | None:
    async with services.sessions.begin() as session:
        esc = await session.get(Escalation, esc_id)
        if esc is None or esc.state not in LIVE or esc.next_step_at is None or esc.next_step_at > now:
            return None
        team = await existing(session, Team, esc.team_id)
        cfg = team_policy(team)
        if esc.state == "acknowledged":
            if esc.rounds >= cfg.renotify_last:
                await _transition(session, esc, [], next_step_at=None)  # reminded enough: the clock stops
                return None
            people = await level_people(session, team, cfg, esc.level, Now(services.metrics, now))
            await _transition(session, esc, [
                {"kind": "reminded", "at": now, "note": f"{esc.rounds + 1}"},
                {"kind": "notified", "at": now, "note": _ids([esc.acked_by_slack_id, *people])},
            ], rounds=esc.rounds + 1,
                next_step_at=due_after(now, cfg.acked_timeout(esc.severity), esc.severity, cfg, team))
            return EscalationReminded
        skipped: list[Skip] = []
        following = await next_staffed_level(session, team, cfg, esc.level, Now(services.metrics, now), skipped)
        timer = due_after(now, cfg.timeout(esc.severity), esc.severity, cfg, team)
        if following is not None:
            level, people = following
            await _transition(session, esc, [
                *_skips(skipped, now),
                {"kind": "escalated", "at": now, "note": f"{esc.level}"},
                {"kind": "notified", "at": now, "note": _ids(people)},
            ], level=level, rounds=0, next_step_at=timer)
            return EscalationEscalated
        if esc.rounds >= cfg.renotify_last:
            await _transition(session, esc, [], next_step_at=None)  # the last level was called enough
            return None
        people = await level_people(session, team, cfg, esc.level, Now(services.metrics, now))
        await _transition(session, esc, [
            {"kind": "reminded", "at": now, "note": f"{esc.rounds + 1}"},
            {"kind": "notified", "at": now, "note": _ids(people)},
        ], rounds=esc.rounds + 1, next_step_at=timer)
        return EscalationReminded


# --- people acting on it ------------------------------------------------------------------------------
async def _act(services: Services, actor: Actor, esc_id: int, action: Action, decide: Any) -> Escalation:
    """Loads, checks `action` against the permission table, lets `decide(session, esc, team, cfg, member,
    now)` transition; retries on a concurrent change so the decision is always made on the latest state."""
    for _ in range(CAS_TRIES):
        now = services.clock.now()
        try:
            async with services.sessions.begin() as session:
                esc, member = await _authorized(session, actor, action, esc_id, Now(services.metrics, now))
                team = await existing(session, Team, esc.team_id)
                await decide(session, esc, team, team_policy(team), member, now)
            return esc
        except Conflict:
            continue
    raise UserFacingError("escalations.errors.busy")


def subject(esc: Escalation, cfg: Any, rotations: dict[str, frozenset[str]] | None = None,
            covers: frozenset[str] = frozenset()) -> Subject:
    """An escalation as the permission table sees it: its team, its raiser, who is called for it now (with the
    people covering its rotations now)."""
    return Subject(team_id=esc.team_id, owner_slack_id=esc.raiser_slack_id,
                   called=called_from(cfg, esc.level, rotations) | covers)


async def _authorized(session: AsyncSession, actor: Actor, action: Action, esc_id: int,
                      now: Now) -> tuple[Escalation, Member]:
    """The escalation `esc_id`, once `actor` may take `action` on it: decided from its stored level, the
    team's policy and who is on duty now, never from the request."""
    member = await identify(session, actor)
    esc = await session.get(Escalation, esc_id)
    team = await session.get(Team, esc.team_id) if esc is not None else None
    if esc is None or team is None:
        raise UserFacingError("escalations.errors.not_found")
    cfg = team_policy(team)
    covers = await covering(session, team, cfg, esc.level, now)
    authorize(member, action, subject(esc, cfg, rotation_people(team), covers), connect=actor.external,
              ref=esc.ref)
    return esc, member


async def check_may(services: Services, actor: Actor, action: Action, esc_id: int) -> Escalation:
    """For other features acting on an escalation (the Jira button): refuses unless the table allows."""
    async with services.sessions() as session:
        esc, _ = await _authorized(session, actor, action, esc_id, Now(services.metrics, services.clock.now()))
        return esc


async def acknowledge(services: Services, actor: Actor, esc_id: int) -> str:
    async def decide(session: AsyncSession, esc: Escalation, team: Team, cfg: Any, member: Member,
                     now: datetime) -> None:
        if esc.state != "open":
            raise UserFacingError(f"escalations.errors.already_{esc.state}", ref=esc.ref,
                                  who=esc.acked_by_name or "")
        late, flags = await _missed_now(session, esc, team, cfg, Now(services.metrics, now), "ack")
        await _transition(session, esc, [*late,
            {"kind": "acknowledged", "at": now, "actor_slack_id": actor.slack_id, "actor_name": member.name,
             "actor_org": member.external_org}],
            state="acknowledged", first_ack_at=esc.first_ack_at or now, acked_by_slack_id=actor.slack_id,
            acked_by_name=member.name, acked_by_org=member.external_org, rounds=0,
            next_step_at=due_after(now, cfg.acked_timeout(esc.severity), esc.severity, cfg, team),
            **(sla.after_ack(esc, team, cfg, flags) if esc.first_ack_at is None else {}))

    esc = await _act(services, actor, esc_id, Action.ESCALATION_ACK, decide)
    await _after(services, esc_id, EscalationAcknowledged)
    return esc.ref


async def escalate_now(services: Services, actor: Actor, esc_id: int) -> str:
    async def decide(session: AsyncSession, esc: Escalation, team: Team, cfg: Any, member: Member,
                     now: datetime) -> None:
        if esc.state not in LIVE:
            raise UserFacingError("escalations.errors.already_resolved", ref=esc.ref, who="")
        skipped: list[Skip] = []
        following = await next_staffed_level(session, team, cfg, esc.level, Now(services.metrics, now), skipped)
        if following is None:
            raise UserFacingError("escalations.errors.last_level", ref=esc.ref)
        level, people = following
        await _transition(session, esc, [
            *_skips(skipped, now),
            {"kind": "escalated", "at": now, "note": f"{esc.level}", "actor_slack_id": actor.slack_id,
             "actor_name": member.name, "actor_org": member.external_org},
            {"kind": "notified", "at": now, "note": _ids(people)},
        ], state="open", level=level, rounds=0,
            next_step_at=due_after(now, cfg.timeout(esc.severity), esc.severity, cfg, team))

    esc = await _act(services, actor, esc_id, Action.ESCALATION_ESCALATE_NOW, decide)
    await _after(services, esc_id, EscalationEscalated)
    return esc.ref


async def check_may_resolve(services: Services, actor: Actor, esc_id: int) -> str:
    """Before the note modal opens: refuses early so nobody types a note for nothing."""
    async with services.sessions() as session:
        esc, _ = await _resolvable(session, actor, esc_id, Now(services.metrics, services.clock.now()))
        return esc.ref


async def _resolvable(session: AsyncSession, actor: Actor | None, esc_id: int,
                      now: Now) -> tuple[Escalation, Member | None]:
    """The escalation, if it is unresolved and `actor` (None: OneTeam for Jira) may resolve it."""
    if actor is not None:
        esc, member = await _authorized(session, actor, Action.ESCALATION_RESOLVE, esc_id, now)
    else:
        found = await session.get(Escalation, esc_id)
        if found is None:
            raise UserFacingError("escalations.errors.not_found")
        esc, member = found, None
    if esc.state == "resolved":
        raise UserFacingError("escalations.errors.already_resolved", ref=esc.ref, who="")
    return esc, member


async def resolve(services: Services, actor: Actor | None, esc_id: int, note: str) -> str:
    """Resolves with a note; `actor` None is OneTeam acting for Jira."""
    note = note.strip()
    if not note:
        raise UserFacingError("escalations.errors.note_needed", block_id="esc_note")
    for _ in range(CAS_TRIES):
        now = services.clock.now()
        try:
            async with services.sessions.begin() as session:
                esc, member = await _resolvable(session, actor, esc_id, Now(services.metrics, now))
                team = await existing(session, Team, esc.team_id)
                late, flags = await _missed_now(session, esc, team, team_policy(team),
                                                Now(services.metrics, now), "resolve")
                await _transition(session, esc, [*late,
                    {"kind": "resolved", "at": now, "note": note,
                     "actor_slack_id": actor.slack_id if actor else None,
                     "actor_name": member.name if member else None,
                     "actor_org": member.external_org if member else None}],
                    state="resolved", resolved_at=now, resolution_note=note, next_step_at=None, sla_flags=flags,
                    **sla.paused(esc, team, team_policy(team), now))
                ref = esc.ref
            break
        except Conflict:
            continue
    else:
        raise UserFacingError("escalations.errors.busy")
    await _after(services, esc_id, EscalationResolved)
    return ref


async def reopen(services: Services, actor: Actor, esc_id: int) -> str:
    async def decide(session: AsyncSession, esc: Escalation, team: Team, cfg: Any, member: Member,
                     now: datetime) -> None:
        if esc.state != "resolved":
            raise UserFacingError("escalations.errors.not_resolved", ref=esc.ref)
        people = await level_people(session, team, cfg, esc.level, Now(services.metrics, now))
        await _transition(session, esc, [
            {"kind": "reopened", "at": now, "actor_slack_id": actor.slack_id, "actor_name": member.name,
             "actor_org": member.external_org},
            {"kind": "notified", "at": now, "note": _ids(people)},
        ], state="open", rounds=0, reopen_count=esc.reopen_count + 1, resolved_at=None, satisfaction=None,
            next_step_at=due_after(now, cfg.timeout(esc.severity), esc.severity, cfg, team),
            **({} if esc.waiting_on else sla.resumed(esc, team, cfg, now)))

    esc = await _act(services, actor, esc_id, Action.ESCALATION_REOPEN, decide)
    await _after(services, esc_id, EscalationReopened)
    return esc.ref


async def change_severity(services: Services, actor: Actor, ref: str, severity: str) -> str:
    """`/escalate severity ESC-n P1`: the clock restarts from now with the new severity's timeout."""
    severity = severity.upper()
    if severity not in SEVERITIES:
        raise UserFacingError("escalations.usage.bad_severity", given=severity[:20])
    number = ref.upper().removeprefix("ESC-")
    if not number.isdigit() or len(number) > 9:
        raise UserFacingError("escalations.errors.not_found")
    esc_id = int(number)

    async def decide(session: AsyncSession, esc: Escalation, team: Team, cfg: Any, member: Member,
                     now: datetime) -> None:
        if esc.state not in LIVE:
            raise UserFacingError("escalations.errors.already_resolved", ref=esc.ref, who="")
        if esc.severity == severity:
            raise UserFacingError("escalations.errors.same_severity", ref=esc.ref, severity=severity)
        timeout = cfg.acked_timeout(severity) if esc.state == "acknowledged" else cfg.timeout(severity)
        await _transition(session, esc, [
            {"kind": "severity", "at": now, "note": f"{esc.severity} → {severity}", "actor_slack_id": actor.slack_id,
             "actor_name": member.name, "actor_org": member.external_org}],
            severity=severity, next_step_at=due_after(now, timeout, severity, cfg, team))

    esc = await _act(services, actor, esc_id, Action.ESCALATION_SEVERITY, decide)
    await _after(services, esc_id, EscalationSeverityChanged)
    return esc.ref


async def set_waiting(services: Services, actor: Actor, esc_id: int, side: str | None) -> str:
    """A responder marks the escalation as waiting on `side` (internal | vendor), which pauses its SLA
    clocks, or clears it (None), which resumes them where they stopped."""
    if side not in (None, *WAIT_SIDES):
        raise UserFacingError("escalations.errors.not_found")

    async def decide(session: AsyncSession, esc: Escalation, team: Team, cfg: Any, member: Member,
                     now: datetime) -> None:
        if esc.state not in LIVE:
            raise UserFacingError("escalations.errors.already_resolved", ref=esc.ref, who="")
        if esc.waiting_on == side:
            raise UserFacingError("escalations.errors.waiting_unchanged", ref=esc.ref)
        clocks = sla.paused(esc, team, cfg, now) if side else sla.resumed(esc, team, cfg, now)
        await _transition(session, esc, [
            {"kind": "waiting" if side else "resumed", "at": now, "note": side or esc.waiting_on,
             "actor_slack_id": actor.slack_id, "actor_name": member.name, "actor_org": member.external_org}],
            waiting_on=side, **clocks)

    esc = await _act(services, actor, esc_id, Action.ESCALATION_WAIT, decide)
    await _sync_or_later(services, esc_id)
    await _publish(services, None, esc_id)  # App Home shows the clocks paused or running
    return esc.ref


async def rate(services: Services, actor: Actor, esc_id: int, score: int) -> str:
    """The raiser's 1-5 satisfaction with a resolution (the last click counts)."""
    if not 1 <= score <= 5:
        raise UserFacingError("escalations.errors.bad_rating")

    async def decide(session: AsyncSession, esc: Escalation, team: Team, cfg: Any, member: Member,
                     now: datetime) -> None:
        if esc.state != "resolved":
            raise UserFacingError("escalations.errors.not_resolved", ref=esc.ref)
        await _transition(session, esc, [
            {"kind": "rated", "at": now, "note": str(score), "actor_slack_id": actor.slack_id,
             "actor_name": member.name, "actor_org": member.external_org}], satisfaction=score)

    esc = await _act(services, actor, esc_id, Action.ESCALATION_RATE, decide)
    await _after(services, esc_id, None)
    return esc.ref


async def _after(services: Services, esc_id: int, event: type[EscalationEvent] | None) -> None:
    await _sync_or_later(services, esc_id)
    if event:
        await _publish(services, event, esc_id)


# The timeline step whose actor and note an event carries (the Jira comment says who and why).
STEP_OF: dict[type[EscalationEvent], str] = {EscalationAcknowledged: "acknowledged", EscalationResolved: "resolved",
                                             EscalationReopened: "reopened", EscalationSeverityChanged: "severity"}


async def _publish(services: Services, event: type[EscalationEvent] | None, esc_id: int) -> None:
    """The domain event (None: only the watchers' App Home, e.g. after an SLA warning, breach or pause)."""
    async with services.sessions() as session:
        esc = await existing(session, Escalation, esc_id)
        team = await existing(session, Team, esc.team_id)
        people = await level_people(session, team, team_policy(team), esc.level,
                                    Now(services.metrics, services.clock.now()))
        kind = STEP_OF.get(event) if event is not None else None
        last = None if kind is None else await session.scalar(
            select(EscalationStep).where(EscalationStep.escalation_id == esc_id, EscalationStep.kind == kind)
            .order_by(EscalationStep.seq.desc()).limit(1))
    if event is not None and event is not EscalationReminded:  # nobody outside reacts to a reminder but App Home
        await services.events.publish(event(
            escalation_id=esc.id, ref=esc.ref, team_key=team.key, severity=esc.severity, category=esc.category,
            summary=esc.summary, details=esc.details, raiser_slack_id=esc.raiser_slack_id,
            channel_id=esc.channel_id, message_ts=esc.message_ts, jira_wanted=esc.jira_wanted,
            actor_name=last.actor_name if last else None, note=last.note if last else None))
    watchers = {esc.raiser_slack_id, *(p.slack_id for p in people)}
    if esc.acked_by_slack_id:
        watchers.add(esc.acked_by_slack_id)
    await services.events.publish(HomeChanged(sorted(watchers)))


# --- reading ------------------------------------------------------------------------------------------
async def get(session: AsyncSession, esc_id: int) -> Escalation | None:
    return await session.scalar(select(Escalation).where(Escalation.id == esc_id)
                                .options(selectinload(Escalation.steps)))


async def home_escalations(session: AsyncSession, member: Member, overseen: set[int]
                           ) -> tuple[list[EscalationCard], list[EscalationCard]]:
    """App Home's escalations (registered in bot/wiring.py): (raised by the member, open in the teams they
    oversee)."""
    mine, teams = [], []
    for esc, team in await open_for(session, member):
        card = EscalationCard(esc.ref, esc.severity, esc.summary, esc.state, team.name,
                              sla.next_due(esc, team, team_policy(team)), bool(esc.sla_flags & sla.MISSED))
        if esc.raiser_slack_id == member.slack_user_id:
            mine.append(card)
        if team.id in overseen:
            teams.append(card)
    return mine, teams


async def open_for(session: AsyncSession, member: Member, limit: int = OPEN_LIST_MAX) -> list[tuple[Escalation, Team]]:
    """Open and acknowledged escalations of the member's teams, most severe and oldest first; capped,
    because a list (and App Home, which reads this on every change) cannot show hundreds anyway."""
    team_ids = [ms.team_id for ms in member.memberships]
    rows = await session.execute(select(Escalation, Team).join(Team, Team.id == Escalation.team_id).where(
        Escalation.team_id.in_(team_ids), Escalation.state.in_(LIVE)
    ).order_by(Escalation.severity, Escalation.created_at).limit(limit))
    return [(e, t) for e, t in rows.all()]


def prefill_from(info: BlockerInfo) -> Prefill:
    """The raise modal's contents for a check-in blocker."""
    return Prefill(summary=f"{info.member_name}: {info.text}"[:SUMMARY_MAX], details=info.text,
                   team_key=info.team_key, blocker_id=info.id)


async def check_blocker(services: Services, actor: Actor, blocker_id: int) -> None:
    """Before a raise modal that names a blocker is accepted: refused unless the table allows."""
    async with services.sessions() as session:
        await _blocker(services, session, await identify(session, actor), blocker_id, actor.external)


async def _blocker(services: Services, session: AsyncSession, member: Member, blocker_id: int,
                   connect: bool) -> BlockerInfo:
    """A check-in blocker `member` may escalate, through the check-ins' provider (bot/wiring.py)."""
    if services.metrics.blocker is None:  # no check-ins feature: no blocker to escalate
        raise UserFacingError("checkins.errors.unknown_blocker")
    return await services.metrics.blocker(session, member, Action.BLOCKER_ESCALATE, blocker_id, connect)


# --- what the Jira feature tells (events, subscribed in bot/wiring.py) ---------------------------------
async def on_jira_linked(services: Services, event: JiraIssueLinked) -> None:
    """`JiraIssueLinked`: the escalation records its ticket's key."""
    if event.origin == "escalation":
        async with services.sessions.begin() as session:
            await link_jira(session, event.origin_id, event.jira_key)


async def on_jira_done(services: Services, event: JiraIssueDone) -> None:
    """`JiraIssueDone`: the linked issue was resolved in Jira and the team wants the escalation resolved too."""
    await resolve_from_jira(services, event.ref, event.note)


async def link_jira(session: AsyncSession, escalation_id: int, jira_key: str) -> None:
    await session.execute(update(Escalation).where(Escalation.id == escalation_id).values(jira_key=jira_key))


async def resolve_from_jira(services: Services, ref: str, note: str) -> bool:
    """The linked Jira issue was resolved: resolve the escalation too (False when already resolved/unknown)."""
    if not ref.upper().startswith("ESC-") or not ref[4:].isdigit():
        return False
    try:
        await resolve(services, None, int(ref[4:]), note or "Jira")
    except UserFacingError:
        return False
    return True


# --- KPIs and the digest ------------------------------------------------------------------------------
def _p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _hours(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 3600


async def _after_hours_pages(session: AsyncSession, team: Team, opened: Sequence[Escalation]) -> dict[str, int]:
    """P1/P2 pages that reached people outside their working hours (the team's calendar in their own zone),
    by side: the load each side carries at night."""
    urgent = [e.id for e in opened if e.severity in notify.URGENT]
    if not urgent:
        return {}
    pages = [(step.at, uid) for step in (await session.scalars(select(EscalationStep).where(
        EscalationStep.escalation_id.in_(urgent), EscalationStep.kind == "notified"))).all()
        for uid in (step.note or "").split(",") if uid]
    people = {m.slack_user_id: m for m in (await session.scalars(select(Member).where(
        Member.slack_user_id.in_({uid for _, uid in pages})))).all()}
    hours = team_calendar(team)
    counts: dict[str, int] = {}
    for at, uid in pages:
        person = people.get(uid)
        if person is not None and not hours.for_person(person.timezone).is_working(at):
            side = "vendor" if person.external_org else "internal"
            counts[side] = counts.get(side, 0) + 1
    return counts


async def escalation_metrics(session: AsyncSession, team_id: int, start: datetime, end: datetime) -> EscalationMetrics:
    """Escalations opened in [start, end): counts, SLA attainment per severity and clock (from the SLA clocks:
    pauses excluded; judged once the clock stopped or its breach was recorded), time to acknowledge and
    resolve, reopen rate;
    satisfaction of those resolved in the period; breaches recorded in the period by side."""
    team = await session.get(Team, team_id)
    if team is None:
        return EscalationMetrics()
    mine = Escalation.team_id == team_id
    opened = (await session.scalars(select(Escalation).where(
        mine, Escalation.created_at >= start, Escalation.created_at < end))).all()
    resolved = (await session.scalars(select(Escalation).where(
        mine, Escalation.resolved_at >= start, Escalation.resolved_at < end))).all()
    open_now = len((await session.scalars(select(Escalation.id).where(
        mine, Escalation.created_at < end, Escalation.state.in_(LIVE)))).all())
    to_ack: list[float] = []
    to_resolve: list[float] = []
    attained: dict[str, dict[str, tuple[int, int]]] = {"ack": {}, "resolve": {}}
    for esc in opened:
        for which, stopped in (("ack", esc.first_ack_at is not None), ("resolve", esc.state == "resolved")):
            missed = bool(esc.sla_flags & sla.BREACHED[which])  # recorded by the tick, or when it stopped late
            if stopped or missed:
                met, judged = attained[which].get(esc.severity, (0, 0))
                attained[which][esc.severity] = (met + (not missed), judged + 1)
        acked = esc.first_ack_at
        if acked is not None:
            to_ack.append(_hours(acked, esc.created_at))
        if esc.resolved_at is not None:
            to_resolve.append(_hours(esc.resolved_at, esc.created_at))
    ratings = [e.satisfaction for e in resolved if e.satisfaction is not None]
    by_severity: dict[str, int] = {}
    for esc in opened:
        by_severity[esc.severity] = by_severity.get(esc.severity, 0) + 1
    sides = (await session.scalars(select(EscalationStep.note).join(
        Escalation, Escalation.id == EscalationStep.escalation_id).where(
        mine, EscalationStep.kind == "sla_breach", EscalationStep.at >= start, EscalationStep.at < end))).all()
    by_side: dict[str, int] = {}
    for note in sides:
        side = (note or "").partition(":")[2] or "internal"
        by_side[side] = by_side.get(side, 0) + 1
    ack_met = sum(met for met, _ in attained["ack"].values())
    judged = sum(n for _, n in attained["ack"].values())
    return EscalationMetrics(
        opened=len(opened), resolved=len(resolved), open_now=open_now, sla_judged=judged,
        sla_breaches=judged - ack_met, sla_ack=attained["ack"], sla_resolve=attained["resolve"],
        breaches_by_side=by_side, after_hours_pages=await _after_hours_pages(session, team, opened),
        ack_median_hours=statistics.median(to_ack) if to_ack else None, ack_p90_hours=_p90(to_ack),
        resolve_median_hours=statistics.median(to_resolve) if to_resolve else None,
        resolve_p90_hours=_p90(to_resolve),
        reopen_rate=(sum(1 for e in opened if e.reopen_count) / len(opened)) if opened else None,
        satisfaction_avg=(sum(ratings) / len(ratings)) if ratings else None, by_severity=by_severity)
