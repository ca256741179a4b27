"""The one pacing of the bot's Slack calls, below Slack's limits, so that a 429 (and its rounded-up
Retry-After) never lands on the calls people are waiting for (an `app_home_opened` publish, a modal, a DM):

- `Pacer`: at most n calls a minute of one method (a token bucket), for background work sharing that
  method's workspace limit (App Home publishes, the check-in summary's edits and replies);
- `ChannelPacer`: at most one message a second per channel or DM (`chat.postMessage`'s per-channel limit),
  shared by every feature posting to channels (escalation cards and DMs, the check-in summary);
- `workspace_posts`: one `Pacer` for every message the bot posts (`chat.postMessage`'s workspace-wide cap): a
  feature posting unpaced (a pulse survey's invitations, a fan-out of DMs) would otherwise fill the cap and
  hand its 429s (Retry-After up to a minute) to whichever message came next, e.g. a channel's summary replies;
- `update_message`: every `chat.update` the bot makes, from one budget below the method's limit (Tier 3), with
  a few calls kept for the edits people are looking at (an escalation's card, a sync's agenda): background
  edits (the check-in summary's counts, a closed round's prompts) use the rest.

All follow the one setting `SLACK_RATE_SCALE`: Slack's limits as a multiple of the documented ones (a
sandbox may run faster or slower), 0 for no pacing at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.blocks import Rendered
from bot.services import Services

CHANNEL_POSTS_PER_SECOND = 1.0  # chat.postMessage, per channel (Slack: "about 1 a second", bursts allowed briefly)
CHANNELS_KEY = "pacing.channels"
# chat.postMessage's workspace cap is "several hundred a minute" (the sandbox: 600 in any 60 s): a bucket lets at
# most burst + 60 s of its rate (590) through in any minute, close to the cap; the rest is left to the messages
# posted outside `deliver_once` (`bot.reply.tell_privately`'s DM when nothing else can reach the person).
WORKSPACE_POSTS_PER_MINUTE = 580
WORKSPACE_POSTS_BURST = 10
WORKSPACE_KEY = "pacing.workspace_posts"
# chat.update is Tier 3 (the sandbox: 50 in any 60 s): burst + 60 s of the rate = 50. Background edits leave
# UPDATES_RESERVE calls in the bucket, so that a card's edit does not queue behind a summary's.
UPDATES_PER_MINUTE = 40
UPDATES_BURST = 10
UPDATES_RESERVE = 4
UPDATES_KEY = "pacing.updates"


class Pacer:
    """A token bucket on the event loop's clock: `per_minute` calls on average, up to `burst` at once
    (`per_minute` 0: no pacing). Callers `await wait()` before each call; they are let through in order."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.burst = burst
        self.tokens = float(burst)
        self.stamp: float | None = None
        self._locks: dict[int, asyncio.Lock] = {}  # one line per reserve

    async def wait(self, *, reserve: int = 0) -> None:
        """Returns when a call may go. With `reserve`, only while that many tokens stay in the bucket: the
        caller yields to those passing a smaller one, who find tokens there (people before background work)."""
        if not self.interval:
            return
        assert 0 <= reserve < self.burst
        async with self._locks.setdefault(reserve, asyncio.Lock()):
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                if self.stamp is not None:
                    self.tokens = min(self.burst, self.tokens + (now - self.stamp) / self.interval)
                self.stamp = now
                if self.tokens >= 1 + reserve - 1e-9:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 + reserve - self.tokens) * self.interval)


class ChannelPacer:
    """One first-come queue per channel (or DM): a message goes `interval` seconds after the previous one
    in its channel returned (at once in a channel quiet for that long), so a burst runs at Slack's pace
    instead of collecting 429s. Channels never wait for each other; a quiet channel is forgotten."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}  # holding or awaiting the channel's turn
        self._last: dict[str, float] = {}  # when the channel's last message returned (until `interval` later)

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        if not self.interval:
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(channel, asyncio.Lock())
        self._users[channel] = self._users.get(channel, 0) + 1
        try:
            async with lock:
                if channel in self._last:
                    await asyncio.sleep(self._last[channel] + self.interval - loop.time())
                try:
                    yield
                finally:
                    self._last[channel] = loop.time()
        finally:
            self._users[channel] -= 1
            if not self._users[channel]:
                del self._users[channel], self._locks[channel]
                if channel in self._last:
                    loop.call_later(self.interval, self._forget, channel, self._last[channel])

    def _forget(self, channel: str, last: float) -> None:
        """A channel quiet since `last` needs no pacing: its entry goes (memory stays with the busy ones)."""
        if channel not in self._users and self._last.get(channel) == last:
            del self._last[channel]


def channel_pacer(services: Services) -> ChannelPacer:
    """The process's one `ChannelPacer`: every feature posting to a channel takes its turns from it."""
    found = services.extras.get(CHANNELS_KEY)
    if not isinstance(found, ChannelPacer):
        scale = services.settings.slack_rate_scale
        found = services.extras[CHANNELS_KEY] = ChannelPacer(1 / (CHANNEL_POSTS_PER_SECOND * scale) if scale else 0.0)
    return found


def _budget(services: Services, key: str, per_minute: float, burst: int) -> Pacer:
    """The process's one `Pacer` under `key` (kept with the services), at Slack's limits times the scale."""
    found = services.extras.get(key)
    if not isinstance(found, Pacer):
        found = services.extras[key] = Pacer(per_minute * services.settings.slack_rate_scale, burst)
    return found


def workspace_posts(services: Services) -> Pacer:
    """The process's one budget of `chat.postMessage` calls: every post takes a token, whichever feature makes it."""
    return _budget(services, WORKSPACE_KEY, WORKSPACE_POSTS_PER_MINUTE, WORKSPACE_POSTS_BURST)


def message_updates(services: Services) -> Pacer:
    """The process's one budget of `chat.update` calls (see `update_message`)."""
    return _budget(services, UPDATES_KEY, UPDATES_PER_MINUTE, UPDATES_BURST)


async def update_message(services: Services, channel: str, ts: str, message: Rendered, *,
                         background: bool = False) -> None:
    """`chat.update` in its turn: a background edit waits while the budget is down to the reserve."""
    await message_updates(services).wait(reserve=UPDATES_RESERVE if background else 0)
    await services.slack.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
