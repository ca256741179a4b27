"""Requests an attacker (or a broken proxy) sends: replays of signed requests, malformed signed payloads,
deeply nested JSON to the Jira webhook. Each is answered politely, runs nothing twice and logs no traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.jira.webhook import webhook_path
from sandbox.driver import FORM
from sandbox.harness import Harness
from sandbox.slack import text_of
from storage.models import Escalation, EscalationStep

PRIYA = "priya@acme.example"


async def escalations(h: Harness) -> int:
    async with h.services.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Escalation))


def command_body(h: Harness, text: str) -> bytes:
    user = h.user(PRIYA)
    return urlencode({
        "command": "/escalate", "text": text, "user_id": user, "channel_id": "C0HANA",
        "team_id": h.sandbox.team_id, "trigger_id": h.sandbox.new_trigger_id(user),
        "response_url": h.sandbox.new_response_url(user, "C0HANA")}).encode()


async def post_signed(h: Harness, body: bytes, content_type: str = FORM) -> int:
    ack = await h.driver.raw(body, {"Content-Type": content_type, **h.driver.sign(body)})
    return ack.status


async def test_a_replayed_slash_command_runs_once(harness: Harness) -> None:
    h = harness
    body = command_body(h, "P3 care-hana Replayed queue stuck")
    statuses = []
    for _ in range(3):  # the captured request, replayed within Slack's 5 minutes
        statuses.append(await post_signed(h, body))
        await h.settle()
    assert statuses == [200, 200, 200]
    assert await escalations(h) == 1


async def test_a_replay_on_another_instance_runs_once(harness: Harness) -> None:
    h = harness
    _, other = await h.add_instance()
    body = command_body(h, "P3 care-hana Replayed elsewhere")
    for url in (h.server.events_url, other.events_url):
        async with aiohttp.ClientSession() as http, http.post(
                url, data=body, headers={"Content-Type": FORM, **h.driver.sign(body)}) as resp:
            assert resp.status == 200
        await h.settle()
    assert await escalations(h) == 1


async def test_a_replayed_view_submission_runs_once(harness: Harness) -> None:
    h = harness
    user = h.user(PRIYA)
    await h.driver.slash(user, "/escalate", "", channel_id="C0HANA")
    await h.settle()
    view = h.sandbox.open_views(user)[-1]
    ack = await h.driver.submit_view(user, view, inputs={
        "esc_summary": "Submitted once", "esc_team": "care-hana", "esc_severity": "P3", "esc_category": "quality"})
    await h.settle()
    assert ack.ok and await escalations(h) == 1
    captured = h.driver.sent[-1]
    body = urlencode({"payload": json.dumps(captured)}).encode()
    assert await post_signed(h, body) == 200
    await h.settle()
    assert await escalations(h) == 1
    async with h.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(EscalationStep)) == 2  # raised, notified


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(("body", "content_type"), [
    (b"payload=not-json", FORM),
    (urlencode({"payload": "[1, 2]"}).encode(), FORM),
    (urlencode({"payload": json.dumps({"user": {"id": "U0X"}})}).encode(), FORM),  # no `type`
    (b"payload=%7B%22type%22%3A%20%22block_actions%22%2C%20%22x%22%3A%20%22\xff\xfe%22%7D", FORM),  # bad UTF-8
    (b"\xff\xfe\xfa", FORM),
    (b"[1, 2]", "application/json"),
    (b"{not json", "application/json"),
    (b'{"type": "event_callback", "event": "x"}', "application/json"),
])
async def test_signed_but_malformed_payloads_get_400_and_one_log_line(
        harness: Harness, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str) -> None:
    caplog.set_level(logging.INFO)
    status = await post_signed(harness, body, content_type)
    await harness.settle()
    assert status == 400
    _no_traceback(caplog)
    assert len([r for r in caplog.records if "malformed" in r.getMessage()]) == 1


@pytest.fixture
async def jira_h(clock: FakeClock) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, jira="cloud") as harness:
        yield harness


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"issue": ' * 50_000 + b"1" + b"}" * 50_000,
    b'{"issue": "CARE-1", "user": 3}',
    b"\xff\xfe",
])
async def test_hostile_jira_webhooks_get_400_without_a_traceback(
        jira_h: Harness, caplog: pytest.LogCaptureFixture, body: bytes) -> None:
    url = jira_h.server.url + webhook_path(jira_h.services.settings)
    async with aiohttp.ClientSession() as http, http.post(
            url, data=body, headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == 400
    _no_traceback(caplog)


async def test_the_replay_answer_is_polite(harness: Harness) -> None:
    h = harness
    form = {"command": "/oneteam", "text": "help", "user_id": h.user(PRIYA), "channel_id": "C0CARE",
            "team_id": h.sandbox.team_id, "trigger_id": h.sandbox.new_trigger_id(h.user(PRIYA)),
            "response_url": h.sandbox.new_response_url(h.user(PRIYA), "C0CARE")}
    body = urlencode(form).encode()
    first = await h.driver.raw(body, {"Content-Type": FORM, **h.driver.sign(body)})
    again = await h.driver.raw(body, {"Content-Type": FORM, **h.driver.sign(body)})
    assert first.status == again.status == 200 and "/escalate" in text_of(first.body)
    # A replayed command is answered by its own ack (computed before the claim, so the ledger write stays off
    # the ack path) and then stops: it learns nothing the first answer did not say, and runs nothing.
    assert again.body == first.body


async def test_the_request_ledger_forgets_after_two_days_and_keeps_other_keys(harness: Harness) -> None:
    from bot.app import purge_ledger
    from storage.models import HandledDelivery

    h = harness
    await post_signed(h, command_body(h, "P3 care-hana Remembered for a while"))
    await h.settle()
    async with h.services.sessions.begin() as session:
        session.add(HandledDelivery(key="digest:someone-else's-key", handled_at=h.clock.now()))
    assert await purge_ledger(h.services) == 0
    h.clock.advance(days=3)
    assert await purge_ledger(h.services) == 1
    async with h.services.sessions() as session:
        assert (await session.scalars(select(HandledDelivery.key))).all() == ["digest:someone-else's-key"]
