"""Keeping background Slack calls below a method's rate limit, so that a 429 never lands on the calls
people are waiting for (an `app_home_opened` publish, a modal, a card) that share the same limit."""

from __future__ import annotations

import asyncio


class Pacer:
    """A token bucket on the event loop's clock: `per_minute` calls on average, up to `burst` at once
    (`per_minute` 0: no pacing). Callers `await wait()` before each call; they are let through in order."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.burst = burst
        self.tokens = float(burst)
        self.stamp: float | None = None
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self.stamp is not None:
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) / self.interval)
            self.stamp = now
            if self.tokens < 1:
                await asyncio.sleep((1 - self.tokens) * self.interval)
                self.tokens, self.stamp = 1.0, loop.time()
            self.tokens -= 1
