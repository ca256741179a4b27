"""Steps that span storage and Slack: invitations, the reminder, the results-ready notice and
"you said, we did" updates. Every message goes through `deliver_once` with a unique key, so a
re-run after a crash or on a second instance sends nothing twice."""

from __future__ import annotations

import logging

from bot.delivery import deliver_once
from bot.pulse import blocks, service
from bot.services import Services

log = logging.getLogger("oneteam.pulse")


async def run(services: Services) -> None:
    """One pass of the pulse cadence: open due surveys, invite, remind, close, announce, follow up."""
    try:
        service.secret_of(services)
    except service.SecretMissing:
        log.error("ONETEAM_SECRET is not set: pulse surveys are not run (answers could not be kept anonymous)")
        return
    await service.open_due(services)
    await _invite(services)
    await _remind(services)
    await service.close_due(services)
    await _announce(services)
    await send_follow_ups(services)


async def _invite(services: Services, *, reminder: bool = False) -> None:
    flag = "reminded" if reminder else "invited"
    due_by = services.clock.now() if reminder else None
    for survey in await service.open_surveys(services, flag=flag, due_by=due_by):
        team, people, _readers = await service.team_of(services, survey.team_id)
        complete = True
        for member in people:
            if member.slack_user_id is None:  # never: only people with a Slack id are surveyed
                continue
            t = services.t(member.locale, team.locale)
            msg = blocks.invitation(t, survey.id, team.name, survey.closes_at, member.timezone or team.timezone,
                                    len(survey.question_ids) + 1, reminder=reminder)
            sent = await deliver_once(services, f"pulse:{flag}:{survey.id}:{member.id}", member.slack_user_id,
                                      text=msg.text, blocks=msg.blocks)
            complete = complete and sent is not None
        if complete:
            await service.mark(services, survey.id, flag)


async def _remind(services: Services) -> None:
    # Everyone surveyed gets the one reminder: skipping those who answered would write down who did.
    await _invite(services, reminder=True)


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
    """Sends each new update to everyone the team surveys (taken from the org: who answered is unknown)."""
    for follow_up, survey in await service.pending_follow_ups(services):
        team, people, _readers = await service.team_of(services, survey.team_id)
        complete = True
        for member in people:
            if member.slack_user_id is None:  # never: only people with a Slack id are surveyed
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
