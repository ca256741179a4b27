"""The sandbox workspace's data: people, conversations, messages, views, files.

Kept free of HTTP so the Web API methods stay plain functions of (workspace, args) and tests can read
what people saw without going through the wire.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class SlackError(Exception):
    """A logical Web API error: answered with HTTP 200 and {"ok": false, "error": code}, as Slack does."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Message:
    """A message as a person sees it (the bot's posts, ephemerals, response_url posts)."""

    channel: str
    ts: str
    text: str = ""
    blocks: list[dict] = field(default_factory=list)
    user: str = ""
    thread_ts: str | None = None
    metadata: dict | None = None
    attachments: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    updated: bool = False
    deleted: bool = False
    ephemeral: bool = False
    response_type: str | None = None  # "ephemeral" | "in_channel" for response_url / ack posts
    recipient: str | None = None  # the only person who sees an ephemeral
    bot_id: str | None = None
    reply_count: int = 0
    unfurls: dict[str, dict] = field(default_factory=dict)  # url -> what chat.unfurl attached (blocks)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_slack(self, *, include_metadata: bool = True) -> dict[str, Any]:
        """The message as conversations.history / chat.postMessage return it."""
        out: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts}
        if self.bot_id:
            out["bot_id"] = self.bot_id
        if self.blocks:
            out["blocks"] = self.blocks
        if self.attachments:
            out["attachments"] = self.attachments
        if self.files:
            out["files"] = self.files
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.reply_count:
            out["reply_count"] = self.reply_count
        if self.updated:
            out["edited"] = {"user": self.user, "ts": self.ts}
        if include_metadata and self.metadata:
            out["metadata"] = self.metadata
        return out

    def __getitem__(self, key: str) -> Any:
        """Dict-style access so code written against dict messages works too."""
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


@dataclass
class ApiCall:
    """One Web API call as the sandbox saw it; benchmarks count these."""

    method: str
    args: dict[str, Any]
    status: int
    time: float
    error: str | None = None
    connection: int | None = None  # the client's port: calls over one kept-alive connection share it


_SKIP_KEYS = {"value", "action_id", "block_id", "url", "image_url", "type", "style", "emoji", "verbatim"}


def _collect_text(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        for key, val in node.items():
            if key in _SKIP_KEYS:
                continue
            if key == "text" and isinstance(val, str):
                out.append(val)
            else:
                _collect_text(val, out)
    elif isinstance(node, list):
        for item in node:
            _collect_text(item, out)


def text_of(message: Message | dict[str, Any]) -> str:
    """All visible text of a message or view flattened into one string, for `"ESC-1" in text_of(m)`.

    Walks text + blocks + attachments (and a view's title), collecting every `text` string: section text
    and fields, context elements, headers, button and option texts, rich text, input labels.
    """
    parts: list[str] = []
    if isinstance(message, Message):
        parts.append(message.text)
        _collect_text(message.blocks, parts)
        _collect_text(message.attachments, parts)
    else:
        if isinstance(message.get("text"), str):
            parts.append(message["text"])
        for key in ("title", "blocks", "attachments"):
            _collect_text(message.get(key), parts)
    return "\n".join(p for p in parts if p)


@dataclass
class Trigger:
    user_id: str
    created: float
    used: bool = False


@dataclass
class ResponseUrl:
    user_id: str
    channel_id: str
    created: float
    message_ts: str | None = None  # the message the interaction came from (for replace/delete_original)
    uses: int = 0


class Workspace:
    """Everything the sandbox remembers; one per SlackSandbox."""

    TRIGGER_TTL = 3.0
    RESPONSE_URL_TTL = 30 * 60.0
    RESPONSE_URL_USES = 5

    def __init__(self, *, team_id: str, clock: Callable[[], float], bot_user_id: str, bot_id: str,
                 app_id: str) -> None:
        self.team_id = team_id
        self.team_domain = "sandbox"
        self.clock = clock
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.url = ""  # set by the server once bound
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[Message]] = {}  # channel id -> messages in ts order
        self.ephemeral_log: list[Message] = []
        self.view_stacks: dict[str, list[dict[str, Any]]] = {}  # user id -> modal stack
        self.homes: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}  # file id -> file record
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.users_list_short_pages = True
        self._ids = itertools.count(1)
        self._last_ts_us = 0

    # ids -----------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def new_ts(self) -> str:
        """Unique, strictly increasing message ts in Slack's "seconds.micros" form (wall time based)."""
        now_us = int(time.time() * 1_000_000)
        self._last_ts_us = max(self._last_ts_us + 100, now_us)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    # people and conversations ---------------------------------------------
    def dm_id(self, user_id: str) -> str:
        """The bot's DM channel id with a user: "D" + the user id without its U/W prefix."""
        return "D" + (user_id[1:] if user_id[:1] in ("U", "W") else user_id)

    def user_of_dm(self, channel_id: str) -> str | None:
        for uid in self.users:
            if self.dm_id(uid) == channel_id:
                return uid
        return None

    def require_user(self, user_id: Any) -> dict[str, Any]:
        user = self.users.get(str(user_id or ""))
        if user is None:
            raise SlackError("user_not_found")
        return user

    def resolve_channel(self, channel: Any, *, allow_user: bool = True) -> str:
        """A conversation id for `channel`: a channel id or name, a DM id, or (when allowed) a user id."""
        cid = str(channel or "")
        if not cid:
            raise SlackError("channel_not_found")
        if cid in self.channels:
            return cid
        if allow_user and cid in self.users:
            return self.open_dm(cid)
        if cid.startswith("D") and self.user_of_dm(cid):
            return self.open_dm(self.user_of_dm(cid) or "")
        name = cid.lstrip("#")
        for ch in self.channels.values():
            if ch["name"] == name:
                return ch["id"]
        raise SlackError("channel_not_found")

    def open_dm(self, user_id: str) -> str:
        cid = self.dm_id(user_id)
        if cid not in self.channels:
            self.channels[cid] = {"id": cid, "name": cid, "is_im": True, "user": user_id,
                                  "members": [user_id, self.bot_user_id], "is_ext_shared": False}
        return cid

    # messages --------------------------------------------------------------
    def post_as(self, user_id: str, channel: str, text: str, thread_ts: str | None = None) -> Message:
        """A person posts a message (the app sees it only through events it subscribed to)."""
        msg = self.post(channel, text=text, thread_ts=thread_ts)
        msg.user, msg.bot_id = user_id, None
        return msg

    def unfurl_id(self, msg: Message) -> str:
        return f"U{msg.channel}{msg.ts.replace('.', '')}"

    def find_unfurl_target(self, channel: str, ts: str, unfurl_id: str) -> Message | None:
        if channel and ts:
            return self.find_message(channel, ts)
        return next((m for msgs in self.messages.values() for m in msgs if self.unfurl_id(m) == unfurl_id), None)

    def post(self, channel: str, *, text: str = "", blocks: list | None = None, thread_ts: str | None = None,
             metadata: dict | None = None, attachments: list | None = None, files: list | None = None,
             response_type: str | None = None) -> Message:
        msg = Message(channel=channel, ts=self.new_ts(), text=text or "", blocks=list(blocks or []),
                      user=self.bot_user_id, bot_id=self.bot_id, thread_ts=thread_ts or None,
                      metadata=metadata, attachments=list(attachments or []), files=list(files or []),
                      response_type=response_type)
        if msg.thread_ts:
            parent = self.find_message(channel, msg.thread_ts)
            if parent is not None:
                parent.reply_count += 1
                if parent.thread_ts is None:
                    parent.thread_ts = parent.ts
        self.messages.setdefault(channel, []).append(msg)
        return msg

    def find_message(self, channel: str, ts: Any) -> Message | None:
        for msg in self.messages.get(channel, []):
            if msg.ts == str(ts) and not msg.deleted:
                return msg
        return None

    def post_ephemeral(self, channel: str, user_id: str, *, text: str = "", blocks: list | None = None,
                       thread_ts: str | None = None, attachments: list | None = None) -> Message:
        msg = Message(channel=channel, ts=self.new_ts(), text=text or "", blocks=list(blocks or []),
                      user=self.bot_user_id, bot_id=self.bot_id, thread_ts=thread_ts or None,
                      attachments=list(attachments or []), ephemeral=True, response_type="ephemeral",
                      recipient=user_id)
        self.ephemeral_log.append(msg)
        return msg

    def find_ephemeral(self, ts: Any) -> Message | None:
        for msg in self.ephemeral_log:
            if msg.ts == str(ts) and not msg.deleted:
                return msg
        return None

    # triggers and response urls ---------------------------------------------
    def new_trigger_id(self, user_id: str) -> str:
        tid = f"{next(self._ids)}.{self.team_id}.{self.new_id('trg')}"
        self.triggers[tid] = Trigger(user_id=user_id, created=self.clock())
        return tid

    def use_trigger(self, trigger_id: Any) -> str:
        """Consume a trigger id and return its user; single use, ~3 s by the sandbox clock."""
        trig = self.triggers.get(str(trigger_id or ""))
        if trig is None:
            raise SlackError("invalid_trigger_id")
        if trig.used:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - trig.created > self.TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        trig.used = True
        return trig.user_id

    def new_response_url(self, user_id: str, channel_id: str, message_ts: str | None = None) -> str:
        rid = self.new_id("R")
        self.response_urls[rid] = ResponseUrl(user_id=user_id, channel_id=channel_id, created=self.clock(),
                                              message_ts=message_ts)
        return f"{self.url}/response/{rid}"
