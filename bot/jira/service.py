"""Jira rules: which escalation or blocker gets a ticket, what the ticket says, what Slack is told when it is
created, pending, refused or changed in Jira; members' open issues; weekly counts for KPIs.

Other features are never imported: Jira reads what it may ticket through the providers they register
(`services.metrics.escalation_access`, `.blocker`) and tells them what happened with events
(`JiraIssueLinked`, `JiraIssueDone`, ...) that they subscribe to (bot/wiring.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import calendar
from bot.blocks import Mrkdwn, context, section
from bot.blocks import link as link_to
from bot.delivery import deliver_once
from bot.errors import UserFacingError
from bot.events import (
    ActionItemTicketWanted,
    BlockerReported,
    BlockerResolved,
    EscalationEvent,
    EscalationRaised,
    EscalationSeverityChanged,
    JiraIssueDone,
    JiraIssueLinked,
    JiraLinked,
    JiraPending,
    JiraUpdated,
)
from bot.i18n import Translator
from bot.jira import outbox
from bot.jira.adapter import (
    IssueRef,
    IssueState,
    JiraAdapter,
    JiraRejected,
    JiraUnavailable,
    Transition,
    jql_string,
    wiki_escape,
)
from bot.jira.config import JiraConfig
from bot.metrics import BlockerInfo, JiraMetrics, OpenIssue
from bot.permissions import Action, Actor, identify
from bot.services import Services
from bot.settings import secret_value
from storage.models import Delivery, JiraAccount, JiraLink, JiraOutboxItem, JiraWeeklyStats, Team
from storage.org import member_by_slack_id, team_by_key, team_members
from storage.rows import existing, rowcount
from storage.upsert import upsert

log = logging.getLogger("oneteam.jira")
R = TypeVar("R")


def team_jira(team: Team) -> JiraConfig:
    return JiraConfig.model_validate((team.config or {}).get("jira") or {})


def team_t(services: Services, team: Team) -> Translator:
    return services.t(team.locale)


_ID_PREFIX = {"escalation": "esc", "blocker": "blk", "action_item": "act"}  # ids of different origins never meet


def install_id(services: Services) -> str:
    """Names this OneTeam install among others sharing a Jira site (a hash of its secret)."""
    return hashlib.sha256((secret_value(services.settings.secret) or "oneteam").encode()).hexdigest()[:6]


def oneteam_id(services: Services, origin: str, origin_id: int) -> str:
    """Unique across OneTeam installs sharing a Jira site."""
    return f"{install_id(services)}-{_ID_PREFIX[origin]}-{origin_id}"


# --- recording what may get a ticket ------------------------------------------------------------------------

async def on_escalation_raised(services: Services, event: EscalationRaised) -> None:
    """`EscalationRaised`: remember it (for the button) and queue a ticket when the policy wants one."""
    link = await _record(services, "escalation", event.escalation_id, event.team_key,
                         ref=event.ref, severity=event.severity, category=event.category,
                         summary=event.summary or "", details=event.details or "",
                         channel_id=event.channel_id, thread_ts=event.message_ts)
    if link is not None and event.jira_wanted:
        await _request(services, link)


async def on_blocker(services: Services, event: BlockerReported) -> None:
    """`BlockerReported`: remember it so that the liaison's "Create Jira ticket" button can act on it."""
    await _record_blocker(services, event.blocker_id, event.team_key, event.member_email, event.text)


async def _record_blocker(services: Services, blocker_id: int, team_key: str, email: str | None, text: str) -> None:
    summary = text or ""
    await _record(services, "blocker", blocker_id, team_key, ref=None, severity=None, category="blocker",
                  summary=summary, details=_blocker_details(email, summary), channel_id=None, thread_ts=None)


async def on_action_item(services: Services, event: ActionItemTicketWanted) -> None:
    """`ActionItemTicketWanted`: the weekly sync's minutes want a ticket for an action item; the link (one
    per origin) and the outbox make it one ticket, whenever Jira answers."""
    link = await _record(services, "action_item", event.action_item_id, event.team_key, ref=None,
                         severity=None, category="action_item", summary=event.summary, details=event.details,
                         channel_id=event.channel_id, thread_ts=event.message_ts)
    if link is not None:
        await _request(services, link)


def _blocker_details(email: str | None, text: str) -> str:
    return f"{text}\n\n({email})" if email else text


async def _record(services: Services, origin: str, origin_id: int, team_key: str, **fields: Any) -> JiraLink | None:
    async with services.sessions.begin() as session:
        team = await team_by_key(session, team_key)
        if team is None:
            return None
        existing = await _link(session, origin, origin_id)
        if existing is not None:
            return existing
        link = JiraLink(origin=origin, origin_id=origin_id, origin_ref=fields.pop("ref"), team_id=team.id,
                        oneteam_id=oneteam_id(services, origin, origin_id), state="none",
                        created_at=services.clock.now(), **{**fields, "summary": fields["summary"][:255]})
        session.add(link)
    return link


async def _link(session: Any, origin: str, origin_id: int) -> JiraLink | None:
    return await session.scalar(select(JiraLink).where(JiraLink.origin == origin, JiraLink.origin_id == origin_id))


# --- asking for a ticket ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketRequest:
    state: str  # pending | linked
    key: str | None
    url: str | None
    team_name: str


async def request_ticket(services: Services, actor: Actor, origin: str, origin_id: int) -> TicketRequest:
    """The "Create Jira ticket" button. Idempotent: a second click reports the ticket under way or made.
    The object is loaded by its id and the actor checked against the permission table; where updates go
    comes from the object's own record (the escalation's card; the blocker DM sent to this person)."""
    adapter = outbox.adapter_of(services)
    if adapter is None:
        raise UserFacingError("jira.errors.disabled")
    if origin == "escalation":
        if services.metrics.escalation_access is None:
            raise UserFacingError("jira.errors.unknown")
        await services.metrics.escalation_access(services, actor, Action.ESCALATION_JIRA, origin_id)
        async with services.sessions() as session:
            link = await _link(session, origin, origin_id)
    elif origin == "blocker":
        if services.metrics.blocker is None:
            raise UserFacingError("jira.errors.unknown")
        async with services.sessions() as session:
            member = await identify(session, actor)
            info = await services.metrics.blocker(session, member, Action.BLOCKER_JIRA, origin_id, actor.external)
            told = await session.get(Delivery, f"checkin:blocker:{origin_id}:{member.id}")  # see route_blocker
        link = await on_blocker_info(services, info)
        if link is not None and not link.channel_id:
            channel, ts = (told.message_channel or told.channel, told.ts) if told else (member.slack_user_id, None)
            async with services.sessions.begin() as session:
                await session.execute(update(JiraLink).where(JiraLink.id == link.id, JiraLink.channel_id.is_(None))
                                      .values(channel_id=channel, thread_ts=ts))
    else:
        raise UserFacingError("jira.errors.unknown")
    if link is None:
        raise UserFacingError("jira.errors.unknown")
    return await _request(services, link)


async def on_blocker_info(services: Services, info: BlockerInfo) -> JiraLink | None:
    await _record_blocker(services, info.id, info.team_key, info.member_email, info.text)
    async with services.sessions() as session:
        return await _link(session, "blocker", info.id)


async def _request(services: Services, link: JiraLink) -> TicketRequest:
    adapter = outbox.adapter_of(services)
    assert adapter is not None
    async with services.sessions() as session:
        team = await existing(session, Team, link.team_id)
    cfg = team_jira(team)
    if not cfg.project:
        raise UserFacingError("jira.errors.no_project", team=team.name)
    payload = await _draft(services, team, cfg, link)
    now = services.clock.now()
    async with services.sessions.begin() as session:
        # Only a link that has no ticket (or whose ticket was given up on) moves to pending: one queue entry each.
        moved = await session.execute(update(JiraLink).where(
            JiraLink.id == link.id, JiraLink.state.in_(("none", "dropped"))).values(state="pending"))
        item = outbox.enqueue(session, link, "create", payload, now) if rowcount(moved) == 1 else None
        await session.flush()
        fresh = await existing(session, JiraLink, link.id, populate_existing=True)
    if item is not None:
        outbox.spawn(services, outbox.process(services, item.id))
    key = fresh.jira_key
    return TicketRequest("linked" if key else "pending", key, adapter.browse_url(key) if key else None, team.name)


async def _draft(services: Services, team: Team, cfg: JiraConfig, link: JiraLink) -> dict[str, Any]:
    t = team_t(services, team)
    link_url = await _permalink(services, link.channel_id, link.thread_ts)
    if link.origin == "escalation":
        summary = f"[{link.origin_ref}] {link.summary}" if link.origin_ref else link.summary
        description = t.plain("jira.issue.escalation", ref=link.origin_ref or "", team=team.name,
                        severity=link.severity or "", category=link.category or "", details=link.details or "")
    elif link.origin == "action_item":
        summary, description = link.summary, link.details or ""
    else:
        summary = t.plain("jira.issue.blocker_summary", team=team.name, text=link.summary)
        description = t.plain("jira.issue.blocker", team=team.name, details=link.details or "")
    labels = ["oneteam", *(x for x in (link.severity, link.category) if x), *cfg.labels]
    return {"project": cfg.project, "issue_type": cfg.issue_type, "summary": summary, "description": description,
            "labels": [lb.replace(" ", "-") for lb in labels], "priority": cfg.priorities.get(link.severity or ""),
            "link_url": link_url, "link_text": t.plain("jira.issue.link_text")}


async def _permalink(services: Services, channel: str | None, ts: str | None) -> str | None:
    if not channel or not ts:
        return None
    try:
        return (await services.slack.chat_getPermalink(channel=channel, message_ts=ts)).get("permalink")
    except Exception:  # a ticket without a back-link beats no ticket
        log.warning("no permalink for the Jira description", extra={"channel": channel})
        return None


# --- what happens in Slack follows to the ticket ----------------------------------------------------------------

# The status category each change made in Slack moves a ticket into, when `jira.transitions` names none.
CATEGORY = {"acknowledged": ("indeterminate",), "resolved": ("done",), "reopened": ("new", "indeterminate")}


async def on_escalation_changed(services: Services, target: str, event: EscalationEvent) -> None:
    """`EscalationAcknowledged` / `Resolved` / `Reopened`: the linked ticket follows, with a comment saying
    who did it (and the resolution note). A resolution without a person is OneTeam's own, following Jira
    (`JiraIssueDone`): it is not sent back."""
    if target == "resolved" and event.actor_name is None:
        return
    note = event.note if target == "resolved" else None
    await _follow(services, "escalation", event.escalation_id, target, f"jira.comment.{target}",
                  who=event.actor_name, note=note)


async def on_severity_changed(services: Services, event: EscalationSeverityChanged) -> None:
    """`EscalationSeverityChanged`: the ticket's priority follows (the team's `jira.priorities` mapping)."""
    await _follow(services, "escalation", event.escalation_id, "priority", "jira.comment.severity",
                  who=event.actor_name, note=event.note, severity=event.severity)


async def on_blocker_resolved(services: Services, event: BlockerResolved) -> None:
    """`BlockerResolved`: the blocker's ticket moves to done."""
    await _follow(services, "blocker", event.blocker_id, "resolved", "jira.comment.blocker_resolved",
                  who=event.member_name, note=None)


async def _follow(services: Services, origin: str, origin_id: int, target: str, comment_key: str, *,
                  who: str | None, note: str | None, severity: str | None = None) -> None:
    """Queues the change behind every earlier write of the same ticket (the create included): the outbox
    applies them in order, once, whenever Jira answers."""
    if outbox.adapter_of(services) is None:
        return
    async with services.sessions() as session:
        link = await _link(session, origin, origin_id)
        if link is None or link.state not in ("pending", "linked", "failed"):
            return  # no ticket asked for: nothing to follow
        team = await existing(session, Team, link.team_id)
    t = team_t(services, team)
    priority = team_jira(team).priorities.get(severity or "")
    if target == "priority" and not priority:
        return  # the team maps no priority for this severity
    comment = t.plain(comment_key, who=who or t.plain("jira.comment.someone"), note=note or "").strip()
    payload = {"target": target, "comment": comment, "priority": priority,
               "link_url": await _permalink(services, link.channel_id, link.thread_ts),
               "link_text": t.plain("jira.issue.link_text")}
    await outbox.queue_change(services, link, payload)


async def follow(services: Services, adapter: JiraAdapter, item: JiraOutboxItem, link: JiraLink) -> str:
    """Runs one queued change on the ticket: the comment, then the transition. Returns done | skipped.
    A retry (attempts > 1) first looks for the comment an earlier attempt may have added, and a ticket
    already in the wanted category is not moved again: each change lands once."""
    key = link.jira_key
    if not key:
        return "skipped"  # the create was dropped: there is no ticket to follow
    async with services.sessions() as session:
        team = await existing(session, Team, link.team_id)
    payload = item.payload
    target = str(payload.get("target"))
    comment = str(payload.get("comment") or "")
    if comment and not (item.attempts > 1 and await _commented(adapter, key, comment)):
        await adapter.add_comment(key, comment, payload.get("link_url"), str(payload.get("link_text") or "Slack"))
    if target == "comment":  # "Send to Jira": a comment only
        await _baseline(services, adapter, link.id, key)
        return "done"
    if target == "priority":  # the severity changed in Slack (setting it again is harmless)
        await adapter.set_priority(key, str(payload.get("priority")))
        await _baseline(services, adapter, link.id, key)
        return "done"
    wanted = getattr(team_jira(team).transitions, target, None)
    issue = await adapter.get_issue(key)
    if not _arrived(issue, target, wanted):
        choice = _pick(await adapter.transitions(key), target, wanted)
        if choice is None:
            await _no_transition(services, link, team, target, issue)
            await _baseline(services, adapter, link.id, key)
            return "skipped"
        await adapter.transition(key, choice.id, {name: {"name": value} for name, value in choice.required})
    await _baseline(services, adapter, link.id, key)
    return "done"


def _arrived(issue: IssueState, target: str, wanted: str | None) -> bool:
    if wanted and issue.status.casefold() == wanted.casefold():
        return True
    if target == "reopened":
        return issue.status_category != "done"
    if target == "acknowledged":
        return issue.status_category in ("indeterminate", "done")
    return issue.status_category == "done"


def _pick(options: list[Transition], target: str, wanted: str | None) -> Transition | None:
    """The configured transition (by its name or its target status), else the first into the category."""
    if wanted:
        return next((o for o in options if wanted.casefold() in (o.name.casefold(), o.to_status.casefold())), None)
    for category in CATEGORY[target]:
        found = next((o for o in options if o.to_category == category), None)
        if found is not None:
            return found
    return None


async def _commented(adapter: JiraAdapter, key: str, comment: str) -> bool:
    """Whether our account already added this comment (an earlier attempt that timed out after Jira took it)."""
    first = comment.split("\n")[0].strip()
    return any(c.author_id in adapter.me and (first in c.text or wiki_escape(first) in c.text)
               for c in await adapter.recent_comments(key))


async def _baseline(services: Services, adapter: JiraAdapter, link_id: int, key: str) -> None:
    """Our own change becomes the version compared with, so the poll does not announce it back (the webhook
    drops it as our echo)."""
    try:
        await apply_issue(services, link_id, await adapter.get_issue(key), announce=False)
    except (JiraUnavailable, JiraRejected):
        log.warning("could not re-read the Jira issue after our change", extra={"jira_key": key})


async def _no_transition(services: Services, link: JiraLink, team: Team, target: str, issue: IssueState) -> None:
    """Told to the team's liaisons once per ticket and change; the write is not retried (only a config change
    or a person can fix it)."""
    adapter = outbox.adapter_of(services)
    url = adapter.browse_url(issue.key) if adapter else ""
    t = team_t(services, team)
    text = t("jira.thread.no_transition", issue=link_to(url, issue.key), what=t.plain(f"jira.target.{target}"),
             status=issue.status)
    async with services.sessions() as session:
        liaisons = [m.slack_user_id for m, _ in await team_members(session, team.id, "liaison") if m.slack_user_id]
    log.warning("jira transition not available", extra={"link": link.id, "target": target})
    for slack_id in liaisons:
        try:
            await deliver_once(services, f"jira:{link.id}:no-transition:{target}:{slack_id}", slack_id, text=text)
        except Exception:
            log.exception("could not tell a liaison about a Jira transition", extra={"link": link.id})


async def on_follow_failed(services: Services, link_id: int, item_id: int, reason: str) -> None:
    """Jira refused a change to an existing ticket: said in the thread, with the admin's way out."""
    link, team = await _link_and_team(services, link_id)
    adapter = outbox.adapter_of(services)
    key = link.jira_key or ""
    await _post(services, link, f"failed:{item_id}", team_t(services, team)(
        "jira.thread.follow_failed", issue=link_to(adapter.browse_url(key), key) if adapter else key,
        reason=reason, item=item_id))


# --- outcomes of a queued write (called by the outbox) -------------------------------------------------------

async def on_created(services: Services, adapter: JiraAdapter, link_id: int, ref: IssueRef) -> None:
    async with services.sessions.begin() as session:
        await session.execute(update(JiraLink).where(JiraLink.id == link_id).values(
            state="linked", jira_key=ref.key, jira_id=ref.id))
        link = await existing(session, JiraLink, link_id, populate_existing=True)
        team = await existing(session, Team, link.team_id)
    await services.events.publish(JiraIssueLinked(link.origin, link.origin_id, ref.key))  # the origin records it
    try:  # the baseline later changes are compared with (a read by key is consistent at once)
        await apply_issue(services, link_id, await adapter.get_issue(ref.key), announce=False)
    except Exception:
        log.warning("could not read the new Jira issue; the next sync will", extra={"jira_key": ref.key})
    t = team_t(services, team)
    await _post(services, link, f"created:{ref.key}", t("jira.thread.created",
                                                      issue=link_to(adapter.browse_url(ref.key), ref.key)))
    await services.events.publish(JiraLinked(link.origin, link.origin_id, ref.key, adapter.browse_url(ref.key)))


async def on_pending(services: Services, link_id: int, item_id: int) -> None:
    """Told once per link: the Slack flow carries on and the ticket follows when Jira is back."""
    link, team = await _link_and_team(services, link_id)
    await _post(services, link, "pending", team_t(services, team)("jira.thread.pending"))
    await services.events.publish(JiraPending(link.origin, link.origin_id, item_id))


async def on_failed(services: Services, link_id: int, item_id: int, reason: str) -> None:
    async with services.sessions.begin() as session:
        await session.execute(update(JiraLink).where(JiraLink.id == link_id, JiraLink.state == "pending")
                              .values(state="failed"))
    link, team = await _link_and_team(services, link_id)
    await _post(services, link, f"failed:{item_id}", team_t(services, team)("jira.thread.failed", reason=reason,
                                                                           item=item_id))


async def _link_and_team(services: Services, link_id: int) -> tuple[JiraLink, Team]:
    async with services.sessions() as session:
        link = await existing(session, JiraLink, link_id)
        return link, await existing(session, Team, link.team_id)


async def _post(services: Services, link: JiraLink, what: str, text: str) -> None:
    """Into the escalation card's (or blocker message's) thread, once per `what` even across instances."""
    if not link.channel_id:
        return
    try:
        await deliver_once(services, f"jira:{link.id}:{what}", link.channel_id, text=text, thread_ts=link.thread_ts)
    except Exception:
        log.exception("could not post a Jira update in Slack", extra={"link": link.id})


# --- changes coming back from Jira ---------------------------------------------------------------------------

def issue_values(issue: IssueState) -> dict[str, Any]:
    """The columns of a link that mirror its issue."""
    return {"status": issue.status, "status_category": issue.status_category, "assignee": issue.assignee,
            "resolution": issue.resolution, "jira_updated": issue.updated, "jira_key": issue.key,
            "jira_id": issue.id}


async def apply_issue(services: Services, link_id: int, issue: IssueState, *, announce: bool = True) -> bool:
    """Applies an issue version newer than the one we have; posts what changed. Compare-and-set on
    `jira_updated` makes the poll and a webhook (or two instances) apply one version once."""
    async with services.sessions.begin() as session:
        link = await session.get(JiraLink, link_id)
        if link is None or (link.jira_updated is not None and issue.updated <= link.jira_updated):
            return False
        before = (link.status, link.assignee, link.resolution, link.status_category)
        first = link.jira_updated is None
        cond = JiraLink.jira_updated.is_(None) if first else JiraLink.jira_updated == link.jira_updated
        moved = await session.execute(update(JiraLink).where(JiraLink.id == link_id, cond)
                                      .values(**issue_values(issue)))
        if rowcount(moved) != 1:
            return False
        team = await existing(session, Team, link.team_id)
    if link.origin == "blocker" and issue.status != before[0]:  # the blocker shows the status in its next prompt
        await services.events.publish(JiraIssueLinked(link.origin, link.origin_id, issue.key, issue.status))
    if not announce or first:
        return True
    t = team_t(services, team)
    lines = []
    for name, old, new in (("status", before[0], issue.status), ("assignee", before[1], issue.assignee),
                           ("resolution", before[2], issue.resolution)):
        if old != new:
            lines.append(t(f"jira.thread.{name}", old=old or t("jira.thread.empty"), new=new or t("jira.thread.empty")))
    adapter = outbox.adapter_of(services)
    if lines:
        url = adapter.browse_url(issue.key) if adapter else ""
        text = Mrkdwn("\n").join([t("jira.thread.changed", issue=link_to(url, issue.key)), *lines])
        await _post(services, link, f"update:{issue.updated.isoformat()}", text)
        await services.events.publish(JiraUpdated(link.origin, link.origin_id, issue.key, issue.status,
                                                  issue.status_category, issue.assignee, issue.resolution))
    if adapter is not None and team_jira(team).comments_to_thread:
        await _comments_to_thread(services, adapter, link, issue.key, t)
    if issue.status_category == "done" and before[3] != "done":
        await _resolved_in_jira(services, link, team, issue, t)
    return True


async def _comments_to_thread(services: Services, adapter: JiraAdapter, link: JiraLink, key: str,
                              t: Translator) -> None:
    """People's Jira comments made since the ticket was linked, each posted once into the thread (oldest
    first); ours (the changes made in Slack) are not echoed back. The text is Jira users' text: escaped."""
    if not link.channel_id:
        return
    try:
        found = await adapter.recent_comments(key)
    except (JiraUnavailable, JiraRejected):
        log.warning("Jira comments not available; the next change will bring them", extra={"jira_key": key})
        return
    url = adapter.browse_url(key)
    for c in reversed(found):
        if c.author_id in adapter.me or (c.created is not None and c.created < link.created_at) or not c.text.strip():
            continue
        text = t("jira.thread.comment", issue=link_to(url, key), who=c.author_name or "?", text=c.text.strip())
        await _post(services, link, f"comment:{c.id}", text)


async def _resolved_in_jira(services: Services, link: JiraLink, team: Team, issue: IssueState, t: Translator) -> None:
    """Status category, not status name: "Done", "Closed", "Erledigt" all mean done."""
    if link.origin != "escalation" or not link.origin_ref or not team_jira(team).resolve_escalation:
        return
    note = t.plain("jira.thread.resolved_note", issue=issue.key, resolution=issue.resolution or issue.status)
    await services.events.publish(JiraIssueDone(link.origin_ref, note))  # escalations resolve it


# --- unfurls: Jira links posted in Slack ---------------------------------------------------------------------

ISSUE_KEY = re.compile(r"^([A-Z][A-Z0-9_]{1,9}-[1-9][0-9]{0,8})$")
UNFURL_MAX = 5  # Slack sends at most 5 links per link_shared


def issue_key_of(adapter: JiraAdapter, url: str) -> str | None:
    """The issue key of a `<site>/browse/KEY` link of our Jira site (query and fragment ignored)."""
    prefix = adapter.browse_url("")
    if not url.startswith(prefix):
        return None
    found = ISSUE_KEY.match(url[len(prefix):].split("?")[0].split("#")[0].rstrip("/"))
    return found.group(1) if found else None


async def unfurls(services: Services, poster: Actor, urls: list[str]) -> dict[str, dict[str, Any]]:
    """What `chat.unfurl` shows under each Jira issue link: key and summary, status, assignee, priority.
    Only for links posted by internal staff of the org: a vendor or stranger cannot read internal tickets
    by pasting keys. Links Jira does not show us (missing, no permission) stay as they are."""
    adapter = outbox.adapter_of(services)
    if adapter is None:
        return {}
    async with services.sessions() as session:
        member = await member_by_slack_id(session, poster.slack_id)
    if poster.external or member is None or member.external_org:
        return {}
    t = services.t(member.locale)
    out: dict[str, dict[str, Any]] = {}
    for url in urls[:UNFURL_MAX]:
        key = issue_key_of(adapter, url)
        if key is None:
            continue
        try:
            issue = await adapter.get_issue(key)
        except (JiraUnavailable, JiraRejected):
            continue
        none = t.plain("jira.thread.empty")
        out[url] = {"blocks": [
            section(t("jira.unfurl.title", issue=link_to(adapter.browse_url(issue.key), issue.key),
                      summary=issue.summary)),
            context(t("jira.unfurl.details", status=issue.status, assignee=issue.assignee or none,
                      priority=issue.priority or none)),
        ]}
    return out


# --- members' open issues (check-in prompt) -------------------------------------------------------------------

SEARCH_PAGE = 50  # members per `assignee in (...)` search
TASK_FIELDS = ("summary", "status", "duedate", "assignee")  # what a prompt shows, and whose it is
MAX_SEARCHES = 8  # requests per page of members at most (a few people with very many issues)
ACCOUNT_RECHECK = timedelta(days=7)  # an email Jira knew nobody by is asked about again after this
LOOKUPS = 8  # user searches in flight (first round only: account ids are kept)
BUDGET = 10.0  # seconds a page of prompts waits out Jira's Retry-After before its lists are marked unavailable


async def open_issues_for(services: Services, emails: Sequence[str],
                          limit: int = 10) -> Mapping[str, Sequence[OpenIssue] | None]:
    """Members' open Jira issues by email for one page of members (see `bot.metrics.OpenIssuesFn`): one JQL
    `assignee in (...)` search per `SEARCH_PAGE` members, by account ids looked up once and kept. A throttled
    Jira's `Retry-After` is waited out within `BUDGET`; past it, or when Jira is down, the lists are None
    ("could not be loaded"): a check-in prompt never waits long for, or fails because of, Jira."""
    adapter = outbox.adapter_of(services)
    if adapter is None:
        return {}
    wanted = list(dict.fromkeys(e for e in emails if e))
    deadline = asyncio.get_running_loop().time() + BUDGET
    ids = await _account_ids(services, adapter, wanted, deadline)
    out: dict[str, Sequence[OpenIssue] | None] = {e: (None if e not in ids else []) for e in wanted}
    known = [(e, a) for e, a in ids.items() if a]
    for start in range(0, len(known), SEARCH_PAGE):
        people: dict[str, list[str]] = {}
        for email, account in known[start:start + SEARCH_PAGE]:
            people.setdefault(account, []).append(email)
        try:
            found = await _search_open(adapter, list(people), limit, deadline)
        except Exception as exc:  # what failed, by class and Jira's status or "timeout": never a body
            log.warning("open issues not available", extra={"reason": "jira", "members": len(people),
                                                            "error": type(exc).__name__,
                                                            "cause": getattr(exc, "reason", None)})
            out.update((e, None) for emails_of in people.values() for e in emails_of)
            continue
        out.update((e, found[account]) for account, emails_of in people.items() for e in emails_of)
    return out


async def _account_ids(services: Services, adapter: JiraAdapter, emails: list[str],
                       deadline: float) -> dict[str, str | None]:
    """Jira ids by email, from the `jira_accounts` table or looked up (and kept). An email whose lookup failed
    is left out (its list cannot be loaded); one Jira knows nobody by maps to None until `ACCOUNT_RECHECK`."""
    now = services.clock.now()
    async with services.sessions() as session:
        rows = (await session.scalars(select(JiraAccount).where(JiraAccount.email.in_(emails)))).all()
    ids: dict[str, str | None] = {r.email: r.account_id for r in rows
                                  if r.account_id or r.checked_at > now - ACCOUNT_RECHECK}
    gate = asyncio.Semaphore(LOOKUPS)
    looked: dict[str, str | None] = {}

    async def look_up(email: str) -> None:
        async with gate:
            try:
                looked[email] = await _patiently(partial(adapter.find_user, email), deadline)
            except Exception:
                log.warning("Jira user lookup failed", extra={"reason": "jira"})

    await asyncio.gather(*(look_up(e) for e in emails if e not in ids))
    if looked:
        async with services.sessions.begin() as session:  # another instance may store the same answers
            for email, account in looked.items():
                await upsert(session, JiraAccount, {"email": email, "account_id": account, "checked_at": now},
                             ("email",), ("account_id", "checked_at"))
    return {e: (ids | looked)[e] for e in emails if e in ids or e in looked}


async def _search_open(adapter: JiraAdapter, accounts: list[str], limit: int,
                       deadline: float) -> dict[str, list[OpenIssue]]:
    """Up to `limit` open issues (most recently updated first) of each account, in as few requests as Jira's
    page size allows: one for a page of members with a few issues each. One person with very many issues
    must not crowd the others out: after each page, the people who have `limit` leave the query and it is
    asked again for the rest (duplicates skipped); when nobody is complete yet, the next page is read."""
    lists: dict[str, list[OpenIssue]] = {a: [] for a in accounts}
    seen: set[str] = set()
    todo = set(accounts)
    jql: str | None = None
    after: str | None = None
    for _ in range(MAX_SEARCHES):
        if jql is None:
            names = ", ".join(jql_string(a) for a in sorted(todo))
            jql, after = f"assignee in ({names}) AND statusCategory != Done ORDER BY updated DESC", None
        page, after = await _patiently(partial(adapter.search_page, jql, fields=TASK_FIELDS,
                                               size=limit * len(todo), after=after), deadline)
        for i in page:
            mine = lists.get(i.assignee_id or "")
            if mine is not None and i.key not in seen and len(mine) < limit:
                seen.add(i.key)
                mine.append(OpenIssue(i.key, i.summary, i.status, adapter.browse_url(i.key), i.due))
        full = {a for a in todo if len(lists[a]) >= limit}
        todo -= full
        if after is None or not todo:
            return lists
        if full:
            jql = None
    log.warning("open issues truncated", extra={"reason": "jira", "members": len(todo)})
    return lists


async def _patiently(call: Callable[[], Awaitable[R]], deadline: float) -> R:
    """`call()`, again after a throttled or busy Jira's `Retry-After` while that fits before `deadline`
    (a timeout or no connection is not retried: it would cost the whole budget)."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            return await call()
        except JiraUnavailable as exc:
            if exc.retry_after is None or loop.time() + exc.retry_after > deadline:
                raise
            await asyncio.sleep(exc.retry_after)


# --- weekly counts (KPIs and the digest) -----------------------------------------------------------------------

async def jira_metrics(session: AsyncSession, team_id: int, start: datetime, end: datetime) -> JiraMetrics:
    """Sums of the stored weekly counts for the weeks starting in [start, end) (team's time zone);
    `overdue` is the latest week's. None fields: no data (Jira off or not computed yet)."""
    team = await session.get(Team, team_id)
    if team is None:
        return JiraMetrics()
    tz = ZoneInfo(team.timezone)
    rows = (await session.scalars(select(JiraWeeklyStats).where(
        JiraWeeklyStats.team_id == team_id, JiraWeeklyStats.week_start >= start.astimezone(tz).date(),
        JiraWeeklyStats.week_start < end.astimezone(tz).date()).order_by(JiraWeeklyStats.week_start))).all()
    if not rows:
        return JiraMetrics()
    return JiraMetrics(created=sum(r.created for r in rows), resolved=sum(r.resolved for r in rows),
                       overdue=rows[-1].overdue)


async def compute_weekly_stats(services: Services) -> int:
    """Counts this and last week per team with a Jira project, from Jira, and stores them (upsert)."""
    adapter = outbox.adapter_of(services)
    if adapter is None:
        return 0
    async with services.sessions() as session:
        teams = [(t, project) for t in (await session.scalars(select(Team).where(Team.active.is_(True)))).all()
                 if (project := team_jira(t).project)]
    stored = 0
    for team, project in teams:
        for back in (1, 0):
            week = calendar.shift(calendar.current_week(services.clock.now(), team.timezone), -back)
            start, end = (b.astimezone(ZoneInfo(team.timezone)) for b in calendar.bounds(week, team.timezone))
            try:
                counts = await _week_counts(adapter, project, start, end)
            except Exception:  # Jira down or refusing: keep last good numbers
                log.warning("weekly Jira counts not available", extra={"team": team.key})
                continue
            await _store_week(services, team.id, calendar.monday(week), counts)
            stored += 1
    return stored


async def _week_counts(adapter: JiraAdapter, project: str, start: datetime, end: datetime) -> tuple[int, int, int]:
    p = jql_string(project)
    s, e = adapter.jql_time(start), adapter.jql_time(end)
    created = await adapter.count(f"project = {p} AND created >= {s} AND created < {e}")
    resolved = await adapter.count(f"project = {p} AND resolutiondate >= {s} AND resolutiondate < {e}")
    overdue = 0
    open_at_end = f"project = {p} AND created < {e} AND (resolution IS EMPTY OR resolutiondate >= {e})"
    async for page in adapter.search(open_at_end, fields=("duedate",)):
        overdue += sum(1 for i in page if i.due is not None and i.due < end.date())
    return created, resolved, overdue


async def _store_week(services: Services, team_id: int, monday: date, counts: tuple[int, int, int]) -> None:
    created, resolved, overdue = counts
    now = services.clock.now()
    values = {"created": created, "resolved": resolved, "overdue": overdue, "computed_at": now}
    async with services.sessions.begin() as session:  # inserted, or updated if another instance was first
        await upsert(session, JiraWeeklyStats, {"team_id": team_id, "week_start": monday, **values},
                     ("team_id", "week_start"), tuple(values))
