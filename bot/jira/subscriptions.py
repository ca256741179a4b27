"""`/oneteam jira subscribe <project or JQL> [created|transitioned|commented]`: Jira changes posted to a team's
channel. Only internal liaisons and managers of the channel's team (the permission table) add or remove them.

The pull sync runs them (same lease, same schedule): issues matching the JQL and updated since the
subscription's watermark are read; a new issue (created after subscribing), a status that differs from the
one last seen, and people's comments are posted, each once (the delivery ledger keys them). The JQL is
Jira's to filter; the kinds are ours.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import select

from bot.blocks import Mrkdwn
from bot.blocks import link as link_to
from bot.delivery import deliver_once
from bot.errors import UserFacingError
from bot.i18n import Translator
from bot.jira.adapter import IssueState, JiraAdapter, JiraRejected, JiraUnavailable, jql_string
from bot.permissions import Action, Actor, Subject, authorize, identify
from bot.services import Services
from storage.models import JiraSubscription, Team
from storage.rows import existing

log = logging.getLogger("oneteam.jira")
KINDS = ("created", "transitioned", "commented")
PROJECT = re.compile(r"^[A-Z][A-Z0-9_]{1,9}$")
SEEN_MAX = 1000  # statuses remembered per subscription (to tell a transition from another edit)
OVERLAP = timedelta(minutes=1)  # JQL dates have minute precision
JQL_MAX = 1000


async def command(services: Services, actor: Actor, channel_id: str, words: list[str], t: Translator) -> Mrkdwn:
    """`subscribe ...`, `subscriptions`, `unsubscribe <n>`; anything else answers the usage."""
    verb = words[0].lower() if words else ""
    if verb == "subscribe" and len(words) > 1:
        return await subscribe(services, actor, channel_id, words[1:], t)
    if verb == "subscriptions" and len(words) == 1:
        return await listing(services, channel_id, t)
    if verb == "unsubscribe" and len(words) == 2:
        return await unsubscribe(services, actor, channel_id, words[1], t)
    raise UserFacingError("jira.subscriptions.usage")


async def _team_of(services: Services, actor: Actor, channel_id: str) -> Team:
    """The channel's team, once the actor is allowed to change its subscriptions."""
    async with services.sessions() as session:
        member = await identify(session, actor)
        team = await session.scalar(select(Team).where(Team.channel_id == channel_id, Team.active.is_(True)))
        if team is None:
            raise UserFacingError("jira.subscriptions.no_team")
        authorize(member, Action.JIRA_SUBSCRIBE, Subject(team_id=team.id), connect=actor.external)
        return team


def _parse(words: list[str]) -> tuple[str, list[str]]:
    kinds: list[str] = []
    while words and words[-1].lower() in KINDS:
        kinds.insert(0, words.pop().lower())
    query = " ".join(words).strip()
    if not query or len(query) > JQL_MAX:
        raise UserFacingError("jira.subscriptions.usage")
    jql = f"project = {jql_string(query)}" if PROJECT.match(query) else query
    return jql, sorted(set(kinds or KINDS), key=KINDS.index)


async def subscribe(services: Services, actor: Actor, channel_id: str, words: list[str], t: Translator) -> Mrkdwn:
    adapter = services.extras.get("jira")
    if adapter is None:
        raise UserFacingError("jira.errors.disabled")
    team = await _team_of(services, actor, channel_id)
    jql, kinds = _parse(list(words))
    seen: dict[str, str] = {}
    try:  # checks the JQL, and remembers the statuses transitions are told from
        async for page in adapter.search(f"({jql}) ORDER BY updated DESC", fields=("status", "updated")):
            seen.update({i.key: i.status for i in page})
            if len(seen) >= SEEN_MAX:
                break
    except JiraRejected:
        raise UserFacingError("jira.subscriptions.bad_query") from None
    except JiraUnavailable:
        log.warning("jira subscription saved without a baseline", extra={"reason": "jira unavailable"})
    now = services.clock.now()
    async with services.sessions.begin() as session:
        sub = JiraSubscription(team_id=team.id, channel_id=channel_id, jql=jql, kinds=kinds,
                               created_by=actor.slack_id, created_at=now, watermark=now, seen=seen)
        session.add(sub)
        await session.flush()
        sub_id = sub.id
    return t("jira.subscriptions.added", what=jql, kinds=", ".join(kinds), id=sub_id)


async def listing(services: Services, channel_id: str, t: Translator) -> Mrkdwn:
    async with services.sessions() as session:
        subs = (await session.scalars(select(JiraSubscription).where(JiraSubscription.channel_id == channel_id)
                                      .order_by(JiraSubscription.id))).all()
    if not subs:
        return t("jira.subscriptions.none")
    lines = [t("jira.subscriptions.line", id=s.id, what=s.jql, kinds=", ".join(s.kinds)) for s in subs]
    return Mrkdwn("\n").join([t("jira.subscriptions.listing"), *lines])


async def unsubscribe(services: Services, actor: Actor, channel_id: str, number: str, t: Translator) -> Mrkdwn:
    team = await _team_of(services, actor, channel_id)
    async with services.sessions.begin() as session:
        sub = await session.get(JiraSubscription, int(number)) if number.isdigit() else None
        if sub is None or sub.channel_id != channel_id or sub.team_id != team.id:
            raise UserFacingError("jira.subscriptions.not_found", id=number)
        await session.delete(sub)
    return t("jira.subscriptions.removed", id=number)


# --- the poll ------------------------------------------------------------------------------------------------

async def tick(services: Services, adapter: JiraAdapter) -> int:
    """Runs every subscription; returns how many messages were posted."""
    async with services.sessions() as session:
        ids = (await session.scalars(select(JiraSubscription.id).order_by(JiraSubscription.id))).all()
    posted = 0
    for sub_id in ids:
        try:
            posted += await _run(services, adapter, sub_id)
        except (JiraUnavailable, JiraRejected) as e:  # the next tick tries again from the same watermark
            log.warning("jira subscription not run", extra={"subscription": sub_id, "reason": e.reason})
    return posted


async def _run(services: Services, adapter: JiraAdapter, sub_id: int) -> int:
    async with services.sessions() as session:
        sub = await session.get(JiraSubscription, sub_id)
        if sub is None:
            return 0
        team = await existing(session, Team, sub.team_id)
    t = services.t(team.locale)
    since = sub.watermark or sub.created_at
    newest, seen, posted = since, dict(sub.seen or {}), 0
    jql = f"({sub.jql}) AND updated >= {adapter.jql_time(since - OVERLAP)} ORDER BY updated ASC"
    async for page in adapter.search(jql):
        for issue in page:
            for key, text in await _news(adapter, sub, issue, seen.get(issue.key), t):
                posted += await _post(services, sub, key, text)
            seen.pop(issue.key, None)
            seen[issue.key] = issue.status  # newest last: the oldest are forgotten first
            newest = max(newest, issue.updated)
    while len(seen) > SEEN_MAX:
        seen.pop(next(iter(seen)))
    async with services.sessions.begin() as session:
        fresh = await session.get(JiraSubscription, sub_id)
        if fresh is not None:
            fresh.watermark, fresh.seen = newest, seen
    return posted


async def _news(adapter: JiraAdapter, sub: JiraSubscription, issue: IssueState, before: str | None,
                t: Translator) -> list[tuple[str, Mrkdwn]]:
    """What this version of the issue tells the channel, each with its once-only key."""
    ref = link_to(adapter.browse_url(issue.key), issue.key)
    out: list[tuple[str, Mrkdwn]] = []
    if before is None and "created" in sub.kinds and issue.created and issue.created >= sub.created_at:
        out.append((f"created:{issue.key}", t("jira.subscriptions.created", issue=ref, summary=issue.summary)))
    if before is not None and before != issue.status and "transitioned" in sub.kinds:
        out.append((f"moved:{issue.key}:{issue.updated.isoformat()}", t(
            "jira.subscriptions.transitioned", issue=ref, old=before, new=issue.status, summary=issue.summary)))
    if "commented" in sub.kinds:
        floor = max(sub.created_at, (sub.watermark or sub.created_at) - OVERLAP)
        for c in reversed(await adapter.recent_comments(issue.key)):
            if c.author_id in adapter.me or c.created is None or c.created < floor or not c.text.strip():
                continue
            out.append((f"comment:{c.id}", t("jira.subscriptions.commented", who=c.author_name or "?", issue=ref,
                                             text=c.text.strip())))
    return out


async def _post(services: Services, sub: JiraSubscription, key: str, text: str) -> int:
    try:
        sent = await deliver_once(services, f"jira-sub:{sub.id}:{key}", sub.channel_id, text=text)
    except Exception:
        log.exception("could not post a Jira subscription update", extra={"subscription": sub.id})
        return 0
    return 1 if sent is not None else 0
