"""Slack's per-method rate limits (sliding windows on the sandbox clock) and fault injection."""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

TIER1, TIER2, TIER3, TIER4 = 1, 20, 50, 100

# Slack's documented tiers (calls per minute per workspace). apps.connections.open is Tier 1 ("1+ per
# minute"); real Slack tolerates reconnect bursts, so it gets Tier 2 here to keep reconnect tests quick.
DEFAULT_TIERS: dict[str, int] = {
    "auth.test": TIER4,
    "apps.connections.open": TIER2,
    "chat.update": TIER3,
    "chat.delete": TIER3,
    "chat.postEphemeral": TIER4,
    "chat.getPermalink": TIER4,
    "conversations.open": TIER3,
    "conversations.history": TIER3,
    "conversations.replies": TIER3,
    "conversations.info": TIER3,
    "users.info": TIER4,
    "users.list": TIER2,
    "users.lookupByEmail": TIER3,
    "views.open": TIER4,
    "views.push": TIER4,
    "views.update": TIER4,
    "views.publish": TIER4,
    "files.getUploadURLExternal": TIER4,
    "files.completeUploadExternal": TIER4,
}


@dataclass
class RateLimits:
    """Limits the sandbox enforces; `scale` multiplies every limit (benchmarks use e.g. 10)."""

    enabled: bool = True
    scale: float = 1.0
    per_minute: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_TIERS))
    default_per_minute: int = TIER3
    # chat.postMessage is "special": about 1 per second per channel, plus a workspace-wide cap.
    post_message_per_channel_per_second: float = 1.0
    post_message_per_minute: int = 600


class _Window:
    """Sliding window: at most `limit` hits in any `span` seconds."""

    def __init__(self, limit: int, span: float) -> None:
        self.limit = max(1, limit)
        self.span = span
        self.hits: deque[float] = deque()

    def wait(self, now: float) -> float:
        """0 if a call may go now, else the seconds until it may."""
        while self.hits and now - self.hits[0] >= self.span:
            self.hits.popleft()
        if len(self.hits) < self.limit:
            return 0.0
        return self.hits[0] + self.span - now

    def hit(self, now: float) -> None:
        self.hits.append(now)


class RateLimiter:
    """Decides per call whether Slack would answer 429, and with which Retry-After."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._windows: dict[str, _Window] = {}

    def _window(self, key: str, per: float, span: float) -> _Window:
        win = self._windows.get(key)
        if win is None:
            win = self._windows[key] = _Window(math.floor(per * self.limits.scale), span)
        return win

    def check(self, method: str, channel: str | None = None) -> int:
        """Record the call and return 0, or return Retry-After seconds (>= 1) without recording it."""
        if not self.limits.enabled:
            return 0
        now = self.clock()
        if method == "chat.postMessage":
            windows = [self._window(method, self.limits.post_message_per_minute, 60.0)]
            if channel:
                windows.append(self._window(f"{method}:{channel}",
                                            self.limits.post_message_per_channel_per_second, 1.0))
        else:
            per = self.limits.per_minute.get(method, self.limits.default_per_minute)
            windows = [self._window(method, per, 60.0)]
        wait = max(w.wait(now) for w in windows)
        if wait > 0:
            return max(1, math.ceil(wait))
        for w in windows:
            w.hit(now)
        return 0

    def reset(self) -> None:
        self._windows.clear()


TIMEOUT = "timeout"  # a fault status meaning: hang until the client gives up


@dataclass
class Fault:
    status: int | str
    method: str | None = None  # None = any method
    times: int | None = 1  # None = until cleared
    retry_after: int = 1


class Faults:
    """Planned failures: the next N calls of a method, or a seeded random fraction of calls."""

    def __init__(self) -> None:
        self.planned: list[Fault] = []
        self.random_rate = 0.0
        self.random_statuses: tuple[int | str, ...] = ()
        self.random_methods: set[str] | None = None
        self._rng = random.Random(0)

    def inject(self, *, method: str | None = None, status: int | str = 503, times: int | None = 1,
               retry_after: int = 1) -> Fault:
        fault = Fault(status=status, method=method, times=times, retry_after=retry_after)
        self.planned.append(fault)
        return fault

    def inject_random(self, *, rate: float, statuses: Iterable[int | str] = (429, 500), seed: int = 0,
                      methods: Iterable[str] | None = None) -> None:
        self.random_rate = rate
        self.random_statuses = tuple(statuses)
        self.random_methods = set(methods) if methods is not None else None
        self._rng = random.Random(seed)

    def clear(self) -> None:
        self.planned.clear()
        self.random_rate = 0.0

    def pick(self, method: str) -> Fault | None:
        """The fault to apply to this call, if any (planned ones first)."""
        for fault in self.planned:
            if fault.method in (None, method):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.planned.remove(fault)
                return fault
        if self.random_rate > 0 and self.random_statuses and (
                self.random_methods is None or method in self.random_methods):
            if self._rng.random() < self.random_rate:
                return Fault(status=self._rng.choice(self.random_statuses), method=method)
        return None
