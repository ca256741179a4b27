"""SlackSandbox: a local Slack workspace speaking the Web API, response_urls, uploads and Socket Mode."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import interactions
from .methods import METHODS
from .methods.conversations import user_json
from .methods.files import receive_upload
from .ratelimit import TIMEOUT, Fault, Faults, RateLimiter, RateLimits
from .socket_mode import SocketModeHub
from .state import ApiCall, Message, SlackError, Workspace

JSON_ARGS = ("blocks", "view", "files", "attachments", "metadata")
FAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 502: "bad_gateway", 503: "service_unavailable",
                504: "gateway_timeout"}


class SlackSandbox:
    """One workspace with one installed app (bot token, app token, signing secret) on a loopback port."""

    def __init__(self, *, bot_token: str = "xoxb-sandbox", app_token: str = "xapp-sandbox",
                 signing_secret: str = "sandbox-signing-secret", team_id: str = "T0SANDBOX",
                 rate_limits: RateLimits | None = None, clock: Callable[[], float] | None = None) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.verification_token = "sandbox-verification-token"
        self.team_id = team_id
        self.clock = clock or time.monotonic
        self.rate_limits = rate_limits or RateLimits()
        self.limiter = RateLimiter(self.rate_limits, self.clock)
        self.faults = Faults()
        self.hang_seconds = 120.0  # how long a "timeout" fault holds a request at most
        self.ws = Workspace(team_id=team_id, clock=self.clock, bot_user_id="U0ONETEAM", bot_id="B0ONETEAM",
                            app_id="A0ONETEAM")
        self.socket = SocketModeHub(self.ws.app_id)
        self.calls: list[ApiCall] = []
        self.url = ""
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.add_user(self.ws.bot_user_id, "oneteam", real_name="OneTeam", is_bot=True)
        self.ws.users[self.ws.bot_user_id]["bot_id"] = self.ws.bot_id
        self.add_channel("C0GENERAL", "general")

    # ids the driver and tests need
    @property
    def bot_user_id(self) -> str:
        return self.ws.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.ws.bot_id

    @property
    def app_id(self) -> str:
        return self.ws.app_id

    # lifecycle ---------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{rid}", self._response_url)
        app.router.add_get("/link", self.socket.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}"
        self.base_url = f"{self.url}/api/"
        self.ws.url = self.url

    async def stop(self) -> None:
        self._stopping.set()
        await self.socket.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackSandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # workspace set-up ---------------------------------------------------------
    def add_user(self, user_id: str, name: str, *, email: str | None = None, tz: str = "UTC",
                 locale: str = "en-US", real_name: str | None = None, is_bot: bool = False,
                 status_text: str = "", status_emoji: str = "", team_id: str | None = None) -> dict[str, Any]:
        """Add a person; another team_id makes them an external (Slack Connect) user."""
        user = {"id": user_id, "name": name, "email": email, "tz": tz, "locale": locale,
                "real_name": real_name or name, "is_bot": is_bot, "status_text": status_text,
                "status_emoji": status_emoji, "team_id": team_id or self.team_id, "deleted": False}
        self.ws.users[user_id] = user
        return user

    def change_user(self, user_id: str, **changes: Any) -> dict[str, Any]:
        """A person edits their profile (tz, locale, status_text, ...): returns the `user_change` event Slack
        then sends, carrying the whole updated user object (with its locale)."""
        user = self.ws.require_user(user_id)
        unknown = set(changes) - set(user)
        if unknown:
            raise ValueError(f"not user fields: {sorted(unknown)}")
        user.update(changes)
        return {"type": "user_change", "user": user_json(self.ws, user, with_locale=True),
                "cache_ts": int(time.time())}

    def add_channel(self, channel_id: str, name: str, *, members: tuple[str, ...] | list[str] = (),
                    is_ext_shared: bool = False) -> dict[str, Any]:
        """Add a channel; with members, chat.postEphemeral to anyone else fails with user_not_in_channel."""
        channel = {"id": channel_id, "name": name, "members": list(members), "is_ext_shared": is_ext_shared}
        self.ws.channels[channel_id] = channel
        return channel

    # what people saw ------------------------------------------------------------
    def dms(self, user_id: str) -> list[Message]:
        """Messages the bot posted in its DM with the user (threads included), current content."""
        return [m for m in self.ws.messages.get(self.ws.dm_id(user_id), []) if not m.deleted]

    def channel_messages(self, channel_id: str, thread_ts: str | None = None) -> list[Message]:
        """Top-level messages of a channel, or the replies in one thread."""
        cid = self.ws.dm_id(channel_id) if channel_id in self.ws.users else channel_id
        msgs = [m for m in self.ws.messages.get(cid, []) if not m.deleted]
        if thread_ts is None:
            return [m for m in msgs if not m.is_reply]
        return [m for m in msgs if m.thread_ts == thread_ts and m.ts != thread_ts]

    def ephemerals(self, user_id: str) -> list[Message]:
        return [m for m in self.ws.ephemeral_log if m.recipient == user_id and not m.deleted]

    def open_views(self, user_id: str) -> list[dict[str, Any]]:
        return list(self.ws.view_stacks.get(user_id, []))

    def home(self, user_id: str) -> dict[str, Any] | None:
        return self.ws.homes.get(user_id)

    def files(self) -> list[dict[str, Any]]:
        return [f for f in self.ws.uploads.values() if f["completed"]]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def new_trigger_id(self, user_id: str) -> str:
        return self.ws.new_trigger_id(user_id)

    def new_response_url(self, user_id: str, channel_id: str, message_ts: str | None = None) -> str:
        return self.ws.new_response_url(user_id, channel_id, message_ts)

    # faults -------------------------------------------------------------------
    def inject(self, *, method: str | None = None, status: int | str = 503, times: int | None = 1,
               retry_after: int = 1) -> Fault:
        """Make the next `times` calls of `method` (None: any) answer `status`, or hang with "timeout"."""
        return self.faults.inject(method=method, status=status, times=times, retry_after=retry_after)

    def inject_random(self, *, rate: float, statuses: tuple[int | str, ...] = (429, 500), seed: int = 0,
                      methods: tuple[str, ...] | None = None) -> None:
        self.faults.inject_random(rate=rate, statuses=statuses, seed=seed, methods=methods)

    # Socket Mode ----------------------------------------------------------------
    async def wait_socket_connected(self, timeout: float = 5.0, count: int = 1) -> None:  # noqa: ASYNC109
        await self.socket.wait_connected(timeout, count)

    async def disconnect_socket(self, reason: str = "refresh_requested") -> None:
        await self.socket.disconnect(reason)

    # what Slack does with the app's answers (the driver calls these) ------------------
    def apply_view_ack(self, user_id: str, view_id: str, body: Any) -> None:
        interactions.apply_view_ack(self.ws, user_id, view_id, body)

    def apply_command_ack(self, user_id: str, channel_id: str, body: Any) -> Message | None:
        return interactions.apply_command_ack(self.ws, user_id, channel_id, body)

    def close_view(self, user_id: str, view_id: str) -> bool:
        return interactions.close_view(self.ws, user_id, view_id)

    # HTTP handlers --------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            args = await _read_args(request)
        except SlackError as e:
            return self._answer(method, {}, e)
        token = args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        fault = self.faults.pick(method)
        if fault is not None:
            return await self._fault(method, args, fault)
        try:
            handler = METHODS.get(method)
            if handler is None and method != "apps.connections.open":
                raise SlackError("unknown_method")
            self._authorize(method, token)
            retry_after = self.limiter.check(method, self._rate_channel(method, args))
            if retry_after:
                self.calls.append(ApiCall(method, args, 429, self.clock(), "ratelimited"))
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(retry_after)})
            if handler is None:
                ws_url = self.url.replace("http", "ws", 1)
                result = {"url": f"{ws_url}/link?ticket={self.socket.new_ticket()}"}
            else:
                result = handler(self.ws, args)
        except SlackError as e:
            return self._answer(method, args, e)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.calls.append(ApiCall(method, args, 200, self.clock(), connection=peer[1] if peer else None))
        return web.json_response({"ok": True, **result})

    def _authorize(self, method: str, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        if token not in (self.bot_token, self.app_token):
            raise SlackError("invalid_auth")
        wants_app_token = method == "apps.connections.open"
        if (token == self.app_token) != wants_app_token:
            raise SlackError("not_allowed_token_type")

    def _rate_channel(self, method: str, args: dict[str, Any]) -> str | None:
        """chat.postMessage is limited per conversation: a user id and its DM id count as one."""
        if method != "chat.postMessage" or not args.get("channel"):
            return None
        try:
            return self.ws.resolve_channel(args["channel"])
        except SlackError:
            return str(args["channel"])

    def _answer(self, method: str, args: dict[str, Any], error: SlackError) -> web.Response:
        self.calls.append(ApiCall(method, args, 200, self.clock(), error.error))
        return web.json_response({"ok": False, "error": error.error, **error.extra})

    async def _fault(self, method: str, args: dict[str, Any], fault: Fault) -> web.StreamResponse:
        if fault.status == TIMEOUT:
            self.calls.append(ApiCall(method, args, 0, self.clock(), "timeout"))
            try:
                await asyncio.wait_for(self._stopping.wait(), self.hang_seconds)
            except TimeoutError:
                pass
            return web.json_response({"ok": False, "error": "gateway_timeout"}, status=504)
        status = int(fault.status)
        error = FAULT_ERRORS.get(status, "fatal_error")
        self.calls.append(ApiCall(method, args, status, self.clock(), error))
        headers = {"Retry-After": str(max(1, fault.retry_after))} if status == 429 else {}
        return web.json_response({"ok": False, "error": error}, status=status, headers=headers)

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        if not receive_upload(self.ws, request.match_info["file_id"], data):
            return web.Response(status=404, text="file_not_found")
        return web.Response(text=f"OK - {len(data)}")

    async def _response_url(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        for key in ("blocks", "attachments"):
            if isinstance(body.get(key), str):
                body[key] = json.loads(body[key])
        try:
            interactions.post_to_response_url(self.ws, request.match_info["rid"], body)
        except SlackError as e:
            status = 404 if e.error in ("used_url", "expired_url", "invalid_url") else 400
            return web.json_response({"ok": False, "error": e.error}, status=status)
        return web.json_response({"ok": True})


async def _read_args(request: web.Request) -> dict[str, Any]:
    """Merge query, form and JSON arguments and decode JSON strings, as Slack's API front does."""
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as e:
                raise SlackError("invalid_json") from e
            if isinstance(body, dict):
                args.update(body)
        else:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in JSON_ARGS:
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except ValueError as e:
                raise SlackError("invalid_blocks_format" if key == "blocks" else "invalid_arguments") from e
    return args
