"""Slack side of escalations: the card, the thread, responder DMs, the rating DM.

`sync` brings Slack up to date with the timeline: each step's messages go out through `deliver_once`
with a key of the step, so running it twice (a tick after a crash, two instances) sends nothing twice.
A step is marked synced only when all its messages are out; the tick retries the rest.
Responders' DMs go out first, each DM channel on its own queue (`bot.pacing.ChannelPacer`): Slack posts about
one message per second per channel, so in a burst of raises the cards queue up in the team channel while the DMs
do not wait for them.
Responders are paged in the order of the steps: while a step's DM is held by another sender (in flight, or
claimed by a process that died and whose lease has not run out), the later steps wait for a later pass, so that
level 3 is never paged before level 2.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bot.blocks import Rendered
from bot.calendar import team_calendar
from bot.delivery import Sent, deliver_once, held_elsewhere
from bot.escalations import blocks, sla
from bot.escalations.policy import Now, level_people, team_policy
from bot.pacing import update_message
from bot.services import Services
from storage.models import Escalation, Member, Team
from storage.rows import existing

# Paged at once, whatever the hour (marked "after hours" for the recipient); P3/P4 DMs wait for the
# recipient's working hours by the team's calendar in their own zone (the card and thread go out at once).
URGENT = ("P1", "P2")
SHARED_TTL = 60.0  # seconds a channel's "shared with another organisation" is taken as read
log = logging.getLogger("oneteam.escalations")


async def channel_is_shared(services: Services, channel: str) -> bool:
    """A Slack Connect channel (shared with another organisation) gets no internal details.

    Read once per channel for `SHARED_TTL` seconds, concurrent raises sharing the one call: conversations.info
    allows 50 calls a minute, and a burst of raises would otherwise wait up to a minute on it."""
    cache: dict[str, tuple[float, asyncio.Future[tuple[bool, bool]]]] = services.extras.setdefault(
        "escalations.channel_shared", {})
    now = asyncio.get_running_loop().time()
    known = cache.get(channel)
    if known is None or known[0] <= now:
        known = cache[channel] = (now + SHARED_TTL, asyncio.ensure_future(_read_shared(services, channel)))
    shared, read = await asyncio.shield(known[1])
    if not read and cache.get(channel) is known:
        del cache[channel]  # not read: ask Slack again next time
    return shared


async def _read_shared(services: Services, channel: str) -> tuple[bool, bool]:
    """(shared, read from Slack); a channel that cannot be read counts as shared."""
    try:
        info = await services.slack.conversations_info(channel=channel)
    except (SlackApiError, TimeoutError, ClientError):
        log.warning("cannot read the escalation channel; treating it as shared", extra={"channel": channel})
        return True, False
    return bool(info["channel"].get("is_ext_shared")), True


async def sync(services: Services, esc_id: int) -> bool:
    """Sends what the timeline has that Slack has not seen; True when everything is out."""
    async with services.sessions() as session:
        esc = await session.scalar(select(Escalation).where(Escalation.id == esc_id)
                                   .options(selectinload(Escalation.steps)))
        if esc is None:
            return True
        team = await existing(session, Team, esc.team_id)
        cfg = team_policy(team)
        people = await level_people(session, team, cfg, esc.level, Now(services.metrics, services.clock.now()))
        pending = [s for s in esc.steps if s.seq > esc.synced_step]
        called = {s.seq: s.note for s in esc.steps if s.kind == "notified"}
        recipients = {i for s in pending if s.kind == "notified" for i in (s.note or "").split(",") if i}
        recipients.add(esc.raiser_slack_id)
        people_of = {uid: (locale, tz) for uid, locale, tz in (await session.execute(
            select(Member.slack_user_id, Member.locale, Member.timezone).where(
                Member.slack_user_id.in_(recipients)))).all()}
        locales = {uid: locale for uid, (locale, _tz) in people_of.items()}
    if not pending:
        return True
    hide = esc.channel_shared and not cfg.shared_channel_details
    team_t = services.t(team.locale)
    card = blocks.card(team_t, esc, team, levels=len(cfg.levels), people=[p.slack_id for p in people],
                       hide_details=hide, dues=sla.dues(esc, team, cfg),
                       jira_enabled=services.settings.jira_enabled and services.metrics.has_jira_project(team.config))
    complete, fresh_card = True, False
    by_seq = {s.seq: s for s in esc.steps}
    for step in pending:  # DMs first: the people paged must not wait for the channel's queue of cards
        if step.kind != "notified":
            continue
        before = by_seq.get(step.seq - 1)
        reason = before.kind if before and before.kind in ("raised", "escalated", "reminded", "reopened",
                                                           "sla_warning", "sla_breach") else "raised"
        clock = (before.note or "").split(":")[0] if before and reason.startswith("sla_") else None
        dms, keys = [], []
        for uid in (step.note or "").split(","):
            if uid:
                hours = team_calendar(team).for_person(people_of.get(uid, (None, None))[1])
                if esc.severity not in URGENT and not hours.is_working(services.clock.now()):
                    complete = False  # quiet hours: a later tick sends it in their working hours
                    continue
                late = esc.severity in URGENT and not hours.is_working(step.at)
                dm = blocks.responder_dm(services.t(locales.get(uid), team.locale), esc, team, reason,
                                         channel=esc.channel_id, clock=clock, after_hours=late)
                keys.append(f"esc:{esc.id}:step:{step.seq}:{uid}")
                dms.append(_send(services, keys[-1], uid, dm))
        results = await asyncio.gather(*dms)
        complete &= all(sent is not None for sent in results)
        if None in results and await held_elsewhere(services, keys):
            break  # the later steps wait until these DMs are out
    ts = esc.message_ts
    if esc.channel_id and not ts:
        sent = await _send(services, f"esc:{esc.id}:card", esc.channel_id, card)
        if sent is None:
            return False  # the card is being posted elsewhere; the thread needs its ts
        ts, fresh_card = sent.ts, sent.fresh
        async with services.sessions.begin() as session:
            await session.execute(update(Escalation).where(Escalation.id == esc.id, Escalation.message_ts.is_(None))
                                  .values(message_ts=ts, channel_id=sent.channel))
    for step in pending:
        key = f"esc:{esc.id}:step:{step.seq}"
        if step.kind == "notified":
            continue  # sent above
        line = blocks.thread_line(team_t, esc, step, called.get(step.seq + 1), hide_details=hide)
        if line and ts and esc.channel_id:
            complete &= await _send(services, f"{key}:thread", esc.channel_id, Rendered(line),
                                    thread_ts=ts) is not None
        if step.kind == "resolved" and esc.state == "resolved" and step.seq == _last_resolved(esc):
            rating = blocks.rating_dm(services.t(locales.get(esc.raiser_slack_id), team.locale), esc)
            complete &= await _send(services, f"{key}:rating", esc.raiser_slack_id, rating) is not None
    if ts and esc.channel_id and not fresh_card:
        try:
            await update_message(services, esc.channel_id, ts, card)
        except SlackApiError as exc:
            log.warning("card update failed", extra={"escalation_id": esc.id, "error": exc.response.get("error")})
            complete = False
    if complete:
        async with services.sessions.begin() as session:
            await session.execute(update(Escalation).where(
                Escalation.id == esc.id, Escalation.synced_step < pending[-1].seq).values(synced_step=pending[-1].seq))
    return complete


def _last_resolved(esc: Escalation) -> int:
    return max((s.seq for s in esc.steps if s.kind == "resolved"), default=0)


async def _send(services: Services, key: str, channel: str, message: Rendered,
                thread_ts: str | None = None) -> Sent | None:
    try:
        return await deliver_once(services, key, channel, text=message.text, blocks=message.blocks or None,
                                  thread_ts=thread_ts)
    except SlackApiError as exc:
        log.warning("escalation message not sent", extra={"key": key, "error": exc.response.get("error")})
        return None
