"""A stop (SIGTERM) ends the process within its grace period even with paced work queued: thousands of
escalation cards wait their turn at one a second per channel, and a stop that waited for them held the
process for minutes (seen in bench/ack_latency.py). What is cut resumes from the database, as after a crash."""

from __future__ import annotations

import asyncio
import time

from sandbox.harness import Harness


async def test_a_stop_cuts_work_still_waiting_after_the_grace_period(harness: Harness) -> None:
    assert harness.server is not None
    forever = harness.services.spawn(asyncio.Event().wait(), "paced work that never gets its turn")
    started = time.monotonic()
    await harness.server.stop(grace=0.2)
    harness.server = None  # stopped: the fixture's stop has nothing left to stop
    assert time.monotonic() - started < 2
    assert forever.cancelled()
