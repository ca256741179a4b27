"""Exactly-once sending across crashes and instances."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import event

from bot.delivery import EVENT_TYPE, LEASE, RENEW_EVERY, deliver_once
from sandbox.harness import Harness
from sandbox.slack.ratelimit import TIMEOUT
from storage.models import Delivery


async def test_the_same_key_is_sent_once(harness: Harness) -> None:
    sam = harness.user("sam@acme.example")
    first = await deliver_once(harness.services, "k1", sam, text="hello")
    again = await deliver_once(harness.services, "k1", sam, text="hello")
    assert first.fresh and not again.fresh and again.ts == first.ts
    assert [m.text for m in harness.sandbox.dms(sam)] == ["hello"]


async def test_a_second_attempt_is_no_database_error(harness: Harness) -> None:
    """A lost claim is decided by the server without an error (PostgreSQL logs each "duplicate key")."""
    svc, sam = harness.services, harness.user("sam@acme.example")
    errors: list[BaseException] = []
    event.listen(svc.db.engine.sync_engine, "handle_error", lambda ctx: errors.append(ctx.original_exception))
    await deliver_once(svc, "k0", sam, text="hello")
    again = await deliver_once(svc, "k0", sam, text="hello")
    assert again is not None and not again.fresh and errors == []


async def test_a_send_that_crashed_after_slack_took_it_is_not_repeated(harness: Harness) -> None:
    svc, sam = harness.services, harness.user("sam@acme.example")
    # The process died between chat.postMessage and marking the row sent:
    async with svc.sessions.begin() as session:
        session.add(Delivery(key="k2", channel=sam, state="sending", claimed_at=svc.clock.now()))
    await svc.slack.chat_postMessage(channel=sam, text="prompt",
                                     metadata={"event_type": EVENT_TYPE, "event_payload": {"key": "k2"}})
    assert await deliver_once(svc, "k2", sam, text="prompt") is None  # claim is fresh: someone may be sending
    harness.clock.advance(LEASE + timedelta(seconds=1))
    resumed = await deliver_once(svc, "k2", sam, text="prompt")
    assert resumed is not None and not resumed.fresh
    assert [m.text for m in harness.sandbox.dms(sam)] == ["prompt"]


async def test_a_send_that_crashed_before_slack_took_it_is_sent_after_the_claim_goes_stale(harness: Harness) -> None:
    svc, sam = harness.services, harness.user("sam@acme.example")
    async with svc.sessions.begin() as session:
        session.add(Delivery(key="k3", channel=sam, state="sending", claimed_at=svc.clock.now()))
    harness.clock.advance(LEASE + timedelta(seconds=1))
    resumed = await deliver_once(svc, "k3", sam, text="late but once")
    assert resumed is not None and resumed.fresh
    assert [m.text for m in harness.sandbox.dms(sam)] == ["late but once"]


async def test_a_failed_send_can_be_retried(harness: Harness) -> None:
    svc, sam = harness.services, harness.user("sam@acme.example")
    harness.sandbox.inject(method="chat.postMessage", status=400)
    with pytest.raises(SlackApiError):
        await deliver_once(svc, "k4", sam, text="retry me")
    assert harness.sandbox.dms(sam) == []
    sent = await deliver_once(svc, "k4", sam, text="retry me")
    assert sent is not None and [m.text for m in harness.sandbox.dms(sam)] == ["retry me"]


async def test_a_thread_reply_that_crashed_after_slack_took_it_is_not_repeated(harness: Harness) -> None:
    """Thread replies are not in conversations.history: the crash check must look in the thread."""
    svc = harness.services
    parent = await deliver_once(svc, "parent", "C0HANA", text="summary")
    async with svc.sessions.begin() as session:
        session.add(Delivery(key="reply", channel="C0HANA", state="sending", claimed_at=svc.clock.now()))
    await svc.slack.chat_postMessage(channel="C0HANA", text="answer", thread_ts=parent.ts,
                                     metadata={"event_type": EVENT_TYPE, "event_payload": {"key": "reply"}})
    harness.clock.advance(LEASE + timedelta(seconds=1))
    resumed = await deliver_once(svc, "reply", "C0HANA", text="answer", thread_ts=parent.ts)
    assert resumed is not None and not resumed.fresh
    assert [m.text for m in harness.sandbox.channel_messages("C0HANA", thread_ts=parent.ts)] == ["answer"]


async def test_a_dead_senders_claim_is_taken_over_once_its_lease_runs_out(harness: Harness) -> None:
    """Within the leader take-over time, not minutes later: the rest of a fan-out waits no longer than that."""
    svc, sam = harness.services, harness.user("sam@acme.example")
    async with svc.sessions.begin() as session:
        session.add(Delivery(key="k6", channel=sam, state="sending", claimed_at=svc.clock.now()))
    harness.clock.advance(seconds=14)
    assert await deliver_once(svc, "k6", sam, text="resumed") is None  # still held
    harness.clock.advance(seconds=2)  # 16 s: the leader take-over time (15 s) has passed
    resumed = await deliver_once(svc, "k6", sam, text="resumed")
    assert resumed is not None and resumed.fresh
    assert [m.text for m in harness.sandbox.dms(sam)] == ["resumed"]


async def test_a_live_sender_keeps_its_claim_while_slack_holds_the_message(harness: Harness) -> None:
    """A send held up longer than the lease (429 retries, a slow Slack) is not taken over by another attempt."""
    svc, sam = harness.services, harness.user("sam@acme.example")
    harness.sandbox.inject(method="chat.postMessage", status=TIMEOUT)
    sending = asyncio.create_task(deliver_once(svc, "k7", sam, text="slow"))
    await asyncio.wait_for(harness.clock.sleeping(), 5)
    for _ in range(4):  # past the first claim's lease, renewed on the way
        harness.clock.advance(RENEW_EVERY)
        await asyncio.wait_for(harness.clock.sleeping(), 5)
    assert RENEW_EVERY * 4 > LEASE  # the first claim alone would have run out
    async with svc.sessions() as session:
        row = await session.get(Delivery, "k7")
    assert row is not None and row.state == "sending" and row.claimed_at == svc.clock.now()
    assert await deliver_once(svc, "k7", sam, text="slow") is None  # another attempt leaves it to the sender
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    assert [c.method for c in harness.sandbox.calls if c.method == "chat.postMessage"] == ["chat.postMessage"]


async def test_messages_of_any_features_into_one_channel_take_turns_at_its_pace() -> None:
    """Pacing lives in `deliver_once`: a Jira update, thanks and a sync agenda posted into one team channel at once
    keep its pace together (Slack's 1/s, here 20x faster), with no 429 for anyone."""
    from itertools import pairwise

    from sandbox.slack import RateLimits

    scale = 20
    h = Harness(rate_limits=RateLimits(scale=scale))
    await h.start()
    try:
        keys = [f"{feature}:{n}" for feature in ("jira", "kudos", "sync") for n in range(4)]
        sent = await asyncio.gather(*(deliver_once(h.services, key, "C0HANA", text=key) for key in keys))
        assert all(s is not None and s.fresh for s in sent)
        posts = [c for c in h.sandbox.calls_to("chat.postMessage") if c.args["channel"] == "C0HANA"]
        assert [c.status for c in posts] == [200] * len(keys)
        assert min(b.time - a.time for a, b in pairwise(posts)) >= 1 / scale
    finally:
        await h.stop()

