"""In-process domain events, so that features react to each other without importing each other:
Jira listens for `escalation.raised`, App Home for anything that changes what a person sees.

Subscribers are awaited in order; one failing is logged and does not stop the others or the caller.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("oneteam.events")

Subscriber = Callable[[dict[str, Any]], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = defaultdict(list)

    def subscribe(self, name: str, subscriber: Subscriber) -> None:
        self._subscribers[name].append(subscriber)

    async def publish(self, name: str, payload: dict[str, Any]) -> None:
        for subscriber in self._subscribers.get(name, ()):
            try:
                await subscriber(payload)
            except Exception:
                log.exception("event subscriber failed", extra={"event": name})
