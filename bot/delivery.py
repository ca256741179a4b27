"""Send a message at most once per key, even across crashes and several instances.

1. Claim: insert the key as `sending` (the primary key makes one instance win).
2. Send with message metadata carrying the key (`event_type: oneteam_delivery`).
3. Mark `sent` with the ts Slack answered.
A claim left `sending` for longer than `STALE_AFTER` belongs to an instance that died mid-send: the
next attempt looks for the metadata in the conversation's recent history (for a thread reply, in the
thread: `conversations.history` does not list replies) and only sends if absent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.services import Services
from storage.models import Delivery
from storage.rows import rowcount

log = logging.getLogger("oneteam.delivery")
EVENT_TYPE = "oneteam_delivery"
STALE_AFTER = timedelta(minutes=2)
HISTORY_PAGES = 3


@dataclass(frozen=True)
class Sent:
    key: str
    channel: str
    ts: str
    fresh: bool  # False when it had already been sent earlier


async def deliver_once(services: Services, key: str, channel: str, *, text: str,
                       blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None) -> Sent | None:
    """Posts the message unless `key` was already delivered; None when another instance is sending it."""
    now = services.clock.now()
    try:
        async with services.sessions.begin() as session:
            session.add(Delivery(key=key, channel=channel, state="sending", claimed_at=now))
    except IntegrityError:
        return await _resume(services, key, channel, text=text, blocks=blocks, thread_ts=thread_ts)
    return await _send(services, key, channel, text=text, blocks=blocks, thread_ts=thread_ts)


async def _send(services: Services, key: str, channel: str, **message: Any) -> Sent:
    try:
        resp = await services.slack.chat_postMessage(
            channel=channel, metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key}},
            **{k: v for k, v in message.items() if v is not None})
    except Exception:
        # Not sent as far as we know: release the claim so that a later attempt retries it.
        async with services.sessions.begin() as session:
            await session.execute(update(Delivery).where(Delivery.key == key, Delivery.state == "sending")
                                  .values(claimed_at=services.clock.now() - STALE_AFTER * 2))
        raise
    await _mark_sent(services, key, resp["channel"], resp["ts"])
    return Sent(key, resp["channel"], resp["ts"], fresh=True)


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
        if now - row.claimed_at < STALE_AFTER:
            return None  # someone is sending it right now
        # Take over the stale claim (a compare-and-set on claimed_at keeps two instances from both taking it).
        taken = await session.execute(update(Delivery).where(
            Delivery.key == key, Delivery.state == "sending", Delivery.claimed_at == row.claimed_at
        ).values(claimed_at=now))
        if rowcount(taken) != 1:
            return None
    found = await _find_sent(services, key, channel, message.get("thread_ts"))
    if found is not None:
        await _mark_sent(services, key, *found)
        log.info("delivery found after a crash; not sent again", extra={"key": key})
        return Sent(key, found[0], found[1], fresh=False)
    return await _send(services, key, channel, **message)


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
