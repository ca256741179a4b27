"""Pull sync: the safety net under webhooks. Fetches only linked issues updated since the last sync, all pages,
and applies each through `service.apply_issue` (which posts what changed).

JQL dates have minute precision, so the query starts one minute before the watermark (the newest `updated`
seen, or the last complete pass's start less a settling margin) and versions already applied are skipped by
`updated`. The watermark is saved after every page, so
a crash resumes where it stopped. A lease row keeps two instances from syncing at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from bot.jira import outbox, service, subscriptions
from bot.jira.adapter import PROPERTY, IssueState, JiraAdapter
from bot.services import Services
from storage.models import JiraLink, JiraSyncState
from storage.rows import rowcount
from storage.upsert import insert_once

log = logging.getLogger("oneteam.jira")
NAME = "pull"
LEASE = timedelta(minutes=10)
OVERLAP = timedelta(minutes=1)
# After a complete pass, everything updated before (start - SETTLE) has been seen, even if no issue changed
# lately: the watermark moves up to there, so quiet periods do not make the next query reach far back.
# SETTLE covers search-index lag and a Jira clock a little behind ours.
SETTLE = timedelta(minutes=2)
LINKED = f"(issue.property[{PROPERTY}].id IS NOT EMPTY OR labels = oneteam)"


@dataclass
class SyncReport:
    pages: int = 0
    issues: int = 0
    applied: int = 0


def sync_jql(adapter: JiraAdapter, watermark: datetime | None) -> str:
    where = LINKED
    if watermark is not None:
        since = (watermark - OVERLAP).replace(second=0, microsecond=0)
        where += f" AND updated >= {adapter.jql_time(since)}"
    return where + " ORDER BY updated ASC, key ASC"


async def tick(services: Services) -> SyncReport | None:
    """The scheduled sync; None when Jira is off or another instance holds the lease."""
    adapter = outbox.adapter_of(services)
    if adapter is None or not await _claim(services):
        return None
    try:
        report = await sync_once(services, adapter)
        await subscriptions.tick(services, adapter)  # channels' subscriptions, under the same lease
        return report
    finally:
        async with services.sessions.begin() as session:
            await session.execute(update(JiraSyncState).where(JiraSyncState.name == NAME)
                                  .values(lease_until=None, last_run_at=services.clock.now()))


async def _claim(services: Services) -> bool:
    now = services.clock.now()
    async with services.sessions.begin() as session:
        if await session.get(JiraSyncState, NAME) is None:
            await insert_once(session, JiraSyncState, {"name": NAME})
    async with services.sessions.begin() as session:
        got = await session.execute(update(JiraSyncState).where(
            JiraSyncState.name == NAME, or_(JiraSyncState.lease_until.is_(None), JiraSyncState.lease_until < now),
        ).values(lease_until=now + LEASE))
        return rowcount(got) == 1


async def sync_once(services: Services, adapter: JiraAdapter) -> SyncReport:
    async with services.sessions() as session:
        state = await session.get(JiraSyncState, NAME)
        watermark = state.watermark if state else None
    report = SyncReport()
    started = services.clock.now()
    async for page in adapter.search(sync_jql(adapter, watermark)):
        report.pages += 1
        report.issues += len(page)
        report.applied += await _apply_page(services, page)
        newest = max(i.updated for i in page)
        if watermark is None or newest > watermark:
            watermark = newest
            async with services.sessions.begin() as session:
                await session.execute(update(JiraSyncState).where(JiraSyncState.name == NAME)
                                      .values(watermark=watermark))
    if watermark is None or started - SETTLE > watermark:
        watermark = started - SETTLE
        async with services.sessions.begin() as session:
            await session.execute(update(JiraSyncState).where(JiraSyncState.name == NAME).values(watermark=watermark))
    log.info("jira sync", extra={"pages": report.pages, "issues": report.issues, "applied": report.applied})
    return report


async def _apply_page(services: Services, page: list[IssueState]) -> int:
    """One query finds the page's links; only versions newer than the stored one are applied."""
    async with services.sessions() as session:
        rows = (await session.execute(select(JiraLink.id, JiraLink.jira_id, JiraLink.jira_updated).where(
            JiraLink.jira_id.in_([i.id for i in page])))).all()
    known = {jira_id: (link_id, updated) for link_id, jira_id, updated in rows}
    applied = 0
    first_seen = [(known[i.id][0], i) for i in page if i.id in known and known[i.id][1] is None]
    if first_seen:  # baselines: nothing to announce, so one transaction for the page
        async with services.sessions.begin() as session:
            for link_id, issue in first_seen:
                done = await session.execute(update(JiraLink).where(
                    JiraLink.id == link_id, JiraLink.jira_updated.is_(None)).values(**service.issue_values(issue)))
                applied += rowcount(done)
    for issue in page:
        hit = known.get(issue.id)
        if hit is None or hit[1] is None or issue.updated <= hit[1]:
            continue
        applied += await service.apply_issue(services, hit[0], issue)
    return applied


async def refresh(services: Services, link_id: int) -> bool:
    """Re-reads one linked issue (a webhook's hint) and applies it."""
    adapter = outbox.adapter_of(services)
    async with services.sessions() as session:
        link = await session.get(JiraLink, link_id)
    if adapter is None or link is None or not link.jira_key:
        return False
    return await service.apply_issue(services, link_id, await adapter.get_issue(link.jira_key))
