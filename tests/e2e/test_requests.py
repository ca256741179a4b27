"""The real bot in HTTP mode and in Socket Mode, driven like Slack drives it."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from bot.clock import FakeClock
from sandbox.harness import Harness
from sandbox.slack import RateLimits, text_of
from sandbox.slack.ratelimit import DEFAULT_TIERS


async def test_help_is_an_ephemeral_answer_in_the_callers_language(harness: Harness) -> None:
    ack = await harness.command("sam@acme.example", "/oneteam", "help")
    assert ack.status == 200
    assert ack.body["response_type"] == "ephemeral"
    assert "/escalate" in text_of(ack.body) and "Customer Care (internal)" in text_of(ack.body)

    korean = await harness.command("minji@hanabpo.example", "/oneteam")
    assert "사용할 수 있는 기능" in text_of(korean.body)


async def test_unknown_subcommand_says_so_and_shows_help(harness: Harness) -> None:
    ack = await harness.command("sam@acme.example", "/oneteam", "frobnicate")
    assert "`/oneteam frobnicate`" in text_of(ack.body) and "/checkin" in text_of(ack.body)


async def test_someone_outside_the_org_is_told_how_to_get_in(harness: Harness) -> None:
    harness.sandbox.add_user("U0STRANGER", "stranger", email="x@acme.example")
    ack = await harness.driver.slash("U0STRANGER", "/oneteam", "help")
    assert ack.status == 200 and "not on any OneTeam team" in text_of(ack.body)


async def test_help_over_socket_mode(socket_harness: Harness) -> None:
    ack = await socket_harness.command("sam@acme.example", "/oneteam", "help")
    assert ack.status == 200
    assert "/escalate" in text_of(ack.body)


def _command_body(harness: Harness) -> bytes:
    return urlencode({"command": "/oneteam", "text": "help", "user_id": harness.user("sam@acme.example"),
                      "channel_id": "C0CARE", "team_id": harness.sandbox.team_id,
                      "response_url": harness.sandbox.new_response_url(harness.user("sam@acme.example"), "C0CARE"),
                      "trigger_id": "t"}).encode()


async def test_unsigned_wrongly_signed_and_stale_requests_get_401(harness: Harness) -> None:
    body = _command_body(harness)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    unsigned = await harness.driver.raw(body, form)
    wrong = await harness.driver.raw(body, {**form, "X-Slack-Request-Timestamp": str(int(time.time())),
                                            "X-Slack-Signature": "v0=" + "0" * 64})
    stale = await harness.driver.raw(body, {**form, **harness.driver.sign(body, int(time.time()) - 301)})
    fresh = await harness.driver.raw(body, {**form, **harness.driver.sign(body)})
    assert (unsigned.status, wrong.status, stale.status) == (401, 401, 401)
    assert fresh.status == 200  # the same body, correctly signed, is accepted
    user = harness.user("sam@acme.example")
    assert harness.sandbox.ephemerals(user) == [] and harness.sandbox.dms(user) == []


async def test_url_verification_echoes_the_challenge(harness: Harness) -> None:
    ack = await harness.driver.url_verification("c-123")
    assert ack.status == 200 and "c-123" in json.dumps(ack.body)


async def test_web_api_calls_share_kept_alive_connections(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 10:00 in Seoul: P3 pages go out now
    for n in range(3):
        await harness.command("priya@acme.example", "/escalate", f"P3 care-hana Queue stuck {n}")
        await harness.settle()
    posts = [c for c in harness.sandbox.calls if c.method == "chat.postMessage"]
    assert len(posts) >= 6 and len({c.connection for c in posts}) <= len(posts) // 2  # a new one per call without


async def test_healthz(harness: Harness) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(harness.server.url + "/healthz") as resp:
        assert resp.status == 200 and await resp.json() == {"ok": True, "work_in_flight": 0}


async def test_the_first_burst_after_a_start_is_answered_without_waiting_on_auth_test(
        clock: FakeClock, database_url: str) -> None:
    """Bolt's own authorization calls auth.test for each request until one has answered: 20 people acting at
    once right after a start made 20 calls, and past the method's limit some waited out a Retry-After (the
    person saw an error). The bot reads its identity once per process, before it listens."""
    limits = RateLimits(per_minute={**DEFAULT_TIERS, "auth.test": 5})
    async with Harness(clock=clock, database_url=database_url, rate_limits=limits) as h:
        await h.restart()
        h.sandbox.limiter.reset()
        before = len(h.sandbox.calls_to("auth.test"))
        people = [p.email for p in h.spec.people] * 2  # 22 requests
        acks = await asyncio.gather(*(h.command(email, "/oneteam", "help") for email in people))
    assert [a.status for a in acks] == [200] * len(people)
    assert all("/escalate" in text_of(a.body) for a in acks)
    assert len(h.sandbox.calls_to("auth.test")) == before  # read when the bot started
