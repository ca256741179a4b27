"""Middleware and the single error handler, on the real app."""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncAck

from bot.app import guard_listeners
from bot.errors import UserFacingError
from sandbox.harness import Harness
from sandbox.slack import text_of


def _mention(event_id: str) -> dict:
    return {"type": "app_mention", "user": "U0SAM", "text": "hi", "channel": "C0CARE", "ts": "1.1",
            "event_ts": "1.1"}


async def test_a_retried_event_is_handled_once(harness: Harness) -> None:
    seen: list[str] = []

    async def on_mention(event: dict) -> None:
        seen.append(event["ts"])

    harness.server.app.event("app_mention")(on_mention)
    guard_listeners(harness.server.app)
    first = await harness.driver.event(_mention("Ev1"), event_id="Ev1")
    retry = await harness.driver.event(_mention("Ev1"), event_id="Ev1", retry_num=1)
    other = await harness.driver.event(_mention("Ev2"), event_id="Ev2")
    await harness.settle()
    assert (first.status, retry.status, other.status) == (200, 200, 200)
    assert len(seen) == 2


async def test_user_error_after_ack_is_an_ephemeral_in_their_language(harness: Harness) -> None:
    async def boom(ack: AsyncAck) -> None:
        await ack()
        raise UserFacingError("core.errors.not_in_org")

    harness.server.app.command("/boom")(boom)
    guard_listeners(harness.server.app)
    await harness.command("minji@hanabpo.example", "/boom")
    await harness.settle()
    seen = harness.sandbox.ephemerals(harness.user("minji@hanabpo.example"))
    assert len(seen) == 1 and "관리자" in text_of(seen[0])


async def test_unexpected_error_is_polite_and_hides_the_trace(harness: Harness, caplog) -> None:
    async def crash(ack: AsyncAck) -> None:
        await ack()
        raise RuntimeError("db password is hunter2")

    harness.server.app.command("/crash")(crash)
    guard_listeners(harness.server.app)
    ack = await harness.command("sam@acme.example", "/crash")
    await harness.settle()
    assert ack.status == 200 and ack.elapsed < 1.0  # the ack is not lost when the listener fails
    seen = harness.sandbox.ephemerals(harness.user("sam@acme.example"))
    assert len(seen) == 1
    shown = text_of(seen[0])
    assert "something went wrong" in shown and "hunter2" not in shown and "Traceback" not in shown
    assert any(r.message == "listener failed" for r in caplog.records)
    assert "hunter2" not in json.dumps([text_of(m) for m in harness.sandbox.dms(harness.user("sam@acme.example"))])
