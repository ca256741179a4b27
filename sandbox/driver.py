"""SlackDriver: plays the Slack side towards the bot — signed HTTP requests or Socket Mode envelopes.

Payloads are shaped as Slack sends them (slash commands form-encoded, interactivity as `payload=<JSON>`,
events as JSON envelopes), so the bot under test goes through Bolt's real parsing and signature checks.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import date as Date
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp

from sandbox.slack import Message, SlackSandbox

FORM = "application/x-www-form-urlencoded"


@dataclass
class Ack:
    """The bot's answer: HTTP status (0 = no answer in time), parsed body, seconds taken."""

    status: int
    body: Any
    elapsed: float
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200


# --- state.values builders ------------------------------------------------------------------------------
def _option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def plain(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def number(value: float | int | str | None) -> dict[str, Any]:
    return {"type": "number_input", "value": None if value is None else str(value)}


def select(value: str | None, text: str | None = None) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": None if value is None else _option(value, text)}


def radio(value: str | None, text: str | None = None) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": None if value is None else _option(value, text)}


def checkboxes(values: list[str]) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [_option(v) for v in values]}


def date(d: Date | str | None) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": d.isoformat() if isinstance(d, Date) else d}


def user(u: str | None) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": u}


def _options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
    opts = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        opts.extend(group.get("options") or [])
    return opts


def _pick_option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    for opt in _options_of(element):
        if opt.get("value") == str(value):
            return opt
    return _option(str(value))


_VALUE_KEYS = {
    "users_select": "selected_user", "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation", "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel", "multi_channels_select": "selected_channels",
    "datepicker": "selected_date", "timepicker": "selected_time",
}


def element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The state.values entry Slack reports for `element` holding `value` (already-built dicts pass)."""
    if isinstance(value, dict) and "type" in value:
        return value
    etype = element.get("type", "plain_text_input")
    out: dict[str, Any] = {"type": etype}
    if etype in ("static_select", "external_select", "radio_buttons", "overflow"):
        out["selected_option"] = _pick_option(element, value)
    elif etype in ("checkboxes", "multi_static_select", "multi_external_select"):
        out["selected_options"] = [_pick_option(element, v) for v in (value or [])]
    elif etype in _VALUE_KEYS:
        out[_VALUE_KEYS[etype]] = value.isoformat() if isinstance(value, Date) else value
    else:  # plain_text_input, number_input, email_text_input, url_text_input
        out["value"] = None if value is None else str(value)
    return out


def input_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Build `state.values` for a view from {block_id: value}, shaped by each input block's element type."""
    inputs = {b.get("block_id"): b for b in view.get("blocks") or [] if b.get("type") == "input"}
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for block_id, value in values.items():
        block = inputs.get(block_id)
        if block is None:
            raise KeyError(f"no input block {block_id!r} in view {view.get('callback_id')!r}; "
                           f"inputs are {sorted(str(k) for k in inputs)}")
        element = block.get("element") or {}
        state[block_id] = {element.get("action_id", block_id): element_state(element, value)}
    return state


def find_element(blocks: list[dict[str, Any]], action_id: str,
                 block_id: str | None = None) -> tuple[str | None, dict[str, Any] | None]:
    """The (block_id, element) carrying `action_id` in a list of blocks, as the user would click it."""
    for block in blocks or []:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = list(block.get("elements") or [])
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for el in candidates:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return block.get("block_id"), el
    return None, None


# --- the driver ----------------------------------------------------------------------------------------
class SlackDriver:
    """Sends what Slack would send to the bot, over signed HTTP or the sandbox's Socket Mode link."""

    def __init__(self, sandbox: SlackSandbox, *, bot_url: str | None = None,
                 signing_secret: str | None = None, mode: Literal["http", "socket"] = "http",
                 timeout: float = 10) -> None:
        if mode == "http" and not bot_url:
            raise ValueError("http mode needs bot_url, e.g. http://127.0.0.1:3000/slack/events")
        self.sandbox = sandbox
        self.bot_url = bot_url
        self.signing_secret = signing_secret or sandbox.signing_secret
        self.mode = mode
        self.timeout = timeout
        self.sent: list[dict[str, Any]] = []  # every payload sent, for tests
        self._session: aiohttp.ClientSession | None = None
        self._event_ids = itertools.count(1)

    async def __aenter__(self) -> SlackDriver:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # signing -------------------------------------------------------------------------------------------
    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """X-Slack-Request-Timestamp / X-Slack-Signature (v0 HMAC-SHA256 of "v0:{ts}:{body}")."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        base = b"v0:" + ts.encode() + b":" + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}

    # transport -------------------------------------------------------------------------------------------
    async def raw(self, body: bytes, headers: dict[str, str]) -> Ack:
        """POST exactly these bytes and headers to the bot (for unsigned / stale / tampered requests)."""
        if not self.bot_url:
            raise RuntimeError("raw() needs bot_url")
        started = time.perf_counter()
        session = self._session or aiohttp.ClientSession()
        try:
            async with session.post(self.bot_url, data=body, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                text = await resp.text()
                parsed: Any = text or None
                if text and resp.content_type == "application/json":
                    parsed = json.loads(text)
                return Ack(resp.status, parsed, time.perf_counter() - started, dict(resp.headers))
        except (TimeoutError, aiohttp.ClientError):
            return Ack(0, None, time.perf_counter() - started)
        finally:
            if session is not self._session:
                await session.close()

    async def _send(self, kind: str, payload: dict[str, Any], *, body: bytes, content_type: str,
                    accepts_response_payload: bool, headers: dict[str, str] | None = None,
                    retry_attempt: int = 0, retry_reason: str = "") -> Ack:
        self.sent.append(payload)
        if self.mode == "socket":
            started = time.perf_counter()
            ack = await self.sandbox.socket.send(kind, payload,
                                                 accepts_response_payload=accepts_response_payload,
                                                 retry_attempt=retry_attempt, retry_reason=retry_reason,
                                                 timeout=self.timeout)
            elapsed = time.perf_counter() - started
            return Ack(0, None, elapsed) if ack is None else Ack(200, ack.get("payload"), elapsed)
        all_headers = {"Content-Type": content_type, **self.sign(body), **(headers or {})}
        return await self.raw(body, all_headers)

    async def _interactive(self, payload: dict[str, Any], *, accepts_response_payload: bool) -> Ack:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._send("interactive", payload, body=body, content_type=FORM,
                                accepts_response_payload=accepts_response_payload)

    # payload pieces ----------------------------------------------------------------------------------------
    def _user(self, user_id: str) -> dict[str, Any]:
        person = self.sandbox.ws.users.get(user_id, {})
        name = person.get("name", user_id)
        team_id = person.get("team_id", self.sandbox.team_id)
        return {"id": user_id, "username": name, "name": name, "team_id": team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.sandbox.team_id, "domain": self.sandbox.ws.team_domain}

    def _channel_name(self, channel_id: str) -> str:
        ch = self.sandbox.ws.channels.get(channel_id)
        if ch is None:
            return "directmessage" if channel_id.startswith("D") else "unknown"
        if ch.get("is_im"):
            return "directmessage"
        return "privategroup" if ch.get("is_mpim") else ch["name"]

    def _current_view(self, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """The sandbox's latest copy of a view (fresh hash / blocks), else the dict given."""
        for v in self.sandbox.open_views(user_id):
            if v["id"] == view.get("id"):
                return v
        home = self.sandbox.home(user_id)
        if home is not None and home["id"] == view.get("id"):
            return home
        return view

    # Slack → bot requests ----------------------------------------------------------------------------------
    async def slash(self, user_id: str, command: str, text: str = "", *,
                    channel_id: str = "C0GENERAL") -> Ack:
        """A slash command; an ack with a body is shown to the user as Slack does (ephemeral by default)."""
        form = {
            "token": self.sandbox.verification_token, "team_id": self.sandbox.team_id,
            "team_domain": self.sandbox.ws.team_domain, "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id), "user_id": user_id,
            "user_name": self._user(user_id)["name"], "command": command, "text": text,
            "api_app_id": self.sandbox.app_id, "is_enterprise_install": "false",
            "response_url": self.sandbox.new_response_url(user_id, channel_id),
            "trigger_id": self.sandbox.new_trigger_id(user_id),
        }
        ack = await self._send("slash_commands", form, body=urlencode(form).encode(),
                               content_type=FORM, accepts_response_payload=True)
        if ack.ok:
            self.sandbox.apply_command_ack(user_id, channel_id, ack.body)
        return ack

    async def block_action(self, user_id: str, action_id: str, *, value: Any = None,
                           block_id: str | None = None, message: Message | dict[str, Any] | None = None,
                           view: dict[str, Any] | None = None, channel_id: str | None = None,
                           selected_option: Any = None, extra: dict[str, Any] | None = None) -> Ack:
        """A click / selection on an element of a message or a view (element type found in its blocks)."""
        msg = message.to_slack() if isinstance(message, Message) else message
        is_ephemeral = isinstance(message, Message) and message.ephemeral
        if isinstance(message, Message):
            channel_id = channel_id or message.channel
        current_view = self._current_view(user_id, view) if view is not None else None
        blocks = (current_view or msg or {}).get("blocks") or []
        found_block, element = find_element(blocks, action_id, block_id)
        element = element or {"type": "static_select" if selected_option is not None else "button"}
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id or found_block or "b",
                                  "type": element.get("type", "button"), "action_ts": f"{time.time():.6f}"}
        if action["type"] == "button":
            action["text"] = element.get("text", {"type": "plain_text", "text": action_id})
            if value is not None or "value" in element:
                action["value"] = value if value is not None else element["value"]
        elif selected_option is not None:
            action["selected_option"] = _pick_option(element, selected_option)
        else:
            action.update({k: v for k, v in element_state(element, value).items() if k != "type"})
        action.update(extra or {})
        payload: dict[str, Any] = {
            "type": "block_actions", "user": self._user(user_id), "api_app_id": self.sandbox.app_id,
            "token": self.sandbox.verification_token, "trigger_id": self.sandbox.new_trigger_id(user_id),
            "team": self._team(), "enterprise": None, "is_enterprise_install": False, "actions": [action],
        }
        if current_view is not None:
            payload["container"] = {"type": "view", "view_id": current_view.get("id")}
            payload["view"] = current_view
        else:
            cid = channel_id or (msg or {}).get("channel") or "C0GENERAL"
            ts = (msg or {}).get("ts")
            payload["container"] = {"type": "message", "message_ts": ts, "channel_id": cid,
                                    "is_ephemeral": is_ephemeral}
            payload["channel"] = {"id": cid, "name": self._channel_name(cid)}
            if msg is not None and not is_ephemeral:
                payload["message"] = msg
            payload["state"] = {"values": {}}
            payload["response_url"] = self.sandbox.new_response_url(user_id, cid, ts)
        return await self._interactive(payload, accepts_response_payload=False)

    async def message_shortcut(self, user_id: str, callback_id: str, message: Message) -> Ack:
        """A message shortcut (the message's ⋯ menu) on `message`."""
        payload: dict[str, Any] = {
            "type": "message_action", "callback_id": callback_id, "user": self._user(user_id),
            "api_app_id": self.sandbox.app_id, "token": self.sandbox.verification_token,
            "trigger_id": self.sandbox.new_trigger_id(user_id), "team": self._team(),
            "channel": {"id": message.channel, "name": self._channel_name(message.channel)},
            "message_ts": message.ts, "message": message.to_slack(),
            "response_url": self.sandbox.new_response_url(user_id, message.channel, message.ts),
            "enterprise": None, "is_enterprise_install": False,
        }
        return await self._interactive(payload, accepts_response_payload=False)

    async def submit_view(self, user_id: str, view: dict[str, Any],
                          values: dict[str, dict[str, dict[str, Any]]] | None = None, *,
                          inputs: dict[str, Any] | None = None) -> Ack:
        """Submit a modal with `values` (state.values) and/or `inputs` ({block_id: value}, see input_values).

        The sandbox then updates the user's modal stack from the ack (errors / update / push / clear / close).
        """
        current = self._current_view(user_id, view)
        state = dict(values or {})
        if inputs:
            state.update(input_values(current, inputs))
        payload = {
            "type": "view_submission", "team": self._team(), "user": self._user(user_id),
            "api_app_id": self.sandbox.app_id, "token": self.sandbox.verification_token,
            "trigger_id": self.sandbox.new_trigger_id(user_id),
            "view": {**current, "state": {"values": state}}, "response_urls": [],
            "enterprise": None, "is_enterprise_install": False,
        }
        ack = await self._interactive(payload, accepts_response_payload=True)
        if ack.ok:
            self.sandbox.apply_view_ack(user_id, current["id"], ack.body)
        return ack

    async def close_view(self, user_id: str, view: dict[str, Any]) -> Ack:
        """The user closes a modal: it leaves the stack, then view_closed goes to the bot."""
        current = self._current_view(user_id, view)
        self.sandbox.close_view(user_id, current["id"])
        payload = {
            "type": "view_closed", "team": self._team(), "user": self._user(user_id),
            "api_app_id": self.sandbox.app_id, "token": self.sandbox.verification_token, "view": current,
            "is_cleared": False, "enterprise": None, "is_enterprise_install": False,
        }
        return await self._interactive(payload, accepts_response_payload=False)

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None,
                    retry_reason: str = "http_timeout") -> Ack:
        """An Events API delivery; pass the same event_id with retry_num to replay Slack's retries."""
        ev = dict(event)
        ev.setdefault("event_ts", self.sandbox.ws.new_ts())
        envelope = {
            "token": self.sandbox.verification_token, "team_id": self.sandbox.team_id,
            "context_team_id": self.sandbox.team_id, "api_app_id": self.sandbox.app_id, "event": ev,
            "type": "event_callback", "event_id": event_id or f"Ev{next(self._event_ids):010d}",
            "event_time": int(time.time()), "is_ext_shared_channel": False,
            "authorizations": [{"enterprise_id": None, "team_id": self.sandbox.team_id,
                                "user_id": self.sandbox.bot_user_id, "is_bot": True,
                                "is_enterprise_install": False}],
        }
        headers = {}
        if retry_num:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self._send("events_api", envelope, body=json.dumps(envelope).encode(),
                                content_type="application/json", accepts_response_payload=False,
                                headers=headers, retry_attempt=retry_num or 0,
                                retry_reason=retry_reason if retry_num else "")

    async def user_change(self, user_id: str, **changes: Any) -> Ack:
        """The person edits their Slack profile (e.g. `tz="Europe/London"`): Slack sends `user_change`."""
        return await self.event(self.sandbox.change_user(user_id, **changes))

    async def url_verification(self, challenge: str = "abc") -> Ack:
        """Slack's endpoint check (HTTP only; Socket Mode has none)."""
        body = {"token": self.sandbox.verification_token, "challenge": challenge, "type": "url_verification"}
        if self.mode == "socket":
            raise RuntimeError("url_verification is HTTP-only")
        return await self._send("events_api", body, body=json.dumps(body).encode(),
                                content_type="application/json", accepts_response_payload=False)
