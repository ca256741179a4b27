"""Runs the bot: HTTP mode (aiohttp, `/slack/events`, `/healthz`) or Socket Mode, plus the scheduler.

`BotServer` is what `oneteam run`, `oneteam demo` and the end-to-end tests all start, so the tests
exercise the real thing.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.app import build_app
from bot.services import Services
from bot.settings import secret_value
from schedules.leader import Leadership
from schedules.scheduler import build_scheduler

log = logging.getLogger("oneteam.server")
EVENTS_PATH = "/slack/events"
# CPython's defaults are (700, 10, 10). Under a burst, the work waiting behind each ack keeps surviving the
# young collections; frequent small ones stay short, while a large first generation (or frequent full
# collections) stalls every request in flight for 20-100 ms (bench/ack_latency.py).
GC_THRESHOLDS = (1000, 5, 1000)
LEADER_RETRY_SECONDS = 15  # a follower takes over the clock within this long after the leader dies


# Nested parts of a Slack payload that Bolt and the listeners read as objects (or lists of objects).
PAYLOAD_OBJECTS = ("user", "team", "channel", "view", "event", "container", "message", "enterprise")


def malformed(raw: bytes, content_type: str | None) -> str | None:
    """Why a request body cannot be one Slack sends (None when it can be), decided before Bolt parses it:
    Bolt would raise on these, answering 500 with a traceback."""
    try:
        text = raw.decode("utf-8")
        if content_type == "application/json" or text.startswith("{"):
            body: Any = json.loads(text)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            if "payload" not in form:  # a slash command (or Slack's ssl_check)
                return None if form.get("command") or form.get("ssl_check") else "no command or payload"
            body = json.loads(form["payload"])
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return type(error).__name__
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return "not an object with a type"
    if any(key in body and not isinstance(body[key], dict | None) for key in PAYLOAD_OBJECTS):
        return "a part is not an object"
    actions = body.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        return "actions are not objects"
    return None


SIGNATURE_MAX_AGE = 300  # seconds, as Slack documents and Bolt checks


def signed(secret: str | None, raw: bytes, headers: Any) -> bool:
    """Slack's v0 signature over the raw bytes (which need not be UTF-8), made within 5 minutes."""
    stamp, signature = headers.get("X-Slack-Request-Timestamp", ""), headers.get("X-Slack-Signature", "")
    if not secret or not stamp.isdigit() or abs(time.time() - int(stamp)) > SIGNATURE_MAX_AGE:
        return False
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={digest}", signature)


def build_web_app(app: AsyncApp, services: Services) -> web.Application:
    secret = secret_value(services.settings.slack_signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        reason = malformed(raw, request.content_type)
        if reason is not None:  # Bolt answers the others, checking their signature itself
            if not signed(secret, raw, request.headers):
                return web.Response(status=401)
            log.warning("malformed Slack request refused", extra={"reason": reason, "size": len(raw)})
            return web.Response(status=400)
        services.acks.enter()
        try:
            return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))
        finally:
            services.acks.leave()

    async def healthz(_request: web.Request) -> web.Response:
        # Work still running after its ack (listeners, Home refreshes, spawned work): a deploy can wait
        # for 0 before stopping an instance, and the benchmarks before measuring.
        return web.json_response({"ok": True, "work_in_flight": len(listener_tasks()) + len(services.background)})

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get("/healthz", healthz)
    for method, path, handler in services.extras.get("routes", ()):
        web_app.router.add_route(method, path, handler)
    return web_app


def listener_tasks() -> list[asyncio.Task]:
    """Listener work still running after its ack (Bolt runs each in a task of this name)."""
    return [t for t in asyncio.all_tasks()
            if not t.done() and getattr(t.get_coro(), "__name__", "") == "run_ack_function_asynchronously"]


class BotServer:
    """One bot instance: Slack listeners, the scheduler, and a clean stop that finishes work in flight."""

    def __init__(self, services: Services, *, host: str = "127.0.0.1", port: int = 3000,
                 socket_mode: bool | None = None, scheduler: bool = True) -> None:
        self.services = services
        self.host, self.port = host, port
        self.socket_mode = services.settings.socket_mode if socket_mode is None else socket_mode
        self.with_scheduler = scheduler
        self.app: AsyncApp | None = None
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._leadership = Leadership(services.db)
        self._lead_task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def events_url(self) -> str:
        return self.url + EVENTS_PATH

    async def start(self) -> None:
        if self.services.db.is_sqlite:
            await self.services.db.migrate()
        # One HTTP session for every Web API call (Bolt's per-request clients share it too): without it the
        # SDK opens a new session, and a new connection, for each call. The SDK applies its timeout only to
        # sessions it makes, so this one carries it.
        timeout = aiohttp.ClientTimeout(total=self.services.settings.slack_timeout)
        self.services.slack.session = aiohttp.ClientSession(timeout=timeout)
        self.app = build_app(self.services)
        await self._know_itself()
        if self.socket_mode:
            self._socket = AsyncSocketModeHandler(self.app, secret_value(self.services.settings.slack_app_token))
            await self._socket.connect_async()
            log.info("connected in Socket Mode")
        else:
            self._runner = web.AppRunner(build_web_app(self.app, self.services), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            self.port = self._runner.addresses[0][1]
            log.info("listening", extra={"url": self.url, "path": EVENTS_PATH})
        if self.with_scheduler:
            self._lead_task = asyncio.create_task(self._lead(), name="oneteam-leadership")
        # Everything loaded so far lives as long as the process: keep the collector from rescanning it, and
        # keep full collections rare, since their pauses show up directly in the time to ack.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)

    async def _know_itself(self) -> None:
        """Reads the bot's identity before the first request, so that no request waits for it."""
        if self.services.settings.slack_bot_token is None:
            return
        try:
            await self.services.identity.read()
        except Exception:
            log.warning("auth.test failed; the first request tries again", exc_info=True)

    async def _lead(self) -> None:
        """Runs the scheduler while this instance holds the leadership; keeps trying otherwise."""
        while True:
            try:
                leading = await self._leadership.try_acquire()
            except Exception:
                log.exception("leadership check failed")
                leading = False
            if leading and self._scheduler is None:
                self._scheduler = build_scheduler(self.services)
                self._scheduler.start()
            elif not leading and self._scheduler is not None:
                self._scheduler.shutdown(wait=False)
                self._scheduler = None
            await asyncio.sleep(LEADER_RETRY_SECONDS)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking requests, let listeners already acked finish (up to `grace`), then close."""
        if self._lead_task is not None:
            self._lead_task.cancel()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._socket is not None:
            await self._socket.close_async()
        if self._runner is not None:
            await self._runner.shutdown()
        # Job runs the scheduler's shutdown cancelled are still unwinding (a rollback, a session to close):
        # closing the database under them leaves a connection whose close never ends, and the exit hangs.
        in_flight = listener_tasks() + list(self.services.background) + list(self.services.jobs)
        if in_flight:
            log.info("finishing work in flight", extra={"tasks": len(in_flight)})
            _done, unfinished = await asyncio.wait(in_flight, timeout=grace)
            if unfinished:
                # Paced work (thousands of cards at one a second per channel) would hold the process for
                # minutes: what is cut here resumes from the database, as after a crash (claims, leases).
                log.warning("work in flight cut short at stop", extra={"tasks": len(unfinished)})
                for task in unfinished:
                    task.cancel()
                await asyncio.wait(unfinished, timeout=grace)
        if self._runner is not None:
            await self._runner.cleanup()
        await self._leadership.release()
        if self.services.slack.session is not None:
            await self.services.slack.session.close()
        if (jira := self.services.extras.get("jira")) is not None:
            await jira.close()  # its shared HTTP session
        await self.services.db.dispose()
        log.info("stopped")
