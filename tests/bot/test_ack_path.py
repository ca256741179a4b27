"""The ack path's two shortcuts: work after an ack yields to pending acks, and listener matching reads the
body alone; both must leave what happens unchanged."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import guard_listeners
from bot.bolt_internals import BodyMatcher, listeners
from bot.services import AckGate
from sandbox.harness import Harness


async def _turns(n: int = 5) -> None:
    """Lets the event loop run everything ready, `n` times over (no timer needs to fire)."""
    for _ in range(n):
        await asyncio.sleep(0)


async def test_work_goes_at_once_when_no_request_is_waiting() -> None:
    gate = AckGate(settle=60, max_wait=60)
    await asyncio.wait_for(gate.quiet(), 1)


async def test_work_waits_until_the_requests_in_flight_are_answered() -> None:
    gate = AckGate(settle=0, max_wait=60)
    gate.enter()
    gate.enter()
    work = asyncio.create_task(gate.quiet())
    gate.leave()
    await _turns()
    assert not work.done()
    gate.leave()
    await asyncio.wait_for(work, 1)


async def test_a_request_arriving_while_the_gate_settles_keeps_it_shut() -> None:
    gate = AckGate(settle=0, max_wait=60)
    gate.enter()
    work = asyncio.create_task(gate.quiet())
    gate.leave()
    gate.enter()  # before the settle timer fired
    await _turns()
    assert not work.done()
    gate.leave()
    await asyncio.wait_for(work, 1)


async def test_work_is_never_held_longer_than_max_wait() -> None:
    gate = AckGate(settle=60, max_wait=0)
    gate.enter()
    await asyncio.wait_for(gate.quiet(), 1)
    assert gate.in_flight == 1


async def test_an_open_gate_lets_the_waiting_work_through_one_at_a_time_oldest_first() -> None:
    """Work woken all at once would run before the next request's first step: the work of a burst's 400
    acks, let through together, held the next acks 60 ms (bench/ack_latency.py)."""
    gate = AckGate(settle=0, max_wait=60)
    gate.enter()
    woke: list[int] = []

    async def work(n: int) -> None:
        await gate.quiet()
        woke.append(n)

    waiting = [asyncio.create_task(work(n)) for n in range(100)]
    await _turns()
    gate.leave()  # the gate opens at the settle timer's turn
    await _turns(6)
    gate.enter()  # a request comes in: the rest waits again (one already woken may still run)
    let_through = len(woke)
    await _turns()
    assert 0 < let_through < 10 and len(woke) <= let_through + 1
    gate.leave()
    await asyncio.wait_for(asyncio.gather(*waiting), 1)
    assert woke == list(range(100))


def _app() -> AsyncApp:
    app = AsyncApp(signing_secret="s", token="xoxb-test", request_verification_enabled=False)

    async def listener(ack: AsyncAck) -> None:
        await ack()

    app.command("/escalate")(listener)
    app.action("esc_ack")(listener)
    app.action(re.compile(r"^rate_[1-5]$"))(listener)
    app.view("raise")(listener)
    app.event("app_home_opened")(listener)
    return app


BODIES = [
    {"command": "/escalate", "text": "P2 x"},
    {"command": "/kpi"},
    {"type": "block_actions", "actions": [{"action_id": "esc_ack"}]},
    {"type": "block_actions", "actions": [{"action_id": "rate_4"}]},
    {"type": "block_actions", "actions": [{"action_id": "rate_9"}]},
    {"type": "view_submission", "view": {"type": "modal", "callback_id": "raise"}},
    {"type": "view_submission", "view": {"type": "modal", "callback_id": "other"}},
    {"type": "event_callback", "event": {"type": "app_home_opened"}},
    {"type": "event_callback", "event": {"type": "message"}},
]


async def test_matching_on_the_body_alone_gives_bolts_answers() -> None:
    app = _app()
    original = [list(listener.matchers) for listener in listeners(app)]
    guard_listeners(app)
    assert all(isinstance(m, BodyMatcher) for listener in listeners(app) for m in listener.matchers)
    for body in BODIES:
        req = AsyncBoltRequest(body="", context={}, mode="socket_mode")
        req.body = body
        for matchers, listener in zip(original, listeners(app), strict=True):
            expected = [await m.async_matches(req, None) for m in matchers]
            assert [await m.async_matches(req, None) for m in listener.matchers] == expected, body


BOLT_PRIVATE = re.compile(r"\b_async_\w+|\.(ack_function|arg_names|matchers)\b")


def test_bolts_internals_are_touched_in_one_module_only() -> None:
    """A Bolt upgrade then needs checking in bot/bolt_internals.py (and this file's contract tests) alone."""
    root = Path(__file__).resolve().parents[2]
    users = sorted(str(p.relative_to(root)) for package in ("bot", "handlers", "schedules", "storage")
                   for p in (root / package).rglob("*.py") if BOLT_PRIVATE.search(p.read_text(encoding="utf-8")))
    assert users == ["bot/bolt_internals.py"]


class CountingGate(AckGate):
    """The real gate, recording how long each wait on it may last."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: list[float] = []

    async def quiet(self, limit: float | None = None) -> None:
        self.limits.append(self.max_wait if limit is None else limit)
        await super().quiet(limit)


async def test_a_slash_commands_ledger_claim_and_its_work_wait_on_the_gate_for_one_max_wait_in_all(
        harness: Harness) -> None:
    """Under steady load every wait on the gate can last its whole limit: the claim behind a command's ack
    and the listener's work after it share one `max_wait` (the second wait gets what the first and the
    claim left), rather than queue two full ones."""
    gate = CountingGate()
    harness.services.acks = gate
    ack = await harness.command("priya@acme.example", "/kpi")
    await harness.settle()
    assert ack.ok
    assert len(gate.limits) == 2  # before the claim, and before the work
    assert gate.limits[0] == gate.max_wait and gate.limits[1] < gate.max_wait
