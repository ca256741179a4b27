"""The team summary: one parent message per round in the team channel, each member's answers in its thread.

The parent is posted once (deliver_once) and then edited as answers come in; a member's reply is posted
once and edited when they edit their answers.
"""

from __future__ import annotations

import logging
import statistics

from sqlalchemy import select, update

from bot.checkins import blocks
from bot.checkins.service import round_questions
from bot.delivery import deliver_once
from bot.services import Services
from storage.models import CheckinPrompt, CheckinRound, Member, Team
from storage.rows import existing

log = logging.getLogger("oneteam.checkins")
NOT_COUNTED = ("skipped", "away", "failed")


async def refresh_summary(services: Services, round_id: int, answer_of: int | None = None) -> None:
    """Brings the parent message up to date and, with `answer_of`, that prompt's reply in the thread."""
    async with services.sessions() as session:
        rnd = await session.get(CheckinRound, round_id)
        if rnd is None or not rnd.summary_channel:
            return
        team = await existing(session, Team, rnd.team_id)
        prompts = (await session.scalars(select(CheckinPrompt).where(CheckinPrompt.round_id == round_id))).all()
    t = services.t(team.locale)
    counted = [p for p in prompts if p.state not in NOT_COUNTED]
    moods = [p.mood for p in counted if p.state == "answered" and p.mood]
    parent = blocks.summary_parent(t, team=team.name, week=rnd.week,
                                   answered_count=sum(p.state == "answered" for p in counted),
                                   expected=len(counted), mood=statistics.fmean(moods) if moods else None,
                                   is_closed=rnd.state == "closed")
    try:
        ts = rnd.summary_ts
        if ts is None:
            sent = await deliver_once(services, f"checkin:summary:{round_id}", rnd.summary_channel,
                                      text=parent.text, blocks=parent.blocks)
            if sent is None:
                return  # another instance is posting the parent; the next answer brings it up to date
            ts = sent.ts
            if not sent.fresh:
                await services.slack.chat_update(channel=rnd.summary_channel, ts=ts, text=parent.text,
                                                 blocks=parent.blocks)
            async with services.sessions.begin() as session:
                await session.execute(update(CheckinRound).where(CheckinRound.id == round_id)
                                      .values(summary_ts=ts))
        else:
            await services.slack.chat_update(channel=rnd.summary_channel, ts=ts, text=parent.text,
                                             blocks=parent.blocks)
        if answer_of is not None:
            await _reply(services, rnd, team, ts, answer_of)
    except Exception:
        log.warning("check-in summary not updated", extra={"round_id": round_id}, exc_info=True)


async def _reply(services: Services, rnd: CheckinRound, team: Team, parent_ts: str, prompt_id: int) -> None:
    async with services.sessions() as session:
        prompt = await existing(session, CheckinPrompt, prompt_id)
        member = await existing(session, Member, prompt.member_id)
    channel = rnd.summary_channel
    if prompt.state != "answered" or not prompt.answers or channel is None:
        return
    msg = blocks.summary_reply(services.t(team.locale), member=member.name, questions=round_questions(rnd),
                               answers=prompt.answers, edited=prompt.edited_at is not None)
    if prompt.summary_ts:
        await services.slack.chat_update(channel=channel, ts=prompt.summary_ts, text=msg.text,
                                         blocks=msg.blocks)
        return
    sent = await deliver_once(services, f"checkin:summary:{rnd.id}:{member.id}", channel,
                              text=msg.text, blocks=msg.blocks, thread_ts=parent_ts)
    if sent is not None:
        if not sent.fresh:  # found after a crash: it may show answers from before an edit
            await services.slack.chat_update(channel=channel, ts=sent.ts, text=msg.text,
                                             blocks=msg.blocks)
        async with services.sessions.begin() as session:
            await session.execute(update(CheckinPrompt).where(CheckinPrompt.id == prompt_id)
                                  .values(summary_ts=sent.ts))
