"""SlackDriver against a real Bolt AsyncApp, over signed HTTP and over the sandbox's Socket Mode."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.driver import Ack, SlackDriver, input_values, select
from sandbox.slack import SlackSandbox, text_of

FORM_VIEW = {
    "type": "modal", "callback_id": "report", "title": {"type": "plain_text", "text": "Report"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {"type": "input", "block_id": "summary", "label": {"type": "plain_text", "text": "Summary"},
         "element": {"type": "plain_text_input", "action_id": "text"}},
        {"type": "input", "block_id": "severity", "label": {"type": "plain_text", "text": "Severity"},
         "element": {"type": "static_select", "action_id": "pick", "options": [
             {"text": {"type": "plain_text", "text": "High"}, "value": "high"},
             {"text": {"type": "plain_text", "text": "Low"}, "value": "low"}]}},
        {"type": "input", "block_id": "count", "label": {"type": "plain_text", "text": "Count"},
         "element": {"type": "number_input", "action_id": "n", "is_decimal_allowed": False}},
        {"type": "input", "block_id": "due", "label": {"type": "plain_text", "text": "Due"},
         "element": {"type": "datepicker", "action_id": "d"}},
    ],
}


def build_app(sandbox: SlackSandbox, seen: dict[str, Any], *, socket: bool = False) -> AsyncApp:
    """A tiny Bolt app exercising commands, modals, actions and events."""
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.base_url)
    app = AsyncApp(client=client, signing_secret=None if socket else sandbox.signing_secret)

    @app.command("/hello")
    async def hello(ack, command) -> None:
        await ack(f"hi {command['text']}")

    @app.command("/report")
    async def report(ack, body, client) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=FORM_VIEW)

    @app.view("report")
    async def submitted(ack, view) -> None:
        values = view["state"]["values"]
        seen["values"] = values
        if not values["summary"]["text"]["value"]:
            await ack(response_action="errors", errors={"summary": "Please write a summary"})
        else:
            await ack()

    @app.view_closed("report")
    async def closed(ack, body) -> None:
        seen["closed"] = body["view"]["id"]
        await ack()

    @app.action("ack_escalation")
    async def clicked(ack, body, action, respond) -> None:
        await ack()
        seen["action"] = action
        seen["container"] = body["container"]
        await respond(f"acknowledged {action['value']}")

    @app.event("app_mention")
    async def mention(event, request) -> None:
        seen.setdefault("mentions", []).append((event["text"], request.headers.get("x-slack-retry-num")))

    return app


@pytest.fixture
async def http_bot(sandbox: SlackSandbox) -> AsyncIterator[tuple[SlackDriver, dict[str, Any]]]:
    seen: dict[str, Any] = {}
    runner = web.AppRunner(build_app(sandbox, seen).web_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    async with SlackDriver(sandbox, bot_url=url, timeout=5) as driver:
        yield driver, seen
    await runner.cleanup()


@pytest.fixture
async def socket_bot(sandbox: SlackSandbox) -> AsyncIterator[tuple[SlackDriver, dict[str, Any]]]:
    seen: dict[str, Any] = {}
    app = build_app(sandbox, seen, socket=True)
    handler = AsyncSocketModeHandler(app, sandbox.app_token)
    await handler.connect_async()
    await sandbox.wait_socket_connected(timeout=5)
    yield SlackDriver(sandbox, mode="socket", timeout=5), seen
    await handler.close_async()


def test_signature_verifies_with_slack_sdk(sandbox: SlackSandbox) -> None:
    driver = SlackDriver(sandbox, bot_url="http://127.0.0.1:9/slack/events")
    body = b"token=x&command=%2Fhello"
    headers = driver.sign(body)
    verifier = SignatureVerifier(sandbox.signing_secret)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    stale = driver.sign(body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid(body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"])
    other = SignatureVerifier("another-secret")
    assert not other.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])


async def test_http_slash_ack_is_shown_to_user(sandbox: SlackSandbox, http_bot) -> None:
    driver, _ = http_bot
    ack = await driver.slash("U0ALICE", "/hello", "there", channel_id="C0TEAM")
    assert ack.status == 200 and ack.body == "hi there" and ack.elapsed < 5
    assert [m.text for m in sandbox.ephemerals("U0ALICE")] == ["hi there"]
    assert sandbox.calls_to("auth.test")  # Bolt checked the token against the sandbox


async def test_http_rejects_unsigned_and_stale(sandbox: SlackSandbox, http_bot) -> None:
    driver, _ = http_bot
    body = b"command=%2Fhello&text=x&user_id=U0ALICE"
    unsigned = await driver.raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
    stale = await driver.raw(body, {"Content-Type": "application/x-www-form-urlencoded",
                                    **driver.sign(body, timestamp=int(time.time()) - 600)})
    assert unsigned.status == 401 and stale.status == 401
    assert sandbox.ephemerals("U0ALICE") == []


async def test_http_modal_errors_then_submit_closes(sandbox: SlackSandbox, http_bot) -> None:
    driver, seen = http_bot
    assert (await driver.slash("U0BOB", "/report")).status == 200
    [view] = sandbox.open_views("U0BOB")
    bad = await driver.submit_view("U0BOB", view, inputs={"summary": ""})
    assert bad.body == {"response_action": "errors", "errors": {"summary": "Please write a summary"}}
    assert len(sandbox.open_views("U0BOB")) == 1
    good = await driver.submit_view("U0BOB", view, inputs={"summary": "Broken build", "severity": "high",
                                                           "count": 3, "due": "2026-11-23"})
    assert good.status == 200 and good.body is None
    assert sandbox.open_views("U0BOB") == []
    values = seen["values"]
    assert values["summary"]["text"] == {"type": "plain_text_input", "value": "Broken build"}
    assert values["severity"]["pick"]["selected_option"]["value"] == "high"
    assert values["severity"]["pick"]["selected_option"]["text"]["text"] == "High"
    assert values["count"]["n"] == {"type": "number_input", "value": "3"}
    assert values["due"]["d"]["selected_date"] == "2026-11-23"


async def test_http_close_view(sandbox: SlackSandbox, http_bot) -> None:
    driver, seen = http_bot
    await driver.slash("U0BOB", "/report")
    [view] = sandbox.open_views("U0BOB")
    ack = await driver.close_view("U0BOB", view)
    assert ack.status == 200 and seen["closed"] == view["id"] and sandbox.open_views("U0BOB") == []


async def test_http_block_action_and_respond(sandbox: SlackSandbox, client: AsyncWebClient, http_bot) -> None:
    driver, seen = http_bot
    await client.chat_postMessage(channel="U0ALICE", text="ESC-1", blocks=[
        {"type": "section", "block_id": "esc", "text": {"type": "mrkdwn", "text": "ESC-1 is overdue"},
         "accessory": {"type": "button", "action_id": "ack_escalation", "value": "ESC-1",
                       "text": {"type": "plain_text", "text": "Ack"}}}])
    [msg] = sandbox.dms("U0ALICE")
    ack = await driver.block_action("U0ALICE", "ack_escalation", message=msg)
    assert ack.status == 200
    assert seen["action"]["value"] == "ESC-1" and seen["action"]["block_id"] == "esc"
    assert seen["action"]["type"] == "button"
    assert seen["container"] == {"type": "message", "message_ts": msg.ts, "channel_id": msg.channel,
                                 "is_ephemeral": False}
    assert "acknowledged ESC-1" in text_of(sandbox.ephemerals("U0ALICE")[0])


async def test_http_events_and_retries(http_bot) -> None:
    driver, seen = http_bot
    event = {"type": "app_mention", "user": "U0ALICE", "text": "hey", "channel": "C0TEAM", "ts": "1.000001"}
    first = await driver.event(event, event_id="Ev1")
    retry = await driver.event(event, event_id="Ev1", retry_num=1)
    assert first.status == 200 and retry.status == 200
    assert seen["mentions"] == [("hey", None), ("hey", ["1"])]
    verification = await driver.url_verification("xyz")
    assert verification.body == {"challenge": "xyz"}


def test_input_values_shapes() -> None:
    state = input_values(FORM_VIEW, {"summary": "x", "severity": select("low"), "due": None})
    assert state["summary"] == {"text": {"type": "plain_text_input", "value": "x"}}
    assert state["severity"]["pick"]["selected_option"]["value"] == "low"
    assert state["due"] == {"d": {"type": "datepicker", "selected_date": None}}
    with pytest.raises(KeyError):
        input_values(FORM_VIEW, {"nope": "x"})


async def test_socket_mode_slash_ack(sandbox: SlackSandbox, socket_bot) -> None:
    driver, _ = socket_bot
    ack = await driver.slash("U0ALICE", "/hello", "socket")
    assert ack == Ack(200, {"text": "hi socket"}, ack.elapsed)
    assert [m.text for m in sandbox.ephemerals("U0ALICE")] == ["hi socket"]
    assert len(sandbox.calls_to("apps.connections.open")) == 1


async def test_socket_mode_view_submission_errors(sandbox: SlackSandbox, socket_bot) -> None:
    driver, seen = socket_bot
    await driver.slash("U0BOB", "/report")
    [view] = sandbox.open_views("U0BOB")
    ack = await driver.submit_view("U0BOB", view, {"summary": {"text": {"type": "plain_text_input", "value": ""}}})
    assert ack.status == 200
    assert ack.body == {"response_action": "errors", "errors": {"summary": "Please write a summary"}}
    assert len(sandbox.open_views("U0BOB")) == 1 and seen["values"]["summary"]["text"]["value"] == ""


async def test_socket_mode_events_and_unhandled_timeout(sandbox: SlackSandbox, socket_bot) -> None:
    driver, seen = socket_bot
    event = {"type": "app_mention", "user": "U0ALICE", "text": "yo", "channel": "C0TEAM", "ts": "1.000002"}
    assert (await driver.event(event, retry_num=2)).status == 200
    assert seen["mentions"] == [("yo", ["2"])]
    driver.timeout = 0.3
    ack = await driver.slash("U0ALICE", "/unhandled")  # Bolt does not ack what no listener matches
    assert ack.status == 0 and ack.body is None


async def test_socket_mode_reconnects_on_disconnect(sandbox: SlackSandbox, socket_bot) -> None:
    driver, _ = socket_bot
    before = sandbox.socket.connections_total
    await sandbox.disconnect_socket()
    # the SDK closes the old socket and reconnects through apps.connections.open
    await sandbox.socket.wait_until(lambda: sandbox.socket.connections_total > before
                                    and len(sandbox.socket.live()) == 1)
    assert len(sandbox.calls_to("apps.connections.open")) == 2
    ack = await driver.slash("U0ALICE", "/hello", "again")
    assert ack.body == {"text": "hi again"}
