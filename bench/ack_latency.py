"""Time to ack `/escalate P3 ...`: the real bot (sandbox Harness: bot in HTTP mode, sandbox Slack, SQLite)
versus a bare slack-bolt AsyncApp that only acks, served by the same aiohttp adapter on loopback.

Sends signed slash commands at a fixed concurrency and prints p50/p99 time to ack for both and the
ratio. Targets: every request acked (HTTP 200), p99 ratio at most 1.5. The real bot keeps working after
each ack (the escalation, its card and DMs); the run waits for that work and checks every escalation
exists, so the figure is not bought by dropping work.

    python bench/ack_latency.py              # 2,000 requests at concurrency 50
    python bench/ack_latency.py --short      # CI smoke: 200 requests
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from types import SimpleNamespace

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.server import build_web_app
from sandbox.driver import Ack, SlackDriver
from sandbox.harness import SIGNING_SECRET, Harness
from storage.models import Escalation

RAISERS = ("priya@acme.example", "dana@acme.example", "sam@acme.example", "minji@hanabpo.example")
TARGET_RATIO = 1.5


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def fire(driver: SlackDriver, users: list[str], total: int, concurrency: int) -> list[Ack]:
    """`total` signed `/escalate P3 care-hana ...` commands, `concurrency` in flight at once."""
    queue = iter(range(total))
    acks: list[Ack] = []

    async def worker() -> None:
        for i in queue:
            acks.append(await driver.slash(users[i % len(users)], "/escalate",
                                           f"P3 care-hana Bench issue {i}: queue latency above target"))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return acks


async def bare_server(h: Harness) -> tuple[web.AppRunner, str]:
    """slack-bolt with nothing but an ack, behind the same aiohttp handler the bot uses (and, like the
    bot, authorised once with auth.test against the sandbox)."""
    client = AsyncWebClient(token=h.sandbox.bot_token, base_url=h.sandbox.base_url)
    app = AsyncApp(signing_secret=SIGNING_SECRET, client=client, process_before_response=False)

    async def escalate(ack: AsyncAck) -> None:
        await ack()

    app.command("/escalate")(escalate)

    runner = web.AppRunner(build_web_app(app, SimpleNamespace(extras={})), access_log=None)  # type: ignore[arg-type]
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"


def report(name: str, acks: list[Ack], seconds: float) -> tuple[float, float, int]:
    ok = [a.elapsed * 1000 for a in acks if a.ok]
    p50, p99 = (pct(ok, 50), pct(ok, 99)) if ok else (float("nan"), float("nan"))
    print(f"{name:<10} {len(acks):>8} {len(ok):>6} {p50:>8.1f} {p99:>8.1f} {len(acks) / seconds:>8.0f}")
    return p50, p99, len(ok)


async def run(total: int, concurrency: int) -> int:
    async with Harness() as h:
        users = [h.user(e) for e in RAISERS]
        print(f"{total:,} signed `/escalate P3 ...` requests at concurrency {concurrency}, loopback HTTP")
        print(f"{'server':<10} {'requests':>8} {'acked':>6} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")

        runner, url = await bare_server(h)
        async with SlackDriver(h.sandbox, bot_url=url) as bare_driver:
            await fire(bare_driver, users, min(total, 50), concurrency)  # warm-up
            started = time.perf_counter()
            bare = await fire(bare_driver, users, total, concurrency)
            _, bare_p99, _ = report("bare bolt", bare, time.perf_counter() - started)
        await runner.cleanup()

        async with SlackDriver(h.sandbox, bot_url=h.server.events_url) as driver:
            started = time.perf_counter()
            real = await fire(driver, users, total, concurrency)
            elapsed = time.perf_counter() - started
            _, real_p99, acked = report("oneteam", real, elapsed)
            await h.settle(limit=600)
        async with h.services.sessions() as session:
            created = await session.scalar(select(func.count()).select_from(Escalation))
        ratio = real_p99 / bare_p99 if bare_p99 else float("inf")
        print(f"p99 ratio oneteam/bare: {ratio:.2f} (target <= {TARGET_RATIO}); "
              f"every request acked: {acked == total}; escalations created: {created:,}/{total:,}")
        return 0 if acked == total and created == total else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="CI smoke run: 200 requests")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    sys.exit(asyncio.run(run(200 if args.short else args.requests, args.concurrency)))


if __name__ == "__main__":
    main()
