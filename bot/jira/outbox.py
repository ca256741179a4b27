"""The durable queue of Jira writes: nothing is lost while Jira is down, rate-limited or slow.

A write is a row first (`pending`, due at `next_at`). Whoever runs it claims it with a conditional UPDATE
(pending and due, or `running` with an expired lease: its runner died), so two instances or a restart never
run it twice at once. Failures that may pass (429, 5xx, timeout, no connection) go back to `pending` with
exponential backoff, never sooner than `Retry-After`; Jira saying no (4xx) makes it `failed` until an admin
retries or drops it (`oneteam jira retry|drop`).

Creates are made idempotent with OneTeam's id on the issue: a create that was attempted before (and may
have reached Jira even though we saw a timeout) is looked up by that id before being sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from bot.jira.adapter import IssueDraft, IssueRef, JiraAdapter, JiraRejected, JiraUnavailable
from bot.services import Services
from storage.models import JiraLink, JiraOutboxItem
from storage.rows import existing, rowcount

log = logging.getLogger("oneteam.jira")
LEASE = timedelta(minutes=2)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
BATCH = 50


BACKOFF_DOUBLINGS = 7  # 30 s * 2**7 > one hour: no larger exponent can matter


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour. The exponent is capped first: a week of Jira outage
    (hundreds of attempts) would otherwise overflow `timedelta`."""
    doublings = min(max(attempts - 1, 0), BACKOFF_DOUBLINGS)
    return min(BACKOFF_BASE * 2 ** doublings, BACKOFF_MAX)


def adapter_of(services: Services) -> JiraAdapter | None:
    return services.extras.get("jira")


def spawn(services: Services, coro: Coroutine[Any, Any, Any]) -> None:
    """Runs Jira work after the caller returns (a Slack listener must not wait on Jira); `drain` awaits it."""
    tasks: set[asyncio.Task] = services.extras.setdefault("jira_tasks", set())
    task = asyncio.get_running_loop().create_task(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def drain(services: Services) -> None:
    """Waits for background Jira work (tests, the demo, a clean stop)."""
    tasks: set[asyncio.Task] = services.extras.get("jira_tasks", set())
    while tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)


def enqueue(session: Any, link: JiraLink, op: str, payload: dict[str, Any], now: datetime) -> JiraOutboxItem:
    item = JiraOutboxItem(link_id=link.id, op=op, payload=payload, state="pending", attempts=0, next_at=now,
                          created_at=now)
    session.add(item)
    return item


async def queue_change(services: Services, link: JiraLink, payload: dict[str, Any]) -> None:
    """Queues a comment and/or transition for the link's ticket and starts it now; `tick` retries it while Jira
    is away. Escalation changes (service.py) and "Send to Jira" (shortcuts.py) both go this way."""
    async with services.sessions.begin() as session:
        item = enqueue(session, link, "transition", payload, services.clock.now())
        await session.flush()
        item_id = item.id
    spawn(services, process(services, item_id))


async def tick(services: Services) -> int:
    """Runs every due write; returns how many were attempted."""
    if adapter_of(services) is None:
        return 0
    now = services.clock.now()
    async with services.sessions() as session:
        ids = (await session.scalars(select(JiraOutboxItem.id).where(_due(now)).order_by(JiraOutboxItem.id)
                                     .limit(BATCH))).all()
    done = 0
    for item_id in ids:
        try:
            done += await process(services, item_id)
        except Exception:  # one item's trouble (e.g. telling Slack) must not hold back the rest of the batch
            log.exception("jira outbox item failed", extra={"item": item_id})
            done += 1
    return done


def _due(now: datetime) -> Any:
    """Due, and first in its ticket's queue: a transition waits for the create and for earlier changes
    (also while they wait on backoff or on an admin), so a ticket sees the changes in the order made."""
    earlier = aliased(JiraOutboxItem)
    waiting = exists().where(earlier.link_id == JiraOutboxItem.link_id, earlier.id < JiraOutboxItem.id,
                             earlier.state.in_(("pending", "running", "failed")))
    return and_(or_(and_(JiraOutboxItem.state == "pending", JiraOutboxItem.next_at <= now),
                    and_(JiraOutboxItem.state == "running", JiraOutboxItem.lease_until < now)), ~waiting)


async def process(services: Services, item_id: int) -> int:
    """Claims and runs one write; 0 when someone else has it or it is not due."""
    adapter = adapter_of(services)
    if adapter is None:
        return 0
    now = services.clock.now()
    async with services.sessions.begin() as session:
        claimed = await session.execute(
            update(JiraOutboxItem).where(JiraOutboxItem.id == item_id, _due(now))
            .values(state="running", lease_until=now + LEASE, attempts=JiraOutboxItem.attempts + 1))
        if rowcount(claimed) != 1:
            return 0
        item = await existing(session, JiraOutboxItem, item_id)
        link = await existing(session, JiraLink, item.link_id)
    from bot.jira import service  # the flows that tell Slack and the other features

    if item.op != "create":
        return await _change(services, adapter, item, link)
    try:
        ref = await _create(adapter, item, link)
    except JiraUnavailable as e:
        wait = max(backoff(item.attempts), timedelta(seconds=e.retry_after or 0))
        await _finish(services, item_id, state="pending", next_at=services.clock.now() + wait, last_error=e.reason)
        log.warning("jira write deferred", extra={"item": item_id, "reason": e.reason, "attempts": item.attempts,
                                                  "retry_in_s": int(wait.total_seconds())})
        await service.on_pending(services, link.id, item_id)
        return 1
    except JiraRejected as e:
        await _finish(services, item_id, state="failed", last_error=e.reason)
        log.error("jira refused a write", extra={"item": item_id, "reason": e.reason})
        await service.on_failed(services, link.id, item_id, e.reason)
        return 1
    except Exception as e:  # a bug or an answer we did not expect: retried later, never left `running`
        wait = backoff(item.attempts)
        await _finish(services, item_id, state="pending", next_at=services.clock.now() + wait,
                      last_error=type(e).__name__)
        log.error("jira write failed unexpectedly; retried later", exc_info=e,
                  extra={"item": item_id, "attempts": item.attempts, "retry_in_s": int(wait.total_seconds())})
        return 1
    await _finish(services, item_id, state="done", done_at=services.clock.now(), last_error=None)
    log.info("jira issue linked", extra={"item": item_id, "jira_key": ref.key})
    await service.on_created(services, adapter, link.id, ref)
    return 1 + await _next_of(services, link.id)


async def _change(services: Services, adapter: JiraAdapter, item: JiraOutboxItem, link: JiraLink) -> int:
    """A change to an existing ticket (`transition`: comment + status). When it is done, the next write of
    the same ticket is run at once: a queue held up by an outage drains in order when Jira is back."""
    from bot.jira import service

    try:
        outcome = await service.follow(services, adapter, item, link)
    except JiraUnavailable as e:
        wait = max(backoff(item.attempts), timedelta(seconds=e.retry_after or 0))
        await _finish(services, item.id, state="pending", next_at=services.clock.now() + wait, last_error=e.reason)
        log.warning("jira write deferred", extra={"item": item.id, "reason": e.reason, "attempts": item.attempts,
                                                  "retry_in_s": int(wait.total_seconds())})
        return 1
    except JiraRejected as e:
        await _finish(services, item.id, state="failed", last_error=e.reason)
        log.error("jira refused a write", extra={"item": item.id, "reason": e.reason})
        await service.on_follow_failed(services, link.id, item.id, e.reason)
        return 1
    except Exception as e:  # a bug or an answer we did not expect: retried later, never left `running`
        wait = backoff(item.attempts)
        await _finish(services, item.id, state="pending", next_at=services.clock.now() + wait,
                      last_error=type(e).__name__)
        log.error("jira write failed unexpectedly; retried later", exc_info=e,
                  extra={"item": item.id, "attempts": item.attempts, "retry_in_s": int(wait.total_seconds())})
        return 1
    await _finish(services, item.id, state=outcome, done_at=services.clock.now(), last_error=None)
    log.info("jira ticket followed", extra={"item": item.id, "outcome": outcome})
    return 1 + await _next_of(services, link.id)


async def _next_of(services: Services, link_id: int) -> int:
    """Runs the ticket's next queued write now, if it is due (it was waiting behind the one just done)."""
    async with services.sessions() as session:
        following = await session.scalar(select(JiraOutboxItem.id).where(
            JiraOutboxItem.link_id == link_id, JiraOutboxItem.state == "pending").order_by(JiraOutboxItem.id).limit(1))
    return 0 if following is None else await process(services, following)


async def _create(adapter: JiraAdapter, item: JiraOutboxItem, link: JiraLink) -> IssueRef:
    if item.attempts > 1:
        found = await adapter.find_by_oneteam_id(link.oneteam_id)
        if found is not None:
            log.info("jira issue found from an earlier attempt; not created again", extra={"item": item.id})
            return found
    return await adapter.create_issue(IssueDraft(**_draft_args(item.payload)), link.oneteam_id)


def _draft_args(payload: dict[str, Any]) -> dict[str, Any]:
    args = dict(payload)
    args["labels"] = tuple(args.get("labels") or ())
    return args


async def _finish(services: Services, item_id: int, **values: Any) -> None:
    async with services.sessions.begin() as session:
        await session.execute(update(JiraOutboxItem).where(JiraOutboxItem.id == item_id)
                              .values(lease_until=None, **values))


# --- admin (CLI) ---------------------------------------------------------------------------------------------

async def listing(services: Services) -> Sequence[tuple[JiraOutboxItem, JiraLink]]:
    async with services.sessions() as session:
        rows = await session.execute(
            select(JiraOutboxItem, JiraLink).join(JiraLink, JiraLink.id == JiraOutboxItem.link_id)
            .where(JiraOutboxItem.state.in_(("pending", "running", "failed"))).order_by(JiraOutboxItem.id))
        return [(i, lk) for i, lk in rows.all()]


async def retry(services: Services, item_ids: Sequence[int] | None) -> list[int]:
    """Makes failed or waiting writes due now (all of them when `item_ids` is None)."""
    now = services.clock.now()
    cond: ColumnElement[bool] = JiraOutboxItem.state.in_(("pending", "failed"))
    if item_ids is not None:
        cond = and_(cond, JiraOutboxItem.id.in_(item_ids))
    async with services.sessions.begin() as session:
        ids = list((await session.scalars(select(JiraOutboxItem.id).where(cond))).all())
        if ids:
            await session.execute(update(JiraOutboxItem).where(JiraOutboxItem.id.in_(ids), cond)
                                  .values(state="pending", next_at=now))
            links = select(JiraOutboxItem.link_id).where(JiraOutboxItem.id.in_(ids))
            await session.execute(update(JiraLink).where(JiraLink.id.in_(links), JiraLink.state == "failed")
                                  .values(state="pending"))
    return ids


async def drop(services: Services, item_ids: Sequence[int]) -> list[int]:
    """An admin gives up on writes: they are never tried again, and their links read `dropped`."""
    cond = and_(JiraOutboxItem.id.in_(item_ids), JiraOutboxItem.state.in_(("pending", "failed", "running")))
    async with services.sessions.begin() as session:
        ids = list((await session.scalars(select(JiraOutboxItem.id).where(cond))).all())
        if ids:
            await session.execute(update(JiraOutboxItem).where(JiraOutboxItem.id.in_(ids))
                                  .values(state="dropped", lease_until=None))
            links = select(JiraOutboxItem.link_id).where(JiraOutboxItem.id.in_(ids))
            await session.execute(update(JiraLink).where(JiraLink.id.in_(links), JiraLink.state != "linked")
                                  .values(state="dropped"))
    return ids
