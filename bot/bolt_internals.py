"""Every use of Bolt's private or undocumented internals, in one place (slack-bolt is pinned to major 1).

Bolt has no public hook around a listener call, and no way to say that a built-in matcher needs only the body.
OneTeam needs both (see `bot.app.guard_listeners` and README "Two details of the ack path"), so this module:
- walks the app's registered listeners (`AsyncApp._async_listeners`, private);
- replaces a custom listener's `ack_function` and `arg_names` (Bolt builds only the arguments named there for
  each call) with a wrapper's;
- swaps Bolt's built-in matchers (`AsyncBuiltinListenerMatcher.func` / `.arg_names`) for `BodyMatcher`.
tests/bot/test_ack_path.py pins the behaviour this relies on: a Bolt upgrade that changes it fails there.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeGuard

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_listener import AsyncCustomListener, AsyncListener
from slack_bolt.listener_matcher.async_builtins import AsyncBuiltinListenerMatcher
from slack_bolt.listener_matcher.async_listener_matcher import AsyncListenerMatcher
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

Listener = Callable[..., Awaitable[Any]]
Wrap = Callable[[Listener, frozenset[str]], Listener]
MARK = "guarded"  # set on a wrapper, so that wrapping twice is a no-op


def listeners(app: AsyncApp) -> Iterator[AsyncListener]:
    """The app's registered listeners, in Bolt's order."""
    yield from app._async_listeners


def wrap_listeners(app: AsyncApp, wrap: Wrap, extra_args: frozenset[str]) -> None:
    """Replaces each custom listener's function by `wrap(function, the arguments it takes)`; Bolt then passes
    the wrapper those arguments plus `extra_args`. Built-in body-only matchers become `BodyMatcher`s."""
    for listener in listeners(app):
        if not isinstance(listener, AsyncCustomListener) or getattr(listener.ack_function, MARK, False):
            continue  # every listener registered with app.command/action/view/event is a custom one
        wanted = frozenset(inspect.getfullargspec(inspect.unwrap(listener.ack_function)).args)
        wrapped = wrap(listener.ack_function, wanted)
        setattr(wrapped, MARK, True)
        listener.ack_function = wrapped
        listener.arg_names = sorted(wanted | extra_args)  # Bolt builds only these for each call
        listener.matchers = [BodyMatcher(m) if BodyMatcher.fits(m) else m for m in listener.matchers]


class BodyMatcher(AsyncListenerMatcher):
    """Bolt's built-in matchers (command name, action_id, callback_id, event type) read only the body, but
    Bolt builds every injectable argument for each one it tries, and it tries them listener by listener
    until one matches: this calls the same test with the body alone."""

    def __init__(self, builtin: AsyncBuiltinListenerMatcher) -> None:
        self.func = builtin.func

    @staticmethod
    def fits(matcher: AsyncListenerMatcher) -> TypeGuard[AsyncBuiltinListenerMatcher]:
        return isinstance(matcher, AsyncBuiltinListenerMatcher) and list(matcher.arg_names) == ["body"]

    async def async_matches(self, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        matched = self.func(body=req.body)  # an AsyncApp's built-in matchers are coroutines
        return await matched if inspect.isawaitable(matched) else matched
