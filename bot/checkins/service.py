"""Check-in rules: the form, answers (validated), skips, snoozes, blockers, and the metrics for the digest.

The scheduled side (rounds, the prompt fan-out, reminders, closing) lives in `bot.checkins.fanout`.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import Calendar, zone
from bot.checkins import blocks
from bot.checkins.config import CheckinConfig, Question
from bot.checkins.ids import question_block
from bot.delivery import deliver_once
from bot.errors import UserFacingError
from bot.events import BlockerReported, BlockerResolved, HomeChanged, JiraIssueLinked
from bot.i18n import Translator
from bot.metrics import BlockerInfo, CheckinCard, CheckinMetrics
from bot.permissions import Action, Subject, authorize, refuse
from bot.services import Services
from storage.ledger import Claim
from storage.models import CheckinBlocker, CheckinPrompt, CheckinRound, Member, Team
from storage.org import member_by_slack_id, team_members
from storage.rows import existing

log = logging.getLogger("oneteam.checkins")
SNOOZE_HOUR = timedelta(hours=1)


def team_config(team: Team) -> CheckinConfig:
    return CheckinConfig.model_validate((team.config or {}).get("checkins") or {})


def round_questions(rnd: CheckinRound) -> list[Question]:
    return [Question.model_validate(q) for q in rnd.questions]


def member_t(services: Services, member: Member, team: Team) -> Translator:
    return services.t(member.locale, team.locale)


def local_text(t: Translator, when: datetime, tz_name: str) -> str:
    """A moment in a check-in message: Slack shows it in the reader's own zone (fallback: the member's)."""
    return t.date_token(when, tz_name)


class InvalidAnswers(Exception):
    """The form has mistakes: {block_id: i18n key}, shown in the modal in the member's language (`t`)."""

    def __init__(self, errors: dict[str, str], t: Translator) -> None:
        super().__init__("invalid check-in answers")
        self.errors, self.t = errors, t


@dataclass
class Saved:
    """What a saved answer needs to tell others about (after the modal is acknowledged)."""

    prompt_id: int
    round_id: int
    first_time: bool
    locales: tuple[str | None, str | None] = (None, None)  # the member's and their team's
    new_blocker_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- finding the caller's check-in --------------------------------------------------------------------
async def _caller(session: AsyncSession, slack_user_id: str) -> Member:
    member = await member_by_slack_id(session, slack_user_id)
    if member is None:
        raise UserFacingError("core.errors.not_in_org")
    return member


async def home_checkin(session: AsyncSession, member: Member) -> CheckinCard | None:
    """App Home's check-in card (registered in bot/wiring.py)."""
    try:
        prompt, rnd, team = await open_prompt(session, member, None)
    except UserFacingError:
        return None
    return CheckinCard(team.name, rnd.week, rnd.id, rnd.closes_at, prompt.state == "answered")


async def open_prompt(session: AsyncSession, member: Member, round_id: int | None) -> tuple[CheckinPrompt,
                                                                                             CheckinRound, Team]:
    """The member's prompt in `round_id`, or in their most pressing open round. Only the member's own
    prompts are looked at: the table's owner rule for answering (`Action.CHECKIN_ANSWER`)."""
    query = (select(CheckinPrompt, CheckinRound, Team)
             .join(CheckinRound, CheckinRound.id == CheckinPrompt.round_id)
             .join(Team, Team.id == CheckinRound.team_id)
             .where(CheckinPrompt.member_id == member.id))
    if round_id is not None:
        row = (await session.execute(query.where(CheckinRound.id == round_id))).first()
        if row is None:
            raise refuse(Action.CHECKIN_ANSWER)
        if row[1].state != "open":
            raise UserFacingError("checkins.errors.closed")
        return row[0], row[1], row[2]
    rows = (await session.execute(query.where(CheckinRound.state == "open")
                                  .order_by(CheckinPrompt.due_at))).all()
    if not rows:
        raise UserFacingError("checkins.errors.no_round")
    unanswered = [r for r in rows if r[0].state not in ("answered",)]
    row = (unanswered or rows)[0]
    return row[0], row[1], row[2]


async def open_form(services: Services, slack_user_id: str, round_id: int | None = None) -> dict[str, Any]:
    """The modal for the caller's open check-in (pre-filled when they already answered)."""
    async with services.sessions() as session:
        member = await _caller(session, slack_user_id)
        prompt, rnd, team = await open_prompt(session, member, round_id)
    t = member_t(services, member, team)
    edited = (local_text(t, prompt.answered_at, prompt.timezone) if prompt.answered_at else None)
    return blocks.form(t, team=team.name, week=rnd.week, round_id=rnd.id, questions=round_questions(rnd),
                       answers=prompt.answers, edited_when=edited)


# --- answers ------------------------------------------------------------------------------------------
def validate(questions: list[Question], raw: dict[str, str | None]) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean answers and errors {block_id: i18n key}: required answers present, mood a whole number 1-5."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in questions:
        value = (raw.get(q.key) or "").strip()
        if not value:
            if q.required:
                errors[question_block(q.key)] = "checkins.errors.required"
            answers[q.key] = None
            continue
        if q.kind == "mood":
            try:
                mood = int(value)
            except ValueError:
                mood = 0
            if not 1 <= mood <= 5:
                errors[question_block(q.key)] = "checkins.errors.mood"
                continue
            answers[q.key] = mood
        else:
            answers[q.key] = value
    return answers, errors


async def _answering(session: AsyncSession, slack_user_id: str, round_id: int) -> tuple[
        Member, CheckinPrompt, CheckinRound, Team, CheckinBlocker | None]:
    """The caller, their prompt in the open round `round_id`, and its blocker, in one statement (the ack
    waits for it); when that finds nothing, the usual queries say why (not in the org, not theirs, closed)."""
    row = (await session.execute(
        select(Member, CheckinPrompt, CheckinRound, Team, CheckinBlocker)
        .join(CheckinPrompt, CheckinPrompt.member_id == Member.id)
        .join(CheckinRound, CheckinRound.id == CheckinPrompt.round_id)
        .join(Team, Team.id == CheckinRound.team_id)
        .outerjoin(CheckinBlocker, CheckinBlocker.prompt_id == CheckinPrompt.id)
        .where(Member.slack_user_id == slack_user_id, Member.active.is_(True), CheckinRound.id == round_id,
               CheckinRound.state == "open")
        .order_by(CheckinBlocker.id).limit(1))).first()
    if row is not None:
        return row[0], row[1], row[2], row[3], row[4]
    member = await _caller(session, slack_user_id)
    prompt, rnd, team = await open_prompt(session, member, round_id)
    blocker = await session.scalar(select(CheckinBlocker).where(CheckinBlocker.prompt_id == prompt.id))
    return member, prompt, rnd, team, blocker


async def save_answers(services: Services, slack_user_id: str, round_id: int,
                       raw: dict[str, str | None], replay: Claim | None = None) -> Saved:
    """Validates and stores the form (a second submit edits); raises InvalidAnswers before writing anything.
    The submission's `replay` claim is made in the same transaction: a replay saves nothing (AlreadyHandled),
    and a save that fails leaves the submission unclaimed."""
    now = services.clock.now()
    async with services.sessions.begin() as session:
        member, prompt, rnd, team, existing = await _answering(session, slack_user_id, round_id)
        questions = round_questions(rnd)
        answers, errors = validate(questions, raw)
        if errors:
            raise InvalidAnswers(errors, member_t(services, member, team))
        if replay is not None:  # the first write: on SQLite the write lock is taken here, after the reads
            await replay.within(session)
        first = prompt.answered_at is None
        prompt.answers = answers
        prompt.mood = next((answers[q.key] for q in questions if q.kind == "mood" and answers[q.key]), None)
        prompt.state = "answered"
        prompt.skip_reason = None
        if first:
            prompt.answered_at = now
        else:
            prompt.edited_at = now
        if prompt.reminder_state == "pending":
            prompt.reminder_state = "none"
        blocker_text = "\n".join(str(answers[q.key]) for q in questions if q.blocker and answers[q.key])
        saved = Saved(prompt.id, rnd.id, first, (member.locale, team.locale))
        if blocker_text and existing is None:
            blocker = CheckinBlocker(prompt_id=prompt.id, team_id=team.id, member_id=member.id, text=blocker_text,
                                     status="open", created_at=now)
            session.add(blocker)
            await session.flush()
            saved.new_blocker_id = blocker.id
        elif existing is not None and blocker_text:
            existing.text = blocker_text
        elif existing is not None and existing.status == "open":
            existing.status, existing.resolved_at = "resolved", now
    log.info("check-in saved", extra={"round_id": rnd.id, "member_id": member.id, "first": first})
    return saved


async def announce_answer(services: Services, saved: Saved) -> None:
    """After the modal closed: route a new blocker, deliver the note for the other side, and mark the
    prompt DM, the summary and the member's Home tab out of date (brought up to date in the background,
    coalesced: bot.checkins.summary). Nothing here reads more than this answer's own rows."""
    async with services.sessions() as session:
        prompt = await existing(session, CheckinPrompt, saved.prompt_id)
        member = await existing(session, Member, prompt.member_id)
    if saved.new_blocker_id is not None:
        await route_blocker(services, saved.new_blocker_id)
    from bot.checkins.other_side import deliver_note
    from bot.checkins.summary import summary_updates

    await deliver_note(services, prompt.id)
    summary_updates(services).request(saved.round_id, prompt.id, thank=bool(prompt.message_ts))
    await services.events.publish(HomeChanged([member.slack_user_id]))


# --- skips and snoozes ---------------------------------------------------------------------------------
async def skip(services: Services, slack_user_id: str, reason: str | None) -> str:
    """`/checkin skip [reason]`: out of this round without counting against the response rate."""
    async with services.sessions.begin() as session:
        member = await _caller(session, slack_user_id)
        prompt, rnd, team = await open_prompt(session, member, None)
        t = member_t(services, member, team)
        if prompt.state == "answered":
            return t("checkins.skip.already_answered", week=rnd.week)
        prompt.state, prompt.skip_reason = "skipped", (reason or "").strip()[:500] or None
        prompt.reminder_state = "none"
    from bot.checkins.summary import refresh_summary

    await refresh_summary(services, rnd.id)  # one fewer expected
    await services.events.publish(HomeChanged([slack_user_id]))
    key = "checkins.skip.done_reason" if reason else "checkins.skip.done"
    return t(key, week=rnd.week, team=team.name, reason=(reason or "").strip())


async def snooze(services: Services, slack_user_id: str, prompt_id: int, choice: str) -> str:
    """Puts the reminder back: in an hour, or at the start of tomorrow's window (local time)."""
    now = services.clock.now()
    async with services.sessions.begin() as session:
        member = await _caller(session, slack_user_id)
        prompt = await session.get(CheckinPrompt, prompt_id)
        if prompt is None:
            raise refuse(Action.CHECKIN_SNOOZE)
        rnd = await existing(session, CheckinRound, prompt.round_id)
        authorize(member, Action.CHECKIN_SNOOZE, Subject(team_id=rnd.team_id, owner_id=prompt.member_id))
        team = await existing(session, Team, rnd.team_id)
        if rnd.state != "open":
            raise UserFacingError("checkins.errors.closed")
        cfg, cal = team_config(team), Calendar(zone(prompt.timezone, team.timezone))
        when = (cal.tomorrow_at(now, cfg.window[0]) if choice == "tomorrow"
                else cal.in_window(now + SNOOZE_HOUR, *cfg.window))
        if prompt.state == "sent":
            await session.execute(update(CheckinPrompt).where(CheckinPrompt.id == prompt.id)
                                  .values(reminder_state="pending", remind_at=when))
    t = member_t(services, member, team)
    return t("checkins.reminder.snoozed", when=local_text(t, when, prompt.timezone))


# --- blockers -------------------------------------------------------------------------------------------
async def blocker_info(session: AsyncSession, blocker_id: int) -> BlockerInfo | None:
    row = (await session.execute(
        select(CheckinBlocker, Team.key, Member.name, Member.email)
        .join(Team, Team.id == CheckinBlocker.team_id).join(Member, Member.id == CheckinBlocker.member_id)
        .where(CheckinBlocker.id == blocker_id))).first()
    if row is None:
        return None
    b, team_key, name, email = row
    return BlockerInfo(b.id, team_key, name, email, b.text, b.jira_key, b.status)


async def authorized_blocker(session: AsyncSession, member: Member, action: Action, blocker_id: int,
                             connect: bool = False) -> BlockerInfo:
    """A blocker for another feature's button (escalate, Jira), once the permission table lets `member`
    take `action` on it: the blocked person, or a liaison or manager of their team. Registered as the
    `blocker` provider (bot/wiring.py): other features reach it through `services.metrics`."""
    blocker = await session.get(CheckinBlocker, blocker_id)
    if blocker is None:
        raise UserFacingError("checkins.errors.unknown_blocker")
    authorize(member, action, Subject(team_id=blocker.team_id, owner_id=blocker.member_id), connect=connect)
    info = await blocker_info(session, blocker_id)
    assert info is not None  # the same row, read with its team and author
    return info


async def on_jira_linked(services: Services, event: JiraIssueLinked) -> None:
    """`JiraIssueLinked`: a blocker's Jira key (and status) then show in the member's next prompt."""
    if event.origin != "blocker":
        return
    try:
        async with services.sessions.begin() as session:
            await link_blocker_jira(session, event.origin_id, event.jira_key, event.status)
    except UserFacingError:  # the blocker is gone; the Jira link itself stays
        log.warning("could not record the Jira key on its blocker", extra={"jira_key": event.jira_key})


async def link_blocker_jira(session: AsyncSession, blocker_id: int, jira_key: str,
                            jira_status: str | None = None) -> None:
    blocker = await session.get(CheckinBlocker, blocker_id)
    if blocker is None:
        raise UserFacingError("checkins.errors.unknown_blocker")
    blocker.jira_key = jira_key
    if jira_status is not None:
        blocker.jira_status = jira_status


async def resolve_blocker(services: Services, slack_user_id: str, blocker_id: int) -> str:
    async with services.sessions.begin() as session:
        member = await _caller(session, slack_user_id)
        blocker = await session.get(CheckinBlocker, blocker_id)
        if blocker is None:
            raise UserFacingError("checkins.errors.unknown_blocker")
        authorize(member, Action.BLOCKER_RESOLVE, Subject(team_id=blocker.team_id, owner_id=blocker.member_id))
        blocker.status, blocker.resolved_at = "resolved", services.clock.now()
        team = await existing(session, Team, blocker.team_id)
    await services.events.publish(BlockerResolved(blocker_id, team.key, member.name))
    return member_t(services, member, team)("checkins.blocker.resolved")


async def open_blockers(session: AsyncSession, team_id: int, member_ids: list[int] | None = None
                        ) -> dict[int, list[blocks.OpenBlocker]]:
    """Unresolved blockers per member, shown again ("still blocked?") in their next prompt."""
    query = select(CheckinBlocker).where(CheckinBlocker.team_id == team_id, CheckinBlocker.status == "open")
    out: dict[int, list[blocks.OpenBlocker]] = {}
    for b in (await session.scalars(query.order_by(CheckinBlocker.id))).all():
        if member_ids is None or b.member_id in member_ids:
            out.setdefault(b.member_id, []).append(blocks.OpenBlocker(b.id, b.text, b.jira_key, b.jira_status))
    return out


async def latest_open_blockers(session: AsyncSession, team_id: int, limit: int) -> list[str]:
    """The team's most recent unresolved blockers, newest first: what the digest quotes."""
    return list((await session.scalars(select(CheckinBlocker.text).where(
        CheckinBlocker.team_id == team_id, CheckinBlocker.status == "open")
        .order_by(CheckinBlocker.id.desc()).limit(limit))).all())


async def route_blocker(services: Services, blocker_id: int) -> None:
    """DMs the team's liaisons (managers if it has none) and publishes `checkin.blocker`."""
    async with services.sessions() as session:
        blocker = await existing(session, CheckinBlocker, blocker_id)
        team = await existing(session, Team, blocker.team_id)
        author = await existing(session, Member, blocker.member_id)
        prompt = await existing(session, CheckinPrompt, blocker.prompt_id)
        rnd = await existing(session, CheckinRound, prompt.round_id)
        readers = await team_members(session, team.id, "liaison") or await team_members(session, team.id, "manager")
    await services.events.publish(BlockerReported(
        blocker_id=blocker.id, team_key=team.key, member_email=author.email, member_slack_id=author.slack_user_id,
        text=blocker.text, round_id=rnd.id))
    for reader, _roles in readers:
        if reader.id == author.id or not reader.slack_user_id:
            continue
        t = member_t(services, reader, team)
        msg = blocks.liaison_blocker(t, member=author.name, team=team.name, week=rnd.week, text=blocker.text,
                                     blocker_id=blocker.id, jira=services.settings.jira_enabled
                                     and services.metrics.has_jira_project(team.config))
        try:
            await deliver_once(services, f"checkin:blocker:{blocker.id}:{reader.id}", reader.slack_user_id,
                               text=msg.text, blocks=msg.blocks)
        except Exception:
            log.exception("blocker DM failed", extra={"blocker_id": blocker.id, "member_id": reader.id})


# --- metrics ---------------------------------------------------------------------------------------------
async def checkin_metrics(session: AsyncSession, team_id: int, start: datetime, end: datetime) -> CheckinMetrics:
    """Rounds whose first prompt falls in [start, end)."""
    round_ids = (await session.scalars(select(CheckinRound.id).where(
        CheckinRound.team_id == team_id, CheckinRound.opens_at >= start, CheckinRound.opens_at < end))).all()
    prompts = (await session.scalars(select(CheckinPrompt).where(CheckinPrompt.round_id.in_(round_ids)))).all()
    counted = [p for p in prompts if p.state not in ("skipped", "away", "pending", "failed")]
    answered = [p for p in counted if p.state == "answered"]
    waits = [(p.answered_at - p.sent_at).total_seconds() / 60 for p in answered if p.sent_at and p.answered_at]
    moods = [p.mood for p in answered if p.mood]
    blockers = await session.scalar(select(func.count()).select_from(CheckinBlocker).join(
        CheckinPrompt, CheckinPrompt.id == CheckinBlocker.prompt_id).where(CheckinPrompt.round_id.in_(round_ids)))
    return CheckinMetrics(
        rounds=len(round_ids), expected=len(counted), answered=len(answered),
        response_rate=len(answered) / len(counted) if counted else None,
        median_minutes_to_answer=statistics.median(waits) if waits else None,
        mood_average=statistics.fmean(moods) if moods else None,
        mood_distribution={m: Counter(moods).get(m, 0) for m in range(1, 6)},
        blockers=blockers or 0,
    )
