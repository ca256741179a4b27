"""Rate limits (429 + Retry-After on the sandbox clock), fault injection, response_url rules."""

from __future__ import annotations

import types

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler, AsyncServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import TIMEOUT, RateLimits, SlackSandbox


@pytest.fixture
async def limited(tick) -> SlackSandbox:
    limits = RateLimits(per_minute={"users.info": 2}, post_message_per_channel_per_second=1,
                        post_message_per_minute=3)
    sb = SlackSandbox(clock=tick, rate_limits=limits)
    sb.add_user("U0ALICE", "alice")
    await sb.start()
    yield sb
    await sb.stop()


@pytest.fixture
def fake_sleep(monkeypatch: pytest.MonkeyPatch, tick) -> list[float]:
    """The SDK's retry handler sleeps Retry-After: advance the sandbox clock instead of waiting."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        tick.advance(seconds)

    monkeypatch.setattr(builtin_async_handlers, "asyncio", types.SimpleNamespace(sleep=sleep))
    return slept


async def test_429_with_retry_after(limited: SlackSandbox, tick) -> None:
    bare = AsyncWebClient(token=limited.bot_token, base_url=limited.base_url)
    await bare.users_info(user="U0ALICE")
    await bare.users_info(user="U0ALICE")
    tick.advance(15)
    with pytest.raises(SlackApiError) as exc:
        await bare.users_info(user="U0ALICE")
    assert exc.value.response.status_code == 429 and exc.value.response["error"] == "ratelimited"
    assert exc.value.response.headers["Retry-After"] == "45"
    tick.advance(45)
    assert (await bare.users_info(user="U0ALICE"))["ok"]


async def test_sdk_retry_handler_recovers(limited: SlackSandbox, fake_sleep: list[float]) -> None:
    client = AsyncWebClient(token=limited.bot_token, base_url=limited.base_url,
                            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])
    await client.chat_postMessage(channel="U0ALICE", text="1")
    await client.chat_postMessage(channel="U0ALICE", text="2")  # same channel within 1 s: 429, retried
    assert len(fake_sleep) == 1 and 1 <= fake_sleep[0] < 2
    assert [m.text for m in limited.dms("U0ALICE")] == ["1", "2"]
    assert [c.status for c in limited.calls_to("chat.postMessage")] == [200, 429, 200]


async def test_post_message_workspace_cap_and_scale(tick) -> None:
    limits = RateLimits(post_message_per_minute=2, scale=2)
    async with SlackSandbox(clock=tick, rate_limits=limits) as sb:
        for i in range(4):
            sb.add_channel(f"C{i}", f"c{i}")
        client = AsyncWebClient(token=sb.bot_token, base_url=sb.base_url)
        for i in range(4):
            await client.chat_postMessage(channel=f"C{i}", text="x")
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel="C0GENERAL", text="x")
        assert exc.value.response.status_code == 429


async def test_injected_faults(sandbox: SlackSandbox) -> None:
    sandbox.inject(method="chat.postMessage", status=503, times=2)
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.base_url, retry_handlers=[
        AsyncServerErrorRetryHandler(max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0))])
    await client.chat_postMessage(channel="C0GENERAL", text="after two 503s")
    assert [c.status for c in sandbox.calls_to("chat.postMessage")] == [503, 503, 200]
    assert len(sandbox.channel_messages("C0GENERAL")) == 1
    assert (await client.auth_test())["ok"]  # other methods unaffected


async def test_random_faults_are_seeded(sandbox: SlackSandbox) -> None:
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.base_url)

    async def run() -> list[int]:
        sandbox.calls.clear()
        sandbox.inject_random(rate=0.5, statuses=(429, 500), seed=7)
        for _ in range(20):
            try:
                await client.auth_test()
            except SlackApiError:
                pass
        return [c.status for c in sandbox.calls]

    first = await run()
    assert first == await run()
    assert 200 in first and set(first) - {200} <= {429, 500} and len(set(first)) > 1


async def test_timeout_fault_hangs_until_client_gives_up(sandbox: SlackSandbox) -> None:
    sandbox.inject(method="users.info", status=TIMEOUT)
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.base_url, timeout=0.2)
    with pytest.raises(TimeoutError):
        await client.users_info(user="U0ALICE")
    assert sandbox.calls_to("users.info")[0].status == 0
    assert (await client.users_info(user="U0ALICE"))["ok"]


async def _post(url: str, body: dict) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
        return resp.status, await resp.json()


async def test_response_url_five_uses(sandbox: SlackSandbox) -> None:
    url = sandbox.new_response_url("U0ALICE", "C0TEAM")
    for i in range(5):
        status, body = await _post(url, {"text": f"update {i}"})
        assert status == 200 and body["ok"]
    status, body = await _post(url, {"text": "one too many"})
    assert status == 404 and body["error"] == "used_url"
    assert [m.text for m in sandbox.ephemerals("U0ALICE")] == [f"update {i}" for i in range(5)]
    assert sandbox.channel_messages("C0TEAM") == []


async def test_response_url_in_channel_replace_and_expiry(sandbox: SlackSandbox, client: AsyncWebClient,
                                                          tick) -> None:
    posted = await client.chat_postMessage(channel="C0TEAM", text="original")
    url = sandbox.new_response_url("U0BOB", "C0TEAM", posted["ts"])
    assert (await _post(url, {"text": "for all", "response_type": "in_channel"}))[0] == 200
    assert (await _post(url, {"text": "replaced", "replace_original": True}))[0] == 200
    assert [m.text for m in sandbox.channel_messages("C0TEAM")] == ["replaced", "for all"]
    assert sandbox.channel_messages("C0TEAM")[0].updated
    tick.advance(31 * 60)
    status, body = await _post(url, {"text": "late"})
    assert status == 404 and body["error"] == "expired_url"
