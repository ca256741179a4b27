"""Jira rules: which escalation or blocker gets a ticket, what the ticket says, what Slack is told when it is
created, pending, refused or changed in Jira; members' open issues; weekly counts for KPIs.

Other features are never imported: Jira reads what it may ticket through the providers they register
(`services.metrics.escalation_access`, `.blocker`) and tells them what happened with events
(`JiraIssueLinked`, `JiraIssueDone`, ...) that they subscribe to (bot/wiring.py).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import calendar
from bot.blocks import Mrkdwn
from bot.blocks import link as link_to
from bot.delivery import deliver_once
from bot.errors import UserFacingError
from bot.events import (
    ActionItemTicketWanted,
    BlockerReported,
    EscalationRaised,
    JiraIssueDone,
    JiraIssueLinked,
    JiraLinked,
    JiraPending,
    JiraUpdated,
)
from bot.i18n import Translator
from bot.jira import outbox
from bot.jira.adapter import IssueRef, IssueState, JiraAdapter, jql_string
from bot.jira.config import JiraConfig
from bot.metrics import BlockerInfo, JiraMetrics, OpenIssue
from bot.permissions import Action, Actor, identify
from bot.services import Services
from bot.settings import secret_value
from storage.models import Delivery, JiraLink, JiraWeeklyStats, Team
from storage.org import team_by_key
from storage.rows import existing, rowcount

log = logging.getLogger("oneteam.jira")


def team_jira(team: Team) -> JiraConfig:
    return JiraConfig.model_validate((team.config or {}).get("jira") or {})


def team_t(services: Services, team: Team) -> Translator:
    return services.t(team.locale)


_ID_PREFIX = {"escalation": "esc", "blocker": "blk", "action_item": "act"}  # ids of different origins never meet


def oneteam_id(services: Services, origin: str, origin_id: int) -> str:
    """Unique across OneTeam installs sharing a Jira site (the install is named by a hash of its secret)."""
    install = hashlib.sha256((secret_value(services.settings.secret) or "oneteam").encode()).hexdigest()[:6]
    return f"{install}-{_ID_PREFIX[origin]}-{origin_id}"


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
    if issue.status_category == "done" and before[3] != "done":
        await _resolved_in_jira(services, link, team, issue, t)
    return True


async def _resolved_in_jira(services: Services, link: JiraLink, team: Team, issue: IssueState, t: Translator) -> None:
    """Status category, not status name: "Done", "Closed", "Erledigt" all mean done."""
    if link.origin != "escalation" or not link.origin_ref or not team_jira(team).resolve_escalation:
        return
    note = t.plain("jira.thread.resolved_note", issue=issue.key, resolution=issue.resolution or issue.status)
    await services.events.publish(JiraIssueDone(link.origin_ref, note))  # escalations resolve it


# --- members' open issues (check-in prompt) -------------------------------------------------------------------

async def open_issues_for(services: Services, email: str, limit: int = 10) -> list[OpenIssue]:
    """A member's open Jira issues, matched by email; [] when Jira is off, unknown or unreachable (a
    check-in prompt never waits for, or fails because of, Jira)."""
    adapter = outbox.adapter_of(services)
    if adapter is None or not email:
        return []
    try:
        user = await adapter.find_user(email)
        if user is None:
            return []
        jql = f"assignee = {jql_string(user)} AND statusCategory != Done ORDER BY updated DESC"
        async for page in adapter.search(jql, page_size=limit):
            return [OpenIssue(i.key, i.summary, i.status, adapter.browse_url(i.key), i.due) for i in page[:limit]]
    except Exception:
        log.warning("open issues not available", extra={"reason": "jira"})
    return []


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
    for _ in range(2):  # insert, or update when another instance inserted first
        try:
            async with services.sessions.begin() as session:
                done = await session.execute(update(JiraWeeklyStats).where(
                    JiraWeeklyStats.team_id == team_id, JiraWeeklyStats.week_start == monday).values(**values))
                if rowcount(done) == 0:
                    session.add(JiraWeeklyStats(team_id=team_id, week_start=monday, **values))
            return
        except IntegrityError:
            continue
