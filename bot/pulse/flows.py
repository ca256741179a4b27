"""Steps that span storage and Slack: invitations, the reminder, the results-ready notice and
"you said, we did" updates. Every message goes through `deliver_once` with a unique key, so a
re-run after a crash or on a second instance sends nothing twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.calendar import EVERY_DAY, Calendar, team_calendar, zone
from bot.delivery import deliver_once
from bot.pulse import batches, blocks, service
from bot.services import Services
from storage.models import Member, PulseSurvey, Team
from storage.rows import existing

log = logging.getLogger("oneteam.pulse")
REMINDER_GAP = timedelta(hours=12)


async def run(services: Services) -> None:
    """One pass of the pulse cadence: open due surveys, invite, remind, close, announce, follow up."""
    try:
        service.secret_of(services)
    except service.SecretMissing:
        log.error("ONETEAM_SECRET is not set: pulse surveys are not run (answers could not be kept anonymous)")
        return
    await _recover(services)
    await service.open_due(services)
    await _invite(services)
    await _remind(services)
    await service.close_due(services)
    await _announce(services)
    await send_follow_ups(services)


def send_at(survey: PulseSurvey, member: Member, team: Team, *, reminder: bool) -> datetime | None:
    """When a member gets the invitation (or reminder): the first moment of their local working hours
    (their team's calendar: working days and hours, public holidays and closed dates) from the survey's
    opening (or reminder time, and at least half a day after their invitation). When
    that is after the close: their next local daytime, any day; failing that, the invitation goes at
    once and the reminder not at all."""
    start = survey.opens_at
    if reminder:
        invited = send_at(survey, member, team, reminder=False) or start
        start = max(survey.remind_at, invited + REMINDER_GAP)
    cal = team_calendar(team).for_person(member.timezone)
    for any_day in (False, True):
        at = (Calendar(cal.tz, EVERY_DAY, cal.hours) if any_day else cal).next_working(start)
        if at < survey.closes_at:
            return at
    return None if reminder else start


async def _invite(services: Services, *, reminder: bool = False) -> None:
    flag = "reminded" if reminder else "invited"
    now = services.clock.now()
    due_by = now if reminder else None
    for survey in await service.open_surveys(services, flag=flag, due_by=due_by):
        team, people, _readers = await service.team_of(services, survey.team_id)
        complete = True
        for member in people:
            if member.slack_user_id is None:  # never: only people with a Slack id are surveyed
                continue
            at = send_at(survey, member, team, reminder=reminder)
            if at is None:
                continue
            if at > now or await _away(services, member, team, now):  # outside their working hours, or away:
                complete = False  # a later run sends it (while the survey is open)
                continue
            t = services.t(member.locale, team.locale)
            msg = blocks.invitation(t, survey.id, team.name, survey.closes_at, member.timezone or team.timezone,
                                    len(survey.question_ids) + 1, reminder=reminder)
            sent = await deliver_once(services, f"pulse:{flag}:{survey.id}:{member.id}", member.slack_user_id,
                                      text=msg.text, blocks=msg.blocks)
            complete = complete and sent is not None
        if complete:
            await service.mark(services, survey.id, flag)


async def _away(services: Services, member: Member, team: Team, now: datetime) -> bool:
    """Whether the member set themselves away today (their local date)."""
    today = now.astimezone(zone(member.timezone, team.timezone)).date()
    async with services.sessions() as session:
        return bool(await services.metrics.absent_on(session, [member.id], today))


async def _remind(services: Services) -> None:
    # Everyone surveyed gets the one reminder: skipping those who answered would write down who did.
    await _invite(services, reminder=True)


async def _recover(services: Services) -> None:
    """People whose answers were lost with the process that held them in memory: their receipt is deleted
    and they are told, with the button to answer again while the survey is open. Nothing is logged per
    person: who lost answers says who answered."""
    for receipt in await batches.orphaned(services):
        if not await batches.forget(services, receipt):
            continue
        async with services.sessions() as session:
            survey = await existing(session, PulseSurvey, receipt.survey_id)
        team, people, _readers = await service.team_of(services, survey.team_id)
        secret = service.secret_of(services)
        who = next((m for m in people if m.slack_user_id
                    and service.receipt_token(secret, survey.id, m.slack_user_id) == receipt.token), None)
        if who is None or who.slack_user_id is None:  # no longer surveyed: nobody to tell
            continue
        t = services.t(who.locale, team.locale)
        msg = blocks.lost(t, survey.id, team.name, survey.closes_at, who.timezone or team.timezone,
                          reopen=survey.state == "open" and survey.closes_at > services.clock.now())
        await deliver_once(services, f"pulse:lost:{survey.id}:{who.id}:{receipt.holder}", who.slack_user_id,
                           text=msg.text, blocks=msg.blocks)


async def _announce(services: Services) -> None:
    for survey in await service.unannounced(services):
        team, _people, readers = await service.team_of(services, survey.team_id)
        complete = True
        for member in readers:
            if member.slack_user_id is None:  # never: only readers with a Slack id are listed
                continue
            msg = blocks.results_ready(services.t(member.locale, team.locale), team.name, team.key)
            sent = await deliver_once(services, f"pulse:ready:{survey.id}:{member.id}", member.slack_user_id,
                                      text=msg.text, blocks=msg.blocks)
            complete = complete and sent is not None
        if complete:
            await service.mark(services, survey.id, "announced")


async def send_follow_ups(services: Services) -> None:
    """Sends each new update to everyone the team surveys (taken from the org: who answered is unknown), each
    inside their working hours."""
    now = services.clock.now()
    for follow_up, survey in await service.pending_follow_ups(services):
        team, people, _readers = await service.team_of(services, survey.team_id)
        complete = True
        for member in people:
            if member.slack_user_id is None:  # never: only people with a Slack id are surveyed
                continue
            if not team_calendar(team).for_person(member.timezone).is_working(now):
                complete = False  # quiet hours: a later run sends it in their working hours
                continue
            t = services.t(member.locale, team.locale)
            msg = blocks.follow_up_message(t, team.name, team.config.get("pulse") or {}, follow_up.question_id,
                                           follow_up.text)
            sent = await deliver_once(services, f"pulse:follow_up:{follow_up.id}:{member.id}", member.slack_user_id,
                                      text=msg.text, blocks=msg.blocks)
            complete = complete and sent is not None
        if complete:
            await service.mark_follow_up_sent(services, follow_up.id)
            log.info("pulse follow-up sent", extra={"follow_up_id": follow_up.id, "recipients": len(people)})
