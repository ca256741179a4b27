"""The "Create Jira issue" message shortcut: any message in a team's channel becomes a ticket, created
through the outbox like every other, and linked in the message's thread. "Send to Jira": a message in a
linked thread becomes a comment on its ticket.

Opening the modal records the message as a `JiraLink` (origin `message`, one per message: OneTeam's id
names the channel and timestamp), so the submission carries only that link's id. The submission proves
nothing by itself: the link must be the one this person opened, and the permission table is asked again.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update

from bot.blocks import Mrkdwn, plain
from bot.blocks import link as link_to
from bot.errors import UserFacingError
from bot.i18n import Translator
from bot.jira import outbox
from bot.jira.ids import Block, View
from bot.jira.service import _permalink, install_id, team_jira, team_t
from bot.permissions import Action, Actor, Subject, authorize, identify
from bot.services import Services
from storage.ledger import first_time
from storage.models import JiraLink, Team
from storage.rows import existing, rowcount

PROJECT = re.compile(r"^[A-Z][A-Z0-9_]{1,9}$")
SUMMARY_MAX = 250
DESCRIPTION_MAX = 2900


async def _allowed_team(services: Services, actor: Actor, team_id: int | None, channel_id: str,
                        action: Action = Action.JIRA_CREATE) -> Team:
    async with services.sessions() as session:
        member = await identify(session, actor)
        if team_id is None:
            team = await session.scalar(select(Team).where(Team.channel_id == channel_id, Team.active.is_(True)))
        else:
            team = await session.get(Team, team_id)
        if team is None:
            raise UserFacingError("jira.shortcut.no_team")
        authorize(member, action, Subject(team_id=team.id), connect=actor.external)
        return team


async def create_form(services: Services, actor: Actor, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """The pre-filled modal: the channel team's project and issue type, the message's first line as summary,
    the message as description (the permalink goes into the ticket on submit)."""
    if outbox.adapter_of(services) is None:
        raise UserFacingError("jira.errors.disabled")
    team = await _allowed_team(services, actor, None, channel_id)
    cfg = team_jira(team)
    if not cfg.project:
        raise UserFacingError("jira.errors.no_project", team=team.name)
    ts = str(message.get("ts") or "")
    text = str(message.get("text") or "")
    if not ts:
        raise UserFacingError("jira.errors.unknown")
    link = await _record(services, team, channel_id, ts, str(message.get("thread_ts") or ts), text, actor)
    if link.state != "none":
        adapter = outbox.adapter_of(services)
        key = link.jira_key or ""
        raise UserFacingError("jira.shortcut.exists", issue=link_to(adapter.browse_url(key), key)
                              if adapter and key else "…")
    t = team_t(services, team)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")[:SUMMARY_MAX]

    def field(block: str, label: str, initial: str, *, multiline: bool = False, limit: int = SUMMARY_MAX) -> dict:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": "v", "max_length": limit}
        if initial:
            element["initial_value"] = initial[:limit]
        if multiline:
            element["multiline"] = True
        return {"type": "input", "block_id": block, "label": plain(label, 2000), "element": element}

    return {
        "type": "modal", "callback_id": View.CREATE, "private_metadata": str(link.id),
        "title": plain(t("jira.shortcut.title"), 24, emoji=False),
        "submit": plain(t("jira.shortcut.submit"), 24, emoji=False),
        "close": plain(t("jira.shortcut.cancel"), 24, emoji=False),
        "blocks": [
            field(Block.PROJECT, t.plain("jira.shortcut.project"), cfg.project, limit=10),
            field(Block.TYPE, t.plain("jira.shortcut.type"), cfg.issue_type, limit=60),
            field(Block.SUMMARY, t.plain("jira.shortcut.summary"), first),
            field(Block.DESCRIPTION, t.plain("jira.shortcut.description"), text, multiline=True,
                  limit=DESCRIPTION_MAX),
        ],
    }


async def _record(services: Services, team: Team, channel_id: str, ts: str, thread_ts: str, text: str,
                  actor: Actor) -> JiraLink:
    """One link per message (OneTeam's id names it); `origin_ref` keeps who opened the modal."""
    ident = f"{install_id(services)}-msg-{channel_id}-{ts}"
    async with services.sessions.begin() as session:
        found = await session.scalar(select(JiraLink).where(JiraLink.oneteam_id == ident))
        if found is not None:
            if found.state == "none":
                found.origin_ref = actor.slack_id
            return found
        link = JiraLink(origin="message", origin_id=0, origin_ref=actor.slack_id, team_id=team.id,
                        oneteam_id=ident, state="none", created_at=services.clock.now(), severity=None,
                        category=None, summary=(text.splitlines() or [""])[0][:255], details=text,
                        channel_id=channel_id, thread_ts=thread_ts)
        session.add(link)
        await session.flush()
        link.origin_id = link.id  # unique per origin, like an escalation's or a blocker's id
    return link


async def submit(services: Services, actor: Actor, link_id: str, values: dict[str, str], t: Translator) -> str:
    """Queues the ticket; returns the text told to the person."""
    project = values.get(Block.PROJECT, "").strip().upper()
    summary = " ".join(values.get(Block.SUMMARY, "").split())
    if not PROJECT.match(project):
        raise UserFacingError("jira.shortcut.bad_project", block_id=Block.PROJECT)
    if not summary:
        raise UserFacingError("jira.shortcut.summary_needed", block_id=Block.SUMMARY)
    async with services.sessions() as session:
        link = await session.get(JiraLink, int(link_id)) if link_id.isdigit() else None
    if link is None or link.origin != "message" or link.origin_ref != actor.slack_id:
        raise UserFacingError("jira.errors.unknown")
    team = await _allowed_team(services, actor, link.team_id, link.channel_id or "")
    tt = team_t(services, team)
    who = actor.slack_id
    async with services.sessions() as session:
        member = await identify(session, actor)
        who = member.name
    description = tt.plain("jira.shortcut.from_slack", who=who) + "\n\n" + values.get(Block.DESCRIPTION, "")
    payload = {"project": project, "issue_type": values.get(Block.TYPE, "").strip() or team_jira(team).issue_type,
               "summary": summary[:SUMMARY_MAX], "description": description, "labels": ["oneteam"],
               "priority": None, "link_url": await _permalink(services, link.channel_id, link.thread_ts),
               "link_text": tt.plain("jira.issue.link_text")}
    now = services.clock.now()
    async with services.sessions.begin() as session:
        moved = await session.execute(update(JiraLink).where(JiraLink.id == link.id, JiraLink.state == "none")
                                      .values(state="pending", summary=summary[:255]))
        if rowcount(moved) != 1:
            fresh = await existing(session, JiraLink, link.id)
            return t("jira.shortcut.exists", issue=fresh.jira_key or "…")
        item = outbox.enqueue(session, link, "create", payload, now)
        await session.flush()
        item_id = item.id
    outbox.spawn(services, outbox.process(services, item_id))
    return t("jira.shortcut.requested")


async def send_comment(services: Services, actor: Actor, channel_id: str, message: dict[str, Any],
                       t: Translator) -> Mrkdwn:
    """"Send to Jira" on a message in a thread linked to a ticket: the message becomes a comment on it,
    once per message, through the outbox (in order after the ticket's other writes)."""
    adapter = outbox.adapter_of(services)
    if adapter is None:
        raise UserFacingError("jira.errors.disabled")
    ts = str(message.get("ts") or "")
    root = str(message.get("thread_ts") or ts)
    async with services.sessions() as session:
        channel_team = await session.scalar(select(Team.id).where(Team.channel_id == channel_id))
    if channel_team is not None:  # refused before anything is said about the thread's ticket
        await _allowed_team(services, actor, channel_team, channel_id, Action.JIRA_SEND)
    async with services.sessions() as session:
        link = await session.scalar(select(JiraLink).where(
            JiraLink.channel_id == channel_id, JiraLink.thread_ts == root,
            JiraLink.state.in_(("pending", "linked", "failed"))))
    if link is None or not ts:
        raise UserFacingError("jira.send.no_ticket")
    team = await _allowed_team(services, actor, link.team_id, channel_id, Action.JIRA_SEND)
    async with services.sessions() as session:
        member = await identify(session, actor)
    if not await first_time(services.sessions, f"jira-send:{channel_id}:{ts}", services.clock.now()):
        raise UserFacingError("jira.send.already")
    tt = team_t(services, team)
    payload = {"target": "comment", "link_url": await _permalink(services, channel_id, ts),
               "comment": tt.plain("jira.send.comment", who=member.name, text=str(message.get("text") or "")),
               "link_text": tt.plain("jira.issue.link_text")}
    await outbox.queue_change(services, link, payload)
    key = link.jira_key or ""
    return t("jira.send.queued", issue=link_to(adapter.browse_url(key), key) if key else "Jira")
