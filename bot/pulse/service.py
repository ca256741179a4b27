"""Pulse survey rules and storage: opening surveys on each team's cadence, taking answers without
keeping who gave them, and reading results only through the anonymity rules in `results`."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.errors import UserFacingError
from bot.metrics import ConcernMetrics, FollowUpMetrics, PulseMetrics, SurveyCard, SurveyMetrics
from bot.permissions import Action, Subject, authorize
from bot.pulse import batches, results
from bot.pulse.config import PulseConfig
from bot.pulse.questions import ENPS, ENPS_RANGE, LIKERT, find, rotation
from bot.services import Services
from storage.models import (
    Member,
    Membership,
    PulseAnswer,
    PulseComment,
    PulseFollowUp,
    PulseReceipt,
    PulseSurvey,
    Team,
)
from storage.org import active_teams, member_by_slack_id, roles_in, team_by_key, team_members
from storage.rows import existing, rowcount
from storage.upsert import insert_once

log = logging.getLogger("oneteam.pulse")
RESULT_ROLES = frozenset({"manager", "liaison"})
COMMENT_MAX = 1000
FOLLOW_UP_MAX = 600


class SecretMissing(UserFacingError):
    """Without ONETEAM_SECRET a second answer could not be refused without storing who answered."""

    def __init__(self) -> None:
        super().__init__("pulse.errors.no_secret")


class InvalidAnswers(Exception):
    """Modal input problems: question id (or "comment") -> i18n key."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


class Outcome(StrEnum):
    STORED = "stored"
    ALREADY = "already"
    CLOSED = "closed"


def config_of(team: Team) -> PulseConfig:
    return PulseConfig.model_validate((team.config or {}).get("pulse") or {})


def secret_of(services: Services) -> bytes:
    secret = services.settings.secret
    if secret is None or not secret.get_secret_value():
        raise SecretMissing()
    return secret.get_secret_value().encode()


def receipt_token(secret: bytes, survey_id: int, slack_user_id: str) -> str:
    """Keyed, so that nobody without the secret can test whether a given person answered."""
    return hmac.new(secret, f"{survey_id}:{slack_user_id}".encode(), hashlib.sha256).hexdigest()


def side_of(member: Member) -> str:
    """Vendor staff: an external org, or only vendor teams; everyone else is on the internal side."""
    if member.external_org:
        return "vendor"
    kinds = {ms.team.kind for ms in member.memberships}
    return "vendor" if kinds == {"vendor"} else "internal"


async def surveyed(session: AsyncSession, team: Team) -> list[Member]:
    """Who is asked in a team: everyone active, reachable and not on leave, except its managers,
    who read the results."""
    return [m for m, roles in await team_members(session, team.id)
            if "manager" not in roles and not m.on_leave and m.slack_user_id]


# --- cadence ------------------------------------------------------------------------------------------
async def open_due(services: Services) -> list[int]:
    """Opens the next survey of every team whose cadence says so; ids of the surveys opened."""
    now = services.clock.now()
    opened = []
    async with services.sessions() as session:
        teams = list(await active_teams(session))
    for team in teams:
        cfg = config_of(team)
        if not cfg.enabled:
            continue
        async with services.sessions() as session:
            last = await session.scalar(select(PulseSurvey).where(PulseSurvey.team_id == team.id)
                                        .order_by(PulseSurvey.seq.desc()).limit(1))
        if last is not None and (last.state == "open" or now < last.opens_at + timedelta(days=cfg.every_days)):
            continue
        seq = 0 if last is None else last.seq + 1
        closes = now + timedelta(days=cfg.open_days)
        async with services.sessions() as session:
            ids = [m.id for m in await surveyed(session, team)]
            people = (await session.scalars(select(Member).where(Member.id.in_(ids)).options(
                selectinload(Member.memberships).selectinload(Membership.team)))).all()
            sides = Counter(side_of(m) for m in people)
        survey = {"team_id": team.id, "seq": seq, "threshold": cfg.threshold, "opens_at": now,
                  "by_side": all(sides[s] >= cfg.threshold for s in results.SIDES),
                  "question_ids": rotation(team.config.get("pulse") or {}, seq, cfg.questions_per_survey),
                  "remind_at": max(now + (closes - now) / 2, closes - timedelta(days=1)),
                  "closes_at": closes, "state": "open"}
        async with services.sessions.begin() as session:
            if not await insert_once(session, PulseSurvey, survey, keys=("team_id", "seq")):
                continue  # another instance opened it
            survey_id = (await session.scalars(select(PulseSurvey.id).where(
                PulseSurvey.team_id == team.id, PulseSurvey.seq == seq))).one()
        opened.append(survey_id)
        log.info("pulse survey opened", extra={"survey_id": survey_id, "team": team.key})
    return opened


async def open_surveys(services: Services, *, flag: str, due_by: datetime | None = None) -> list[PulseSurvey]:
    """Open surveys whose boolean `flag` (invited / reminded) is still false."""
    column = getattr(PulseSurvey, flag)
    query = select(PulseSurvey).where(PulseSurvey.state == "open", column.is_(False))
    if due_by is not None:
        query = query.where(PulseSurvey.remind_at <= due_by, PulseSurvey.closes_at > due_by)
    async with services.sessions() as session:
        return list((await session.scalars(query.order_by(PulseSurvey.id))).all())


async def mark(services: Services, survey_id: int, flag: str) -> None:
    async with services.sessions.begin() as session:
        await session.execute(update(PulseSurvey).where(PulseSurvey.id == survey_id).values({flag: True}))


async def close_due(services: Services) -> list[int]:
    """Closes surveys past their end (the conditional update makes exactly one instance close each), then
    writes what this process still holds for closed surveys."""
    now = services.clock.now()
    closed = []
    async with services.sessions() as session:
        due = (await session.scalars(select(PulseSurvey.id).where(
            PulseSurvey.state == "open", PulseSurvey.closes_at <= now))).all()
    for survey_id in due:
        async with services.sessions.begin() as session:
            done = await session.execute(update(PulseSurvey).where(
                PulseSurvey.id == survey_id, PulseSurvey.state == "open").values(state="closed"))
        if rowcount(done) == 1:
            closed.append(survey_id)
            log.info("pulse survey closed", extra={"survey_id": survey_id})
    await batches.flush_closed(services)
    return closed


async def unannounced(services: Services) -> list[PulseSurvey]:
    async with services.sessions() as session:
        return list((await session.scalars(select(PulseSurvey).where(
            PulseSurvey.state == "closed", PulseSurvey.announced.is_(False)).order_by(PulseSurvey.id))).all())


async def team_of(services: Services, team_id: int) -> tuple[Team, list[Member], list[Member]]:
    """A team, the people it surveys, and its result readers (managers and liaisons)."""
    async with services.sessions() as session:
        team = await existing(session, Team, team_id)
        people = await surveyed(session, team)
        readers = [m for m, _r in await team_members(session, team_id, *RESULT_ROLES) if m.slack_user_id]
    return team, people, readers


# --- answering ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ballot:
    """What the modal needs: the survey, its team and questions, the caller's language context."""

    survey_id: int
    team_name: str
    config: dict
    question_ids: tuple[str, ...]
    closes_at: datetime


async def _member(session: AsyncSession, slack_user_id: str) -> Member:
    member = await member_by_slack_id(session, slack_user_id)
    if member is None:
        raise UserFacingError("core.errors.not_in_org")
    return member


async def _answered(session: AsyncSession, secret: bytes, survey_id: int, slack_user_id: str) -> bool:
    token = receipt_token(secret, survey_id, slack_user_id)
    return await session.get(PulseReceipt, token) is not None


async def _ballot(session: AsyncSession, secret: bytes, survey: PulseSurvey | None, member: Member,
                  now: datetime) -> Ballot:
    if survey is None:
        raise UserFacingError("pulse.errors.not_found")
    team = await existing(session, Team, survey.team_id)
    asked = member.slack_user_id is not None and member.id in {m.id for m in await surveyed(session, team)}
    authorize(member, Action.PULSE_ANSWER, Subject(team_id=team.id, surveyed=asked), team=team.name)
    if survey.state != "open" or survey.closes_at <= now:
        raise UserFacingError("pulse.errors.closed", team=team.name)
    if member.slack_user_id is None or await _answered(session, secret, survey.id, member.slack_user_id):
        raise UserFacingError("pulse.errors.already")
    return Ballot(survey.id, team.name, team.config.get("pulse") or {}, tuple(survey.question_ids),
                  survey.closes_at)


async def home_survey(services: Services, member: Member) -> SurveyCard | None:
    """App Home's survey card (registered in bot/wiring.py)."""
    try:
        b = await ballot(services, member.slack_user_id or "")
    except UserFacingError:
        return None
    return SurveyCard(b.survey_id, b.team_name, b.closes_at)


async def ballot(services: Services, slack_user_id: str, survey_id: int | None = None) -> Ballot:
    """The survey a person may answer now: the given one (a DM button), else their open one (`/pulse`)."""
    secret = secret_of(services)
    now = services.clock.now()
    async with services.sessions() as session:
        member = await _member(session, slack_user_id)
        if survey_id is not None:
            return await _ballot(session, secret, await session.get(PulseSurvey, survey_id), member, now)
        team_ids = [ms.team_id for ms in member.memberships]
        candidates = (await session.scalars(select(PulseSurvey).where(
            PulseSurvey.team_id.in_(team_ids), PulseSurvey.state == "open", PulseSurvey.closes_at > now)
            .order_by(PulseSurvey.closes_at))).all()
        refusals = []
        for survey in candidates:
            try:
                return await _ballot(session, secret, survey, member, now)
            except UserFacingError as err:
                if err.key != "pulse.errors.not_surveyed":
                    refusals.append(err)
        raise refusals[0] if refusals else UserFacingError("pulse.errors.none_open")


def parse_answers(question_ids: Sequence[str], raw: dict[str, str | None],
                  comment: str | None) -> tuple[dict[str, int], str | None]:
    """Every question answered within its scale; the comment optional and bounded."""
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for qid in [*question_ids, ENPS]:
        scale = ENPS_RANGE if qid == ENPS else LIKERT
        text = (raw.get(qid) or "").strip()
        if not text:
            errors[qid] = "pulse.modal.missing"
            continue
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value not in scale:
            errors[qid] = "pulse.modal.out_of_range"
            continue
        values[qid] = value
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_MAX:
        errors["comment"] = "pulse.modal.comment_too_long"
    if errors:
        raise InvalidAnswers(errors)
    return values, comment


async def submit(services: Services, slack_user_id: str, survey_id: int, raw: dict[str, str | None],
                 comment: str | None) -> Outcome:
    """Takes one person's answers, refusing a second answer through the receipt.

    The receipt is written now, in a transaction of its own; the answers wait in memory and are written
    later in a shuffled batch of at least the threshold of people (`batches`), so no transaction, row
    order or time ties them to the receipt. Nothing here is logged with the person's id.
    """
    secret = secret_of(services)
    now = services.clock.now()
    async with services.sessions() as session:
        member = await _member(session, slack_user_id)
        survey = await existing(session, PulseSurvey, survey_id)
        try:
            await _ballot(session, secret, survey, member, now)
        except UserFacingError as err:
            if err.key == "pulse.errors.closed":
                return Outcome.CLOSED
            if err.key == "pulse.errors.already":
                return Outcome.ALREADY
            raise
        side = side_of(member) if survey.by_side else results.TEAM
    values, text = parse_answers(survey.question_ids, raw, comment)
    token = receipt_token(secret, survey_id, slack_user_id)
    async with services.sessions.begin() as session:
        state = await session.scalar(select(PulseSurvey.state).where(PulseSurvey.id == survey_id))
        if state != "open":
            return Outcome.CLOSED
        if not await insert_once(session, PulseReceipt, {"token": token, "survey_id": survey_id,
                                                         "holder": batches.pending(services).holder}):
            return Outcome.ALREADY
    await batches.hold(services, survey, batches.Ballot(token, side, values, text))
    return Outcome.STORED


# --- results ------------------------------------------------------------------------------------------
async def survey_figures(session: AsyncSession, survey: PulseSurvey) -> results.Figures:
    answers = (await session.execute(select(PulseAnswer.side, PulseAnswer.question_id, PulseAnswer.value)
                                     .where(PulseAnswer.survey_id == survey.id))).all()
    comments = (await session.execute(select(PulseComment.side, PulseComment.text)
                                      .where(PulseComment.survey_id == survey.id))).all()
    return results.figures([(side, qid, value) for side, qid, value in answers],
                           [(side, text) for side, text in comments], survey.threshold)


async def previous_averages(session: AsyncSession, survey: PulseSurvey) -> dict[str, float]:
    """For each question of `survey`, the team average in the latest earlier closed survey that asked it
    and showed it."""
    earlier = (await session.scalars(select(PulseSurvey).where(
        PulseSurvey.team_id == survey.team_id, PulseSurvey.seq < survey.seq, PulseSurvey.state == "closed")
        .order_by(PulseSurvey.seq.desc()))).all()
    wanted = set(survey.question_ids) | {ENPS}
    found: dict[str, float] = {}
    for old in earlier:
        if not wanted - set(found):
            break
        team = (await survey_figures(session, old)).team
        if team is None:
            continue
        for qid in wanted & set(old.question_ids) - set(found):
            if qid in team.questions:
                found[qid] = team.questions[qid].average
        if ENPS not in found and team.enps is not None:
            found[ENPS] = float(team.enps)
    return found


@dataclass(frozen=True)
class SurveyReport:
    survey: PulseSurvey
    figures: results.Figures
    concerns: list[results.Concern]
    enps_change: int | None


async def report(session: AsyncSession, survey: PulseSurvey) -> SurveyReport:
    figs = await survey_figures(session, survey)
    before = await previous_averages(session, survey)
    lines = results.concerns(figs, survey.question_ids, before)
    enps_change = None
    if figs.team is not None and figs.team.enps is not None and ENPS in before:
        enps_change = figs.team.enps - round(before[ENPS])
    return SurveyReport(survey, figs, lines, enps_change)


@dataclass(frozen=True)
class ResultsPage:
    team: Team
    report: SurveyReport | None  # the latest closed survey
    open_until: datetime | None  # a survey is running: no counts until it closes
    can_follow_up: bool
    follow_ups: dict[str, str]  # question id -> latest update already sent for the shown survey


async def results_page(services: Services, slack_user_id: str, team_key: str | None) -> ResultsPage:
    """`/pulse results [team]`: only a team's managers and liaisons may see its figures. An instance that
    does not run the clock writes what it still holds for closed surveys first."""
    await batches.flush_closed(services)
    async with services.sessions() as session:
        member = await _member(session, slack_user_id)
        if team_key:
            team = await team_by_key(session, team_key)
            if team is None:
                raise UserFacingError("pulse.errors.no_team", team=team_key)
        else:
            readable = [ms.team for ms in member.memberships if set(ms.roles) & RESULT_ROLES]
            if not readable:
                raise UserFacingError("pulse.errors.results_refused_any")
            team = sorted(readable, key=lambda t: t.key)[0]
        authorize(member, Action.PULSE_RESULTS, Subject(team_id=team.id), team=team.name)
        roles = roles_in(member, team.id)
        running = await session.scalar(select(PulseSurvey).where(
            PulseSurvey.team_id == team.id, PulseSurvey.state == "open"))
        latest = await session.scalar(select(PulseSurvey).where(
            PulseSurvey.team_id == team.id, PulseSurvey.state == "closed").order_by(PulseSurvey.seq.desc()).limit(1))
        rep = await report(session, latest) if latest is not None else None
        done = {}
        if latest is not None:
            for f in (await session.scalars(select(PulseFollowUp).where(PulseFollowUp.survey_id == latest.id)
                                            .order_by(PulseFollowUp.id))).all():
                done[f.question_id] = f.text
    return ResultsPage(team, rep, running.closes_at if running else None, "manager" in roles, done)


# --- you said, we did ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class FollowUpTarget:
    survey_id: int
    question_id: str
    team_name: str
    config: dict


async def follow_up_target(services: Services, slack_user_id: str, survey_id: int,
                           question_id: str) -> FollowUpTarget:
    """A manager of the survey's team answering one of its flagged concerns."""
    async with services.sessions() as session:
        member = await _member(session, slack_user_id)
        survey = await session.get(PulseSurvey, survey_id)
        if survey is None:
            raise UserFacingError("pulse.errors.not_found")
        team = await existing(session, Team, survey.team_id)
        authorize(member, Action.PULSE_FOLLOW_UP, Subject(team_id=team.id), team=team.name)
        if survey.state != "closed":
            raise UserFacingError("pulse.errors.not_found")
        flagged = {c.question_id for c in (await report(session, survey)).concerns if c.flagged}
        if question_id not in flagged:
            raise UserFacingError("pulse.errors.not_flagged")
    return FollowUpTarget(survey_id, question_id, team.name, team.config.get("pulse") or {})


async def add_follow_up(services: Services, slack_user_id: str, survey_id: int, question_id: str,
                        text: str) -> int:
    """Records the update; `send_follow_ups` (the tick, or the handler right after) fans it out."""
    text = (text or "").strip()
    if not text or len(text) > FOLLOW_UP_MAX:
        raise UserFacingError("pulse.follow_up.invalid", block_id="follow_up", max=FOLLOW_UP_MAX)
    await follow_up_target(services, slack_user_id, survey_id, question_id)
    async with services.sessions.begin() as session:
        member = await _member(session, slack_user_id)
        row = PulseFollowUp(survey_id=survey_id, question_id=question_id, text=text, author_id=member.id,
                            created_at=services.clock.now(), sent=False)
        session.add(row)
        await session.flush()
        return row.id


async def pending_follow_ups(services: Services) -> list[tuple[PulseFollowUp, PulseSurvey]]:
    async with services.sessions() as session:
        rows = (await session.execute(select(PulseFollowUp, PulseSurvey)
                                      .join(PulseSurvey, PulseSurvey.id == PulseFollowUp.survey_id)
                                      .where(PulseFollowUp.sent.is_(False)).order_by(PulseFollowUp.id))).all()
    return [(f, s) for f, s in rows]


async def mark_follow_up_sent(services: Services, follow_up_id: int) -> None:
    async with services.sessions.begin() as session:
        await session.execute(update(PulseFollowUp).where(PulseFollowUp.id == follow_up_id).values(sent=True))


# --- digest -------------------------------------------------------------------------------------------
async def pulse_metrics(session: AsyncSession, team_id: int, start: datetime, end: datetime) -> PulseMetrics:
    """Surveys that closed in [start, end) with team-level figures that pass the threshold only,
    and the "you said, we did" updates posted in the same window."""
    surveys = (await session.scalars(select(PulseSurvey).where(
        PulseSurvey.team_id == team_id, PulseSurvey.state == "closed",
        PulseSurvey.closes_at >= start, PulseSurvey.closes_at < end).order_by(PulseSurvey.seq))).all()
    owner = await session.get(Team, team_id)
    bank_config = (owner.config.get("pulse") or {}) if owner is not None else {}
    out = []
    for survey in surveys:
        rep = await report(session, survey)
        team = rep.figures.team
        concerns = [ConcernMetrics(c.question_id, find(bank_config, c.question_id), c.average, c.flagged)
                    for c in rep.concerns]
        out.append(SurveyMetrics(survey.id, survey.closes_at.date(), team.respondents if team else None,
                                 team.enps if team else None, rep.enps_change, concerns))
    follow = (await session.scalars(select(PulseFollowUp).join(PulseSurvey).where(
        PulseSurvey.team_id == team_id, PulseFollowUp.created_at >= start, PulseFollowUp.created_at < end)
        .order_by(PulseFollowUp.id))).all()
    return PulseMetrics(team_id, out, [FollowUpMetrics(f.question_id, f.text, f.created_at) for f in follow])

