"""The scheduled side of check-ins: open rounds, send due prompts and reminders, close rounds.

Every send is claimed in the database first (a conditional UPDATE that one tick wins), in small batches
under a lease that the live sender renews, then goes through `deliver_once` with a key per (round, member),
then is recorded. A tick that dies mid-way leaves its batch in `sending`; once the lease lapses (`LEASE`,
the leader take-over time) the next tick takes the rows over, and `deliver_once` finds out from Slack
whether a message whose send had started went, so a restart resumes the fan-out soon and never repeats it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, or_, select, update

from bot.calendar import Calendar, team_calendar, week_of, weekdays_around, zone
from bot.checkins import blocks
from bot.checkins.config import CheckinConfig
from bot.checkins.service import local_text, member_t, open_blockers, team_config
from bot.delivery import LEASE, RENEW_EVERY, deliver_once
from bot.events import HomeChanged, MemberTimezoneChanged, ProfileRead
from bot.metrics import OpenIssue
from bot.pacing import update_message
from bot.services import Services
from bot.slack import SlackProfile, from_snapshot, snapshot_values
from storage.milestones import first_start
from storage.models import CheckinPrompt, CheckinRound, Member, ProfileSnapshot, Team
from storage.org import active_teams, keep_profiles, kept_profiles, team_members
from storage.rows import existing, rowcount
from storage.upsert import insert_once

log = logging.getLogger("oneteam.checkins")
T = TypeVar("T")
CONCURRENCY = 32  # sends in flight; the client's retry handler waits out 429s, so this only bounds sockets
BATCH = 50  # rows claimed at once (a directory page's prompts are one batch): what a crash can hold up
OPEN_AHEAD = timedelta(days=2)  # a round is created this long before its first prompt
# Profiles of people on no `users.list` page (Slack Connect staff of another workspace) are read ahead of their
# prompts and kept. A kept profile serves a prompt sent within PROFILE_FRESH of its reading: a status set since
# (leave starting) is missed for at most that long, and the reads of 5,000 such people due at once fit in it.
PROFILE_FRESH = timedelta(minutes=90)
USERS_INFO_PER_MINUTE = 80  # the read-ahead's pace: users.info is Tier 4 (100 a minute); the rest is left for
# the fan-out's own reads (someone new or stale) and the org's
READ_AHEAD_MARGIN = timedelta(minutes=10)  # reads start this much earlier than their number needs, and stay
# fresh this long past the due time (a big fan-out takes minutes at chat.postMessage's pace; late ticks)
READ_AHEAD_KEY = "checkins.read_ahead_at"
PERMANENT = {"channel_not_found", "user_not_found", "user_disabled", "cannot_dm_bot", "not_in_channel",
             "invalid_arguments", "invalid_blocks", "account_inactive", "user_not_visible"}


async def run_due(services: Services) -> None:
    """The job's tick: everything that is due now, in order."""
    await open_rounds(services)
    await send_due_prompts(services)
    await send_due_reminders(services)
    await close_rounds(services)


# --- rounds ----------------------------------------------------------------------------------------------
async def open_rounds(services: Services) -> list[int]:
    """Creates the round of each team's coming check-in day (one per team and week), with a prompt per member.

    A bot that was down catches up on prompts that fell due meanwhile, but a fresh install does not send
    prompts that fell due before it first ran (last Friday's check-in on a Monday)."""
    now = services.clock.now()
    installed = await first_start(services.sessions, now)
    created: list[int] = []
    async with services.sessions() as session:
        teams = list(await active_teams(session))
    for team in teams:
        cfg = team_config(team)
        if not cfg.enabled:
            continue
        closed = team_calendar(team).holidays
        for day in weekdays_around(now, cfg.weekday_index):
            if day in closed:  # a public holiday or closed date of the team: no check-in that week
                continue
            round_id = await _open_round(services, team, cfg, day, now, installed)
            if round_id is not None:
                created.append(round_id)
    return created


async def _open_round(services: Services, team: Team, cfg: CheckinConfig, day: Any, now: datetime,
                      installed: datetime) -> int | None:
    async with services.sessions() as session:
        people = [m for m, roles in await team_members(session, team.id)
                  if not (set(roles) & set(cfg.skip_roles))]
        existing = await session.scalar(select(CheckinRound).where(CheckinRound.team_id == team.id,
                                                                   CheckinRound.week == week_of(day)))
    everyone = {m.id: (Calendar(zone(m.timezone, team.timezone)).at(day, cfg.local_time),
                       zone(m.timezone, team.timezone).key) for m in people}
    if not everyone:
        return None
    first, last = min(d for d, _ in everyone.values()), max(d for d, _ in everyone.values())
    dues = {mid: due for mid, due in everyone.items() if due[0] >= installed}  # none from before the install
    if not dues:
        return None
    if existing is not None:
        if existing.state == "open":
            await _add_missing_prompts(services, existing.id, dues)
        return None
    if not (first - OPEN_AHEAD <= now < last + timedelta(hours=cfg.close_after_hours)):
        return None  # (a bot that was down at check-in time still opens the round while it would be open)
    async with services.sessions.begin() as session:
        values = dict(team_id=team.id, week=week_of(day), day=day.isoformat(), opens_at=first,
                      closes_at=last + timedelta(hours=cfg.close_after_hours), state="open",
                      questions=[q.model_dump(mode="json") for q in cfg.questions],
                      summary_channel=team.channel_id if cfg.summary_in_channel else None, created_at=now)
        if not await insert_once(session, CheckinRound, values, ("team_id", "week")):
            return None  # another instance created it first
        rnd = (await session.scalars(select(CheckinRound).where(CheckinRound.team_id == team.id,
                                                                CheckinRound.week == values["week"]))).one()
        session.add_all(CheckinPrompt(round_id=rnd.id, member_id=mid, due_at=d, timezone=tz, state="pending",
                                      reminder_state="none", reminders_sent=0) for mid, (d, tz) in dues.items())
    log.info("check-in round opened", extra={"team": team.key, "week": rnd.week, "prompts": len(dues)})
    return rnd.id


async def _add_missing_prompts(services: Services, round_id: int, dues: dict[int, tuple[datetime, str]]) -> None:
    """People who joined the team after the round was created still get this week's prompt."""
    async with services.sessions() as session:
        have = set((await session.scalars(select(CheckinPrompt.member_id)
                                           .where(CheckinPrompt.round_id == round_id))).all())
    for mid in set(dues) - have:  # another instance may add the same ones: the first insert wins
        async with services.sessions.begin() as session:
            await insert_once(session, CheckinPrompt, dict(round_id=round_id, member_id=mid, due_at=dues[mid][0],
                                                           timezone=dues[mid][1], state="pending",
                                                           reminder_state="none", reminders_sent=0),
                              ("round_id", "member_id"))


async def on_timezone_changed(services: Services, event: MemberTimezoneChanged) -> None:
    """A member moved zones in Slack: their prompts not yet sent move to the check-in time in the new zone,
    and the reminder window of open rounds follows the new zone too."""
    member_id = event.member_id
    async with services.sessions.begin() as session:
        member = await session.get(Member, member_id)
        if member is None:
            return
        rows = (await session.execute(
            select(CheckinPrompt, CheckinRound, Team)
            .join(CheckinRound, CheckinRound.id == CheckinPrompt.round_id)
            .join(Team, Team.id == CheckinRound.team_id)
            .where(CheckinPrompt.member_id == member_id, CheckinRound.state == "open"))).all()
        for prompt, rnd, team in rows:
            tz = zone(member.timezone, team.timezone)
            values: dict[str, Any] = {"timezone": tz.key}
            if prompt.state == "pending":
                values["due_at"] = Calendar(tz).at(date.fromisoformat(rnd.day), team_config(team).local_time)
            await session.execute(update(CheckinPrompt).where(CheckinPrompt.id == prompt.id,
                                                              CheckinPrompt.state == prompt.state).values(values))


# --- claiming ---------------------------------------------------------------------------------------------
def _due(services: Services, state_col: Any, due_col: Any, started: datetime, extra: Iterable[Any] = ()) -> list[Any]:
    """Rows a tick may take: pending and due (not already tried by this tick, which started at `started`), or
    `sending` under a lease that lapsed (its sender died)."""
    now = services.clock.now()
    return [CheckinPrompt.round_id.in_(select(CheckinRound.id).where(CheckinRound.state == "open")), *extra,
            or_(and_(state_col == "pending", due_col <= now,
                     or_(CheckinPrompt.claimed_at.is_(None), CheckinPrompt.claimed_at < started)),
                and_(state_col == "sending", CheckinPrompt.claimed_at <= now - LEASE))]


async def _claim(services: Services, *, state_col: Any, due_col: Any, started: datetime,
                 extra: Iterable[Any] = (), limit: int | None = BATCH) -> tuple[str, list[int]]:
    """Atomically takes up to `limit` due rows (oldest due first) under a new lease; returns its token and ids."""
    token = secrets.token_hex(8)
    where = _due(services, state_col, due_col, started, extra)
    pick = select(CheckinPrompt.id).where(*where).order_by(due_col, CheckinPrompt.id).limit(limit)
    async with services.sessions.begin() as session:
        await session.execute(
            update(CheckinPrompt).where(CheckinPrompt.id.in_(pick), *where)  # rechecked: another may have won
            .values({state_col.key: "sending", "claim": token, "claimed_at": services.clock.now()})
            .execution_options(synchronize_session=False))
    async with services.sessions() as session:
        return token, list((await session.scalars(select(CheckinPrompt.id).where(
            CheckinPrompt.claim == token, state_col == "sending"))).all())


class _Lease:
    """A claimed batch's lease, renewed as its sends make progress (every `RENEW_EVERY` of the clock), so only
    a dead sender's rows are taken over. A sender stalled for a whole lease (every send waiting on Slack)
    may be helped by another tick: `deliver_once` still sends each message once."""

    def __init__(self, services: Services, token: str, state_col: Any) -> None:
        self.services, self.token, self.state_col = services, token, state_col
        self.renewed = services.clock.now()

    async def keep(self) -> None:
        now = self.services.clock.now()
        if now - self.renewed < RENEW_EVERY:
            return
        self.renewed = now
        async with self.services.sessions.begin() as session:
            await session.execute(update(CheckinPrompt).where(CheckinPrompt.claim == self.token,
                                                              self.state_col == "sending").values(claimed_at=now))


@dataclass
class _Context:
    """What the fan-out needs, loaded once instead of per member."""

    prompts: dict[int, CheckinPrompt]
    rounds: dict[int, CheckinRound]
    teams: dict[int, Team]
    members: dict[int, Member]
    blockers: dict[tuple[int, int], list[blocks.OpenBlocker]]
    told_away: set[tuple[int, int]]  # (team, member) whose previous prompt already said "away"


async def _load(services: Services, prompt_ids: list[int], *, with_history: bool) -> _Context:
    async with services.sessions() as session:
        prompts = {p.id: p for p in (await session.scalars(
            select(CheckinPrompt).where(CheckinPrompt.id.in_(prompt_ids)))).all()}
        rounds = {r.id: r for r in (await session.scalars(select(CheckinRound).where(
            CheckinRound.id.in_({p.round_id for p in prompts.values()})))).all()}
        teams = {t.id: t for t in (await session.scalars(select(Team).where(
            Team.id.in_({r.team_id for r in rounds.values()})))).all()}
        members = {m.id: m for m in (await session.scalars(select(Member).where(
            Member.id.in_({p.member_id for p in prompts.values()})))).all()}
        blockers: dict[tuple[int, int], list[blocks.OpenBlocker]] = {}
        told: set[tuple[int, int]] = set()
        if with_history:
            for team_id in teams:
                for member_id, items in (await open_blockers(session, team_id)).items():
                    blockers[(team_id, member_id)] = items
            previous = await session.execute(
                select(CheckinRound.team_id, CheckinPrompt.member_id, CheckinRound.id, CheckinPrompt.state)
                .join(CheckinRound, CheckinRound.id == CheckinPrompt.round_id)
                .where(CheckinRound.team_id.in_(teams), CheckinRound.id.not_in(rounds),
                       CheckinPrompt.member_id.in_(members))
                .order_by(CheckinRound.opens_at))
            last: dict[tuple[int, int], str] = {}
            for team_id, member_id, _rid, state in previous.all():
                last[(team_id, member_id)] = state
            told = {k for k, state in last.items() if state == "away"}
    return _Context(prompts, rounds, teams, members, blockers, told)


async def _bounded(items: Iterable[T], work: Callable[[T], Awaitable[None]], limit: int, lease: _Lease) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> None:
        async with gate:
            await work(item)
            await lease.keep()

    await asyncio.gather(*(one(i) for i in items))


async def _finish(services: Services, prompt: CheckinPrompt, state_col: Any, **values: Any) -> None:
    """Records the outcome of a claimed row, only if this tick still holds the claim."""
    async with services.sessions.begin() as session:
        await session.execute(update(CheckinPrompt).where(
            CheckinPrompt.id == prompt.id, CheckinPrompt.claim == prompt.claim, state_col == "sending",
        ).values(**values))


def _failure(exc: Exception) -> str:
    """`failed` for what retrying cannot fix; else the row goes back to `pending` for the next tick."""
    if isinstance(exc, SlackApiError) and exc.response.get("error") in PERMANENT:
        return "failed"
    return "pending"


# --- prompts ----------------------------------------------------------------------------------------------
class _Profiles:
    """Slack profiles (status, time zone, locale) for one fan-out, read from `users.list` pages (Tier 2, 200
    people a call) instead of one `users.info` (Tier 4) per member. Someone on no page (a Slack Connect person
    of another workspace) has a fresh snapshot read ahead (`read_profiles_ahead`), else one `users.info`."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.seen: dict[str, SlackProfile | None] = {}
        self.workspace: str | None = None  # the team id of the listed people (once a page came)

    def add(self, page: Sequence[SlackProfile]) -> None:
        self.seen = {p.user_id: p for p in page}  # the pages before it are sent: a fan-out keeps one page
        self.workspace = self.workspace or next((p.team_id for p in page if p.team_id), None)

    async def kept(self, user_ids: Iterable[str]) -> None:
        """Takes the fresh snapshots (see `read_profiles_ahead`) of those of `user_ids` on no page."""
        wanted = [u for u in user_ids if u not in self.seen]
        if not wanted:
            return
        async with self.services.sessions() as session:
            rows = await kept_profiles(session, wanted, self.services.clock.now() - PROFILE_FRESH)
        self.seen.update((r.slack_user_id, from_snapshot(r)) for r in rows)

    def done(self, user_ids: Iterable[str | None]) -> None:
        """A batch is sent: its people's profiles are not needed again (a fan-out to 5,000 kept them all)."""
        for user_id in user_ids:
            self.seen.pop(user_id or "", None)

    async def of(self, user_id: str) -> SlackProfile | None:
        if user_id not in self.seen:
            profile = self.seen[user_id] = await self.services.directory.by_id(user_id)
            if profile is not None and self.workspace and profile.team_id != self.workspace:
                async with self.services.sessions.begin() as session:  # on no page: read ahead next time
                    await keep_profiles(session, [snapshot_values(profile, self.services.clock.now())])
        return self.seen[user_id]


async def send_due_prompts(services: Services, *, concurrency: int = CONCURRENCY) -> int:
    """Sends every due prompt, a small leased batch at a time; returns how many were claimed.

    When a due prompt's team checks Slack status, the fan-out walks the directory: it claims and sends the
    prompts of the members on one `users.list` page while the next page is fetched, so the pages (20 a
    minute) cost no wall time beyond the first, and cost nothing when no prompt is due (the tick runs every
    minute; a kept snapshot would be stale or cost the same calls). What no page covered goes in batches of
    `BATCH` afterwards."""
    started = services.clock.now()
    state, due = CheckinPrompt.state, CheckinPrompt.due_at
    profiles = _Profiles(services)
    claimed = 0

    async def batch(extra: Iterable[Any] = (), limit: int | None = BATCH) -> int:
        token, ids = await _claim(services, state_col=state, due_col=due, started=started, extra=extra, limit=limit)
        if ids:
            lease = _Lease(services, token, state)
            ctx = await _load(services, ids, with_history=True)
            issues = await _open_issues(services, [m.email for m in ctx.members.values()])
            await profiles.kept(m.slack_user_id for m in ctx.members.values() if m.slack_user_id)
            await lease.keep()
            await _bounded(sorted(ids), lambda pid: _prompt_one(services, ctx, ctx.prompts[pid], profiles, issues),
                           concurrency, lease)
            profiles.done(m.slack_user_id for m in ctx.members.values())
            changed = [ctx.members[p.member_id].slack_user_id for p in ctx.prompts.values()]
            await services.events.publish(HomeChanged([u for u in changed if u]))
        return len(ids)

    if await _status_wanted(services, started):
        async for page in _ahead(services.directory.pages()):
            profiles.add(page)
            members = select(Member.id).where(Member.slack_user_id.in_([p.user_id for p in page]))
            claimed += await batch([CheckinPrompt.member_id.in_(members)], limit=None)
    while n := await batch():
        claimed += n
    return claimed


async def read_profiles_ahead(services: Services) -> int:
    """The read-ahead job's tick: reads and keeps the profiles of people on no `users.list` page whose prompt
    falls due soon, so that the fan-out at the due time needs no `users.info` (Tier 4: 5,000 Slack Connect
    staff would hold it 50 minutes). Reads start as early as their number needs at `USERS_INFO_PER_MINUTE`
    (plus `READ_AHEAD_MARGIN`), earliest due first, each tick reading what the time since the last one allows
    (the pace is on the service clock). Returns how many were read."""
    now = services.clock.now()
    last = services.extras.get(READ_AHEAD_KEY)
    services.extras[READ_AHEAD_KEY] = now
    wanted = await _unlisted_due(services, now)
    if not wanted:
        return 0
    per_minute = USERS_INFO_PER_MINUTE * services.settings.slack_rate_scale
    if per_minute:
        ahead = min(PROFILE_FRESH - READ_AHEAD_MARGIN, timedelta(minutes=len(wanted) / per_minute) + READ_AHEAD_MARGIN)
        elapsed = (now - last).total_seconds() if isinstance(last, datetime) else 60.0
        budget = int(per_minute * min(max(elapsed, 0.0), 60.0) / 60)
    else:  # no pacing (a sandbox without limits)
        ahead, budget = PROFILE_FRESH - READ_AHEAD_MARGIN, len(wanted)
    read: list[dict[str, Any]] = []
    for user_id in list(dict.fromkeys(u for due, u in wanted if due <= now + ahead))[:budget]:  # (once each)
        try:
            profile = await services.directory.by_id(user_id)
        except Exception:
            log.warning("profiles not read ahead; the next tick goes on", exc_info=True)
            break
        if profile is not None:
            read.append(snapshot_values(profile, services.clock.now()))
    if read:
        async with services.sessions.begin() as session:
            await keep_profiles(session, read)
    return len(read)


async def _unlisted_due(services: Services, now: datetime) -> list[tuple[datetime, str]]:
    """(due time, Slack id) of pending prompts due within the read-ahead's reach, earliest first, to people on
    no page (a kept snapshot from another workspace, or vendor staff not yet read) in teams that check Slack
    status, whose snapshot would be stale before the prompt went."""
    workspace = await _workspace(services)
    async with services.sessions() as session:
        rows = (await session.execute(
            select(CheckinPrompt.due_at, Member.slack_user_id, Team, ProfileSnapshot.read_at, ProfileSnapshot.team_id)
            .join(CheckinRound, CheckinRound.id == CheckinPrompt.round_id)
            .join(Team, Team.id == CheckinRound.team_id)
            .join(Member, Member.id == CheckinPrompt.member_id)
            .outerjoin(ProfileSnapshot, ProfileSnapshot.slack_user_id == Member.slack_user_id)
            .where(CheckinRound.state == "open", CheckinPrompt.state == "pending", CheckinPrompt.due_at > now,
                   CheckinPrompt.due_at <= now + PROFILE_FRESH - READ_AHEAD_MARGIN, Member.on_leave.is_(False),
                   or_(Member.external_org.is_not(None), ProfileSnapshot.slack_user_id.is_not(None)))
            .order_by(CheckinPrompt.due_at, Member.id))).all()
    checks = {team.id: team_config(team).away.check_slack_status for _d, _u, team, _r, _t in rows}
    return [(due, user_id) for due, user_id, team, read_at, team_id in rows
            if user_id and checks[team.id] and (team_id is None or team_id != workspace)
            and (read_at is None or read_at < due + READ_AHEAD_MARGIN - PROFILE_FRESH)]


async def _workspace(services: Services) -> str | None:
    """The bot's own workspace: vendor staff in it are on the pages already."""
    try:
        return await services.identity.workspace()
    except Exception:
        log.warning("workspace not known; vendor staff are read ahead", exc_info=True)
        return None


async def _ahead(pages: AsyncIterator[list[SlackProfile]]) -> AsyncIterator[list[SlackProfile]]:
    """Yields each page while the next one is already being fetched. A failed listing just ends: what it did
    not cover goes in batches afterwards, each profile read on its own."""
    nxt: asyncio.Future[list[SlackProfile] | None] = asyncio.ensure_future(anext(pages, None))
    try:
        while True:
            try:
                page = await nxt
            except Exception:
                log.warning("users.list failed; the rest reads profiles one by one", exc_info=True)
                return
            if page is None:
                return
            nxt = asyncio.ensure_future(anext(pages, None))
            yield page
    finally:
        nxt.cancel()


async def _status_wanted(services: Services, started: datetime) -> bool:
    """Whether a prompt is due now in a team that checks Slack status (else no directory walk)."""
    async with services.sessions() as session:
        team_ids = (await session.scalars(select(CheckinRound.team_id).distinct().join(
            CheckinPrompt, CheckinPrompt.round_id == CheckinRound.id).where(
            *_due(services, CheckinPrompt.state, CheckinPrompt.due_at, started)))).all()
        teams = (await session.scalars(select(Team).where(Team.id.in_(team_ids)))).all()
    return any(team_config(t).away.check_slack_status for t in teams)


async def _open_issues(services: Services, emails: list[str]) -> Mapping[str, Sequence[OpenIssue] | None]:
    """The batch's open Jira issues, one call for the batch (the provider asks Jira per page of 50)."""
    if services.metrics.open_issues is None:
        return {}
    wanted = sorted({e for e in emails if e})
    try:
        return await services.metrics.open_issues(services, wanted, 10)
    except Exception:
        log.warning("open issues not loaded", exc_info=True)
        return dict.fromkeys(wanted)


async def _prompt_one(services: Services, ctx: _Context, prompt: CheckinPrompt, profiles: _Profiles,
                      issues: Mapping[str, Sequence[OpenIssue] | None]) -> None:
    rnd = ctx.rounds[prompt.round_id]
    team, member = ctx.teams[rnd.team_id], ctx.members[prompt.member_id]
    col = CheckinPrompt.state
    if not member.slack_user_id:
        await _finish(services, prompt, col, state="failed", skip_reason="no Slack user")
        return
    cfg = team_config(team)
    try:
        profile = (await profiles.of(member.slack_user_id)
                   if cfg.away.check_slack_status and not member.on_leave else None)
        if profile is not None and profile.timezone and profile.timezone != prompt.timezone:
            if await _moved_later(services, prompt, rnd, team, profile):
                return
            prompt.timezone = zone(profile.timezone, team.timezone).key  # due already: sent now, in the new zone
        # the language Slack has for them now (the member record follows it, see `apply_profile`)
        t = services.t(profile.locale, team.locale) if profile and profile.locale else member_t(services, member, team)
        away = "leave" if member.on_leave else (
            await _away_by_date(services, member, prompt) or _away_by_status(cfg, profile))
        if away:
            await _finish(services, prompt, col, state="away", skip_reason=away)
            if (team.id, member.id) not in ctx.told_away:
                note = blocks.away(t, team=team.name, reason=away)
                await deliver_once(services, f"checkin:away:{rnd.id}:{member.id}", member.slack_user_id,
                                   text=note.text, blocks=note.blocks)
            return
        found = issues.get(member.email) if member.email in issues else ()
        msg = blocks.prompt(t, team=team.name, week=rnd.week, closes=local_text(t, rnd.closes_at, prompt.timezone),
                            round_id=rnd.id, blockers=ctx.blockers.get((team.id, member.id), []), tasks=found)
        sent = await deliver_once(services, f"checkin:prompt:{rnd.id}:{member.id}", member.slack_user_id,
                                  text=msg.text, blocks=msg.blocks)
    except Exception as exc:
        log.warning("check-in prompt not sent", extra={"round_id": rnd.id, "member_id": member.id}, exc_info=True)
        await _finish(services, prompt, col, state=_failure(exc))
        return
    if sent is None:  # another instance is sending it right now; it will record it
        return
    now = services.clock.now()
    remind_at = _quiet(team, prompt.timezone, Calendar(zone(prompt.timezone, team.timezone)).in_window(
        max(now, prompt.due_at) + timedelta(hours=cfg.remind_after_hours), *cfg.window))
    await _finish(services, prompt, col, state="sent", sent_at=now, message_channel=sent.channel,
                  message_ts=sent.ts, remind_at=remind_at, timezone=prompt.timezone,
                  reminder_state="pending" if remind_at < rnd.closes_at else "none")


async def _moved_later(services: Services, prompt: CheckinPrompt, rnd: CheckinRound, team: Team,
                       profile: SlackProfile) -> bool:
    """The profile read at send time shows a zone change that no `user_change` event brought (Slack Connect
    staff): the member record follows, and a prompt now due later goes back to wait for it."""
    await services.events.publish(ProfileRead(profile))  # the org records it (and may move the member's zone)
    tz = zone(profile.timezone, team.timezone)
    due = Calendar(tz).at(date.fromisoformat(rnd.day), team_config(team).local_time)
    if due <= services.clock.now():
        return False
    await _finish(services, prompt, CheckinPrompt.state, state="pending", due_at=due, timezone=tz.key)
    return True


async def _away_by_date(services: Services, member: Member, prompt: CheckinPrompt) -> str | None:
    """`absent` when the member set themselves away (`/oneteam away`) on the prompt's local day."""
    day = prompt.due_at.astimezone(zone(prompt.timezone)).date()
    async with services.sessions() as session:
        return "absent" if await services.metrics.absent_on(session, [member.id], day) else None


def _away_by_status(cfg: CheckinConfig, profile: SlackProfile | None) -> str | None:
    if profile is None:
        return None
    status = profile.status_text.lower()
    if profile.status_emoji in cfg.away.status_emoji or any(w.lower() in status for w in cfg.away.status_words):
        return "status"
    return None


# --- reminders --------------------------------------------------------------------------------------------
async def send_due_reminders(services: Services, *, concurrency: int = CONCURRENCY) -> int:
    """Sends every due reminder, a leased batch at a time (like prompts); returns how many were claimed."""
    started, col, claimed = services.clock.now(), CheckinPrompt.reminder_state, 0
    while True:
        token, ids = await _claim(services, state_col=col, due_col=CheckinPrompt.remind_at, started=started,
                                  extra=[CheckinPrompt.state == "sent"])
        if not ids:
            return claimed
        claimed += len(ids)
        ctx = await _load(services, ids, with_history=False)
        await _bounded([ctx.prompts[i] for i in sorted(ids)], partial(_remind_one, services, ctx), concurrency,
                       _Lease(services, token, col))


def _quiet(team: Team, tz: str, when: datetime) -> datetime:
    """`when`, or the next start of the member's working hours by their team's calendar (days off, public
    holidays and closed dates included) in their own zone: a reminder is not urgent."""
    return team_calendar(team).for_person(tz).next_working(when)


async def _remind_one(services: Services, ctx: _Context, prompt: CheckinPrompt) -> None:
    rnd = ctx.rounds[prompt.round_id]
    team, member = ctx.teams[rnd.team_id], ctx.members[prompt.member_id]
    cfg, col, now = team_config(team), CheckinPrompt.reminder_state, services.clock.now()
    window_start = _quiet(team, prompt.timezone, Calendar(zone(prompt.timezone, team.timezone)).in_window(
        now, *cfg.window))
    if window_start > now:  # the tick ran late, past the member's evening or workday: wait for their morning
        await _finish(services, prompt, col, reminder_state="pending" if window_start < rnd.closes_at else "none",
                      remind_at=window_start)
        return
    t = member_t(services, member, team)
    msg = blocks.reminder(t, team=team.name, week=rnd.week, closes=local_text(t, rnd.closes_at, prompt.timezone),
                          round_id=rnd.id, prompt_id=prompt.id)
    try:
        sent = await deliver_once(services, f"checkin:reminder:{rnd.id}:{member.id}:{prompt.reminders_sent + 1}",
                                  member.slack_user_id or "", text=msg.text, blocks=msg.blocks)
    except Exception as exc:
        log.warning("check-in reminder not sent", extra={"round_id": rnd.id, "member_id": member.id}, exc_info=True)
        await _finish(services, prompt, col, reminder_state="none" if _failure(exc) == "failed" else "pending")
        return
    if sent is not None:
        await _finish(services, prompt, col, reminder_state="sent", reminders_sent=prompt.reminders_sent + 1)


# --- closing ------------------------------------------------------------------------------------------------
async def close_rounds(services: Services) -> list[int]:
    """Closes rounds past their window (one instance wins each), then updates what people see."""
    now = services.clock.now()
    async with services.sessions() as session:
        due = (await session.scalars(select(CheckinRound.id).where(CheckinRound.state == "open",
                                                                   CheckinRound.closes_at <= now))).all()
    closed: list[int] = []
    for round_id in due:
        async with services.sessions.begin() as session:
            won = await session.execute(update(CheckinRound).where(CheckinRound.id == round_id,
                                                                   CheckinRound.state == "open")
                                        .values(state="closed"))
            if rowcount(won) != 1:
                continue
            await session.execute(update(CheckinPrompt).where(CheckinPrompt.round_id == round_id,
                                                              CheckinPrompt.reminder_state == "pending")
                                  .values(reminder_state="none"))
        closed.append(round_id)
        await _after_close(services, round_id)
    return closed


async def _after_close(services: Services, round_id: int) -> None:
    from bot.checkins.summary import refresh_summary

    async with services.sessions() as session:
        rnd = await existing(session, CheckinRound, round_id)
        team = await existing(session, Team, rnd.team_id)
        rows = (await session.execute(select(CheckinPrompt, Member).join(Member, Member.id == CheckinPrompt.member_id)
                                      .where(CheckinPrompt.round_id == round_id,
                                             CheckinPrompt.message_ts.is_not(None)))).all()
    for prompt, member in rows:
        # Unanswered: the button would only lead to "closed".
        if prompt.state == "sent" and prompt.message_channel and prompt.message_ts:
            msg = blocks.closed(member_t(services, member, team), team=team.name, week=rnd.week)
            try:
                await update_message(services, prompt.message_channel, prompt.message_ts, msg, background=True)
            except Exception:
                log.warning("could not mark a prompt closed", extra={"round_id": round_id}, exc_info=True)
    await refresh_summary(services, round_id)
    users = [m.slack_user_id for _p, m in rows if m.slack_user_id]
    await services.events.publish(HomeChanged(users))
    log.info("check-in round closed", extra={"round_id": round_id, "team": team.key})
