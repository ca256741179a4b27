"""Steps the check-in fan-out's tests share: every member prompted, a crash in the middle of a fan-out."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from bot.checkins.fanout import open_rounds, send_due_prompts
from sandbox.harness import Harness
from schedules.checkins import tick


async def prompt_everyone(h: Harness, due: datetime) -> None:
    """Opens the week's rounds and runs the check-in job at `due` (their prompts' time): every member has
    their prompt, and what the bot does after sending them is done."""
    await open_rounds(h.services)
    h.clock.set(due)
    await tick(h.services)
    await h.settle()


async def crash_mid_fanout(h: Harness, *, after: int, concurrency: int) -> None:
    """Starts a fan-out whose `after`-th send reaches Slack, then the process dies before it can record it
    (the worst moment), and restarts the bot."""
    client = h.services.slack
    real_post = client.chat_postMessage
    posted = 0
    dying = asyncio.get_running_loop().create_future()
    crashed = asyncio.Event()

    async def post_then_die(**kwargs: Any) -> Any:
        nonlocal posted
        response = await real_post(**kwargs)
        posted += 1
        if posted >= after:
            crashed.set()
            await dying  # hangs until the crash below cancels it
        return response

    client.chat_postMessage = post_then_die  # type: ignore[method-assign]
    fanout = asyncio.create_task(send_due_prompts(h.services, concurrency=concurrency))
    await crashed.wait()
    fanout.cancel()
    with pytest.raises(asyncio.CancelledError):
        await fanout
    await h.restart()
