"""Socket Mode: the /link websocket the app connects to, envelopes out, acks back.

Matches slack_sdk's aiohttp SocketModeClient: it pings with "sdk-ping-pong:<t>" and expects the same data
in the pong (aiohttp's autoping answers), ignores the hello, acks with {"envelope_id", "payload"?} and
reconnects (via apps.connections.open) on {"type": "disconnect"}.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web


class SocketModeHub:
    """Connections, tickets and pending envelopes of the sandbox's Socket Mode endpoint."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.tickets: set[str] = set()
        self.connections: list[web.WebSocketResponse] = []
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.received: list[dict[str, Any]] = []  # every ack, for tests
        self.connections_total = 0  # connections ever accepted (reconnects included)
        self._changed = asyncio.Event()

    def new_ticket(self) -> str:
        ticket = secrets.token_hex(8)
        self.tickets.add(ticket)
        return ticket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            return web.Response(status=401, text="invalid ticket")
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        self.connections_total += 1
        self._notify()
        await ws.send_str(json.dumps({
            "type": "hello", "num_connections": len(self.connections),
            "debug_info": {"host": "sandbox", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            if ws in self.connections:
                self.connections.remove(ws)
            self._notify()
        return ws

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        self.received.append(message)
        fut = self.pending.pop(str(message.get("envelope_id")), None)
        if fut is not None and not fut.done():
            fut.set_result(message)

    def live(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self.connections if not ws.closed]

    async def wait_connected(self, timeout: float = 5.0, count: int = 1) -> None:  # noqa: ASYNC109
        """Wait until at least `count` sockets are connected; TimeoutError otherwise."""
        await self.wait_until(lambda: len(self.live()) >= count, timeout)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until `condition()` holds, re-checking whenever a connection opens or closes."""
        async with asyncio.timeout(timeout):
            while not condition():
                await self._changed.wait()

    async def send(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool,
                   retry_attempt: int = 0, retry_reason: str = "",
                   timeout: float = 10.0) -> dict[str, Any] | None:  # noqa: ASYNC109
        """Send one envelope over the newest connection and return the app's ack, or None on timeout."""
        live = self.live()
        if not live:
            raise RuntimeError("no Socket Mode connection; await sandbox.wait_socket_connected() first")
        envelope_id = str(uuid.uuid4())
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[envelope_id] = fut
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": accepts_response_payload}
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        await live[-1].send_str(json.dumps(envelope))
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            return None
        finally:
            self.pending.pop(envelope_id, None)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected app to reconnect, as Slack does every few hours."""
        for ws in self.live():
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(json.dumps({"type": "disconnect", "reason": reason,
                                              "debug_info": {"host": "sandbox"}}))

    async def close_all(self) -> None:
        for ws in list(self.connections):
            with contextlib.suppress(Exception):
                await ws.close()
        self.connections.clear()
