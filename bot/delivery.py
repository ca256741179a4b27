"""Send a message at most once per key, even across crashes and several instances.

1. Claim: insert the key as `sending` (the primary key makes one instance win; a lost claim is no error).
2. Send with message metadata carrying the key (`event_type: oneteam_delivery`).
3. Mark `sent` with the ts Slack answered.
Every post takes its turn in its channel's queue (`bot.pacing.channel_pacer`): whichever features post into
one team channel, together they stay within Slack's one message per second per channel; and then a token of
the workspace's budget (`bot.pacing.workspace_posts`): together all posts stay below the workspace's cap.
The claim is a lease: the sender renews it while the send is in flight. A claim left `sending` and not renewed
for `LEASE` belongs to an instance that died mid-send: the next attempt looks for the metadata in the
conversation's recent history (for a thread reply, in the thread: `conversations.history` does not list
replies) and only sends if absent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.pacing import channel_pacer, workspace_posts
from bot.services import Services
from storage.models import Delivery
from storage.rows import rowcount
from storage.upsert import insert_once

log = logging.getLogger("oneteam.delivery")
EVENT_TYPE = "oneteam_delivery"
LEASE = timedelta(seconds=15)
"""How long a `sending` claim holds without renewal. Its sender renews it every `RENEW_EVERY` for as long as
the send takes (Slack's 429 retries can take minutes), so an older claim is a dead process's, and the work
resumes after a crash as soon as a follower takes over the clock (`LEADER_RETRY_SECONDS`, 15 s)."""
RENEW_EVERY = LEASE / 3  # two renewals may be late (a busy loop, a slow database) before the claim is lost
HISTORY_PAGES = 3


@dataclass(frozen=True)
class Sent:
    key: str
    channel: str
    ts: str
    fresh: bool  # False when it had already been sent earlier


async def held_elsewhere(services: Services, keys: Sequence[str]) -> bool:
    """Whether another sender holds the claim of one of `keys` (sending now, or a dead process's claim whose
    lease has not run out): what must go out before anything that follows it."""
    if not keys:
        return False
    async with services.sessions() as session:
        held = await session.scalar(select(Delivery.key).where(
            Delivery.key.in_(keys), Delivery.state == "sending",
            Delivery.claimed_at > services.clock.now() - LEASE).limit(1))
    return held is not None


@dataclass
class _Claim:
    key: str
    at: datetime  # claimed_at as this sender last wrote it


async def deliver_once(services: Services, key: str, channel: str, *, text: str,
                       blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None) -> Sent | None:
    """Posts the message unless `key` was already delivered; None when another instance is sending it."""
    now = services.clock.now()
    async with services.sessions.begin() as session:
        won = await insert_once(session, Delivery, {"key": key, "channel": channel, "state": "sending",
                                                    "claimed_at": now})
    if not won:
        return await _resume(services, key, channel, text=text, blocks=blocks, thread_ts=thread_ts)
    return await _send(services, _Claim(key, now), channel, text=text, blocks=blocks, thread_ts=thread_ts)


@contextlib.asynccontextmanager
async def _held(services: Services, claim: _Claim) -> AsyncIterator[None]:
    """Renews the claim while the block runs, so that no one takes over a send that is only slow."""
    done = asyncio.Event()
    renewing = asyncio.create_task(_renew(services, claim, done))
    try:
        yield
    finally:
        # Told, then cancelled: a cancellation can be lost (Python 3.11's `asyncio.wait_for` returns the result
        # when what it waited for completes just as it is cancelled), and a renewal that went on would hold
        # this exit, and the message's "sent", for as long as it kept renewing (seen in bench/soak.py).
        done.set()
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing


async def _renew(services: Services, claim: _Claim, done: asyncio.Event) -> None:
    while not done.is_set():
        await services.clock.sleep(RENEW_EVERY.total_seconds())
        if done.is_set():
            return
        now = services.clock.now()
        try:
            async with services.sessions.begin() as session:
                renewed = await session.execute(update(Delivery).where(
                    Delivery.key == claim.key, Delivery.state == "sending", Delivery.claimed_at == claim.at,
                ).values(claimed_at=now))
        except SQLAlchemyError:
            log.warning("could not renew a delivery's claim", extra={"key": claim.key})
            continue
        if rowcount(renewed) != 1:
            return  # sent, or (after renewals failed for a whole lease) taken over
        claim.at = now


async def _send(services: Services, claim: _Claim, channel: str, **message: Any) -> Sent:
    try:
        async with _held(services, claim), channel_pacer(services).turn(channel):
            await workspace_posts(services).wait()  # inside the turn: the token is spent when the call goes
            resp = await services.slack.chat_postMessage(
                channel=channel, metadata={"event_type": EVENT_TYPE, "event_payload": {"key": claim.key}},
                **{k: v for k, v in message.items() if v is not None})
    except Exception:
        # Not sent as far as we know: release the claim so that a later attempt retries it.
        async with services.sessions.begin() as session:
            await session.execute(update(Delivery).where(Delivery.key == claim.key, Delivery.state == "sending")
                                  .values(claimed_at=services.clock.now() - LEASE * 2))
        raise
    await _mark_sent(services, claim.key, resp["channel"], resp["ts"])
    return Sent(claim.key, resp["channel"], resp["ts"], fresh=True)


async def _mark_sent(services: Services, key: str, message_channel: str, ts: str) -> None:
    async with services.sessions.begin() as session:
        await session.execute(update(Delivery).where(Delivery.key == key).values(
            state="sent", sent_at=services.clock.now(), message_channel=message_channel, ts=ts))


async def _resume(services: Services, key: str, channel: str, **message: Any) -> Sent | None:
    now = services.clock.now()
    async with services.sessions.begin() as session:
        row = await session.get(Delivery, key, with_for_update=True)
        if row is None:  # cannot happen: rows are never deleted
            return None
        if row.state == "sent":
            return Sent(key, row.message_channel or channel, row.ts or "", fresh=False)
        if now - row.claimed_at < LEASE:
            return None  # someone is sending it right now
        # Take over the stale claim (a compare-and-set on claimed_at keeps two instances from both taking it).
        taken = await session.execute(update(Delivery).where(
            Delivery.key == key, Delivery.state == "sending", Delivery.claimed_at == row.claimed_at
        ).values(claimed_at=now))
        if rowcount(taken) != 1:
            return None
    claim = _Claim(key, now)
    async with _held(services, claim):  # the history can be slow to read at Slack's limits
        found = await _find_sent(services, key, channel, message.get("thread_ts"))
    if found is not None:
        await _mark_sent(services, key, *found)
        log.info("delivery found after a crash; not sent again", extra={"key": key})
        return Sent(key, found[0], found[1], fresh=False)
    return await _send(services, claim, channel, **message)


async def _find_sent(services: Services, key: str, channel: str, thread_ts: str | None) -> tuple[str, str] | None:
    """Looks for our metadata in the conversation's recent history, or in the thread for a reply
    (a DM is opened from a user id)."""
    conv = channel
    if channel.startswith(("U", "W")):
        conv = (await services.slack.conversations_open(users=channel))["channel"]["id"]
    cursor = None
    for _ in range(HISTORY_PAGES):
        if thread_ts:
            resp = await services.slack.conversations_replies(channel=conv, ts=thread_ts, include_all_metadata=True,
                                                              limit=200, cursor=cursor)
        else:
            resp = await services.slack.conversations_history(channel=conv, include_all_metadata=True, limit=100,
                                                              cursor=cursor)
        messages: list[dict[str, Any]] = resp.get("messages", [])
        for message in messages:
            meta = message.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("key") == key:
                return conv, message["ts"]
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return None
