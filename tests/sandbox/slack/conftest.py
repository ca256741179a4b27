"""Fixtures for the Slack sandbox's own tests: a started sandbox on a fake clock and SDK clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import RateLimits, SlackSandbox


class Tick:
    """A settable clock for the sandbox (triggers, response_urls, rate windows)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def tick() -> Tick:
    return Tick()


@pytest.fixture
async def sandbox(tick: Tick) -> AsyncIterator[SlackSandbox]:
    sb = SlackSandbox(clock=tick, rate_limits=RateLimits(enabled=False))
    sb.add_user("U0ALICE", "alice", email="alice@example.com", tz="Europe/Berlin", locale="de-DE")
    sb.add_user("U0BOB", "bob", email="bob@example.com")
    sb.add_user("U0VEND", "vera", email="vera@vendor.example", team_id="T0VENDOR")
    sb.add_channel("C0TEAM", "team", members=["U0ALICE", "U0BOB"])
    await sb.start()
    yield sb
    await sb.stop()


@pytest.fixture
def client(sandbox: SlackSandbox) -> AsyncWebClient:
    return AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.base_url,
                          retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])


def _modal(callback_id: str = "cb", *, blocks: list | None = None, **extra: object) -> dict:
    """A minimal valid modal view."""
    view = {"type": "modal", "callback_id": callback_id, "title": {"type": "plain_text", "text": "Title"},
            "submit": {"type": "plain_text", "text": "Save"},
            "blocks": blocks if blocks is not None else [
                {"type": "input", "block_id": "summary", "label": {"type": "plain_text", "text": "Summary"},
                 "element": {"type": "plain_text_input", "action_id": "v"}}]}
    view.update(extra)
    return view


@pytest.fixture
def modal() -> Callable[..., dict]:
    """Builder of minimal valid modals."""
    return _modal
