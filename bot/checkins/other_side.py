"""The note for the other side: what a vendor member writes for the internal team reaches the internal
liaisons, and what an internal member writes reaches the vendor's leads (or a shared channel, when the
team's `checkins.other_side_channel` names one). The digest lists the week's notes too.

Sides come from the org file: vendor staff have an `external_org`, or sit in a vendor team without a
liaison or manager role. An internal team's partners are the vendor teams whose liaisons belong to it
(in the example org, Sam is on care-internal and is care-hana's liaison).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import blocks as bk
from bot.checkins.service import member_t, team_config
from bot.delivery import deliver_once
from bot.i18n import Translator
from bot.metrics import Note
from bot.pacing import update_message
from bot.services import Services
from storage.models import CheckinPrompt, CheckinRound, Member, Membership, Team
from storage.org import active_teams, team_members

log = logging.getLogger("oneteam.checkins")
QUESTION = "other_side"  # the built-in question whose answer is the note
INTERNAL_ROLES = {"liaison", "manager"}
DIGEST_NOTES = 5
DIGEST_CLIP = 300


def vendor_side(member: Member, roles: list[str], team: Team) -> bool:
    return bool(member.external_org) or (team.kind == "vendor" and not set(roles) & INTERNAL_ROLES)


def render(t: Translator, *, member: str, team: str, week: str, note: str) -> bk.Rendered:
    quoted = bk.Mrkdwn.of(note).replace("\n", bk.Mrkdwn("\n>"))
    return bk.Rendered(t("checkins.other_side.text", member=member, team=team, week=week), [
        bk.header(t("checkins.other_side.title", member=member)),
        bk.section(t("checkins.other_side.body", member=member, team=team, week=week, text=quoted)),
    ])


async def _readers(session: AsyncSession, team: Team, author: Member) -> list[Member]:
    """Who reads the author's note: the other side's liaisons (vendor leads when the author is internal).
    Only role holders are loaded, never a whole team of agents."""
    leads = await team_members(session, team.id, "liaison", "manager", "vendor_lead")
    author_roles = next((roles for m, roles in leads if m.id == author.id), ["member"])
    if vendor_side(author, author_roles, team):
        internal = [(m, r) for m, r in leads if not vendor_side(m, r, team)]
        return [m for m, r in internal if "liaison" in r] or [m for m, r in internal if "manager" in r]
    if team.kind == "vendor":
        return [m for m, r in leads if "vendor_lead" in r and vendor_side(m, r, team)]
    readers: dict[int, Member] = {}
    for partner in await active_teams(session):
        if partner.kind != "vendor":
            continue
        people = await team_members(session, partner.id, "liaison", "vendor_lead")
        liaisons = [m.id for m, r in people if "liaison" in r]
        shared = liaisons and await session.scalar(select(Membership.member_id).where(
            Membership.team_id == team.id, Membership.member_id.in_(liaisons)).limit(1))
        if shared:
            readers |= {m.id: m for m, r in people if "vendor_lead" in r and vendor_side(m, r, partner)}
    return list(readers.values())


async def deliver_note(services: Services, prompt_id: int) -> None:
    """Sends the prompt's note once per reader; a later edit of the note updates what they were sent."""
    async with services.sessions() as session:
        prompt = await session.get(CheckinPrompt, prompt_id)
        if prompt is None or not prompt.answers or not str(prompt.answers.get(QUESTION) or "").strip():
            return
        rnd = await session.get(CheckinRound, prompt.round_id)
        team = await session.get(Team, rnd.team_id) if rnd else None
        author = await session.get(Member, prompt.member_id)
        if rnd is None or team is None or author is None:
            return
        channel = team_config(team).other_side_channel
        readers = [] if channel else [m for m in await _readers(session, team, author)
                                      if m.id != author.id and m.slack_user_id]
    note = str(prompt.answers[QUESTION]).strip()
    targets = [(f"checkin:note:{prompt.id}:channel", channel, services.t(team.locale))] if channel else [
        (f"checkin:note:{prompt.id}:{m.id}", m.slack_user_id or "", member_t(services, m, team)) for m in readers]
    for key, to, t in targets:
        msg = render(t, member=author.name, team=team.name, week=rnd.week, note=note)
        try:
            sent = await deliver_once(services, key, to, text=msg.text, blocks=msg.blocks)
            if sent is not None and not sent.fresh:
                await update_message(services, sent.channel, sent.ts, msg)
        except Exception:
            log.warning("note for the other side not delivered", extra={"prompt_id": prompt.id}, exc_info=True)


async def notes_of(session: AsyncSession, team_id: int, start: datetime, end: datetime) -> list[Note]:
    """The team's notes for the other side in rounds whose first prompt falls in [start, end), newest first."""
    rows = (await session.execute(
        select(CheckinPrompt.answers, Member.name)
        .join(CheckinRound, CheckinRound.id == CheckinPrompt.round_id)
        .join(Member, Member.id == CheckinPrompt.member_id)
        .where(CheckinRound.team_id == team_id, CheckinRound.opens_at >= start, CheckinRound.opens_at < end,
               CheckinPrompt.state == "answered")
        .order_by(CheckinPrompt.answered_at.desc()))).all()
    return [Note(name, str(answers[QUESTION]).strip()[:DIGEST_CLIP]) for answers, name in rows
            if answers and str(answers.get(QUESTION) or "").strip()][:DIGEST_NOTES]
