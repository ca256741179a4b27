"""Incoming load: signed slash commands and interactions (clicks on an escalation card) at increasing
rates against one and three `oneteam run` processes (HTTP mode) behind a round-robin "load balancer",
with the org's members loaded.

Prints, per rate: requests, acked within 3 s, p50/p99 time to ack, errors, the share of requests whose
answer the person saw (help in the ack, the click's refusal through response_url after it), how long after
the last request the instances were idle, and memory (RSS) per instance.
Targets: zero errors and every ack within 3 s at 200 requests/s; under 200 MB per instance with 10,000
members. Several instances need PostgreSQL (ONETEAM_TEST_PG = an admin URL); one instance runs on SQLite
when it is unset.

    python bench/load.py                 # 10,000 members, rates 50/100/200/s for 10 s, 1 and 3 instances
    python bench/load.py --short         # CI: 2,000 members, rates 50/200/s for 3 s
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: sandbox/ is not installed

from instances import idle, pct, rss_mb, start_instance, steady_client
from ruamel.yaml import YAML

from bot.orgfile import load
from sandbox.databases import scratch_postgres
from sandbox.driver import SlackDriver
from sandbox.harness import SIGNING_SECRET, populate_workspace
from sandbox.slack import Message, RateLimits, SlackSandbox

ACK_LIMIT = 3.0


def write_org(path: Path, members: int) -> None:
    """An internal team (its lead) and one vendor team: `members` people in all (an org file holds at most
    10,000)."""
    people = [{"email": "lead@acme.example", "name": "Lead", "slack_id": "U0LEAD", "timezone": "America/New_York"}]
    people += [{"email": f"agent{i}@vendor.example", "name": f"Agent {i}", "slack_id": f"U{i:07d}",
                "timezone": "Asia/Seoul"} for i in range(members - 1)]
    org = {
        "organisation": {"name": "Load"},
        "people": people,
        "teams": [
            {"key": "internal", "name": "Internal", "kind": "internal", "channel": "C0INT",
             "members": [{"email": "lead@acme.example", "roles": ["manager", "liaison"]}]},
            {"key": "vendor", "name": "Vendor", "kind": "vendor", "vendor": "BPO", "timezone": "Asia/Seoul",
             "channel": "C0VEN", "members": [{"email": "lead@acme.example", "roles": ["liaison"]}]
             + [p["email"] for p in people[1:]]},
        ],
    }
    with path.open("w") as f:
        YAML().dump(org, f)


async def fire(drivers: list[SlackDriver], users: list[str], card: Message, rate: int,
               seconds: float) -> list[tuple[int, float]]:
    """Open loop: request i is sent at i/rate whatever the answers do, round-robin over the instances;
    half are slash commands, half clicks on an escalation card."""
    results: list[tuple[int, float]] = []
    total = int(rate * seconds)
    start = time.monotonic()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        driver, user = drivers[i % len(drivers)], users[i % len(users)]
        if i % 2:  # an interaction: an agent clicks Acknowledge on the open escalation's card (and is refused)
            ack = await driver.block_action(user, "escalation_ack", value="1", block_id="esc_card_actions",
                                            message=card, channel_id=card.channel)
        else:
            ack = await driver.slash(user, "/oneteam", "help")
        results.append((ack.status, ack.elapsed))

    await asyncio.gather(*(one(i) for i in range(total)))
    return results


async def wait_for_card(sandbox: SlackSandbox) -> Message:
    for _ in range(600):  # the escalation's card, posted after the ack (up to a minute)
        if cards := sandbox.channel_messages("C0VEN"):
            return cards[0]
        await asyncio.sleep(0.1)
    raise RuntimeError("the escalation card never appeared")


async def run(members: int, rates: list[int], seconds: float, instance_counts: list[int]) -> None:
    pg = os.environ.get("ONETEAM_TEST_PG")
    if not pg:
        instance_counts = [1]
        print("ONETEAM_TEST_PG unset: one instance on SQLite only")
    tmp = Path(tempfile.mkdtemp(prefix="oneteam-load-"))
    org_file = tmp / "org.yml"
    write_org(org_file, members)
    spec = load(org_file)
    print(f"{members:,} members loaded; rates {rates}/s for {seconds:g} s each; ack limit {ACK_LIMIT:g} s")
    print(f"{'inst':>4} {'rate/s':>6} {'requests':>8} {'acked<3s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
          f" {'answered':>8} {'drain s':>7}  RSS MB per instance")
    for count in instance_counts:
        async with AsyncExitStack() as stack:
            sandbox = await stack.enter_async_context(
                SlackSandbox(signing_secret=SIGNING_SECRET, rate_limits=RateLimits(enabled=False)))
            populate_workspace(sandbox, spec)
            if count > 1 or pg:
                db_url = await stack.enter_async_context(scratch_postgres(pg))
            else:
                db_url = f"sqlite+aiosqlite:///{tmp / 'load.db'}"
            env = {**os.environ, "SLACK_BOT_TOKEN": sandbox.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                   "SLACK_API_URL": sandbox.base_url, "DATABASE_URL": db_url, "ONETEAM_SECRET": "load",
                   "ONETEAM_LOG_LEVEL": "WARNING"}
            env.pop("SLACK_APP_TOKEN", None)
            if not db_url.startswith("sqlite"):
                from storage.db import Database

                db = Database(db_url)
                await db.migrate()
                await db.dispose()
            instances = [await start_instance({**env, "ONETEAM_ORG": str(org_file), "ONETEAM_LOG_LEVEL": "INFO"},
                                              stack, "org applied")]
            for _ in range(count - 1):
                instances.append(await start_instance({**env, "ONETEAM_LOG_LEVEL": "INFO"}, stack, "listening"))
            drivers = [await stack.enter_async_context(SlackDriver(sandbox, bot_url=url, timeout=10))
                       for _, url in instances]
            users = [p.slack_id for p in spec.people]
            await drivers[0].slash("U0LEAD", "/escalate", "P3 team:vendor Queue latency above target")
            card = await wait_for_card(sandbox)
            async with asyncio.timeout(60):
                await idle(instances[0][1])  # the escalation's own confirmation and DMs are not counted below
            for rate in rates:
                shown = len(sandbox.ws.ephemeral_log)
                with steady_client():
                    results = await fire(drivers, users, card, rate, seconds)
                    sent = time.monotonic()
                    for _, url in instances:  # the refusals go out after their acks, through response_url
                        async with asyncio.timeout(300):
                            await idle(url)
                drained = time.monotonic() - sent
                answered = (len(sandbox.ws.ephemeral_log) - shown) / len(results)
                times = [e for s, e in results if s == 200]
                errors = sum(1 for s, _ in results if s != 200)
                within = sum(1 for s, e in results if s == 200 and e <= ACK_LIMIT)
                mem = " ".join(f"{rss_mb(pid):.0f}" for pid, _ in instances)
                print(f"{count:>4} {rate:>6} {len(results):>8} {within / len(results):>9.1%} "
                      f"{pct(times, 50) * 1000:>7.1f} {pct(times, 99) * 1000:>7.1f} {errors:>6} {answered:>8.1%} "
                      f"{drained:>7.1f}  {mem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="small and quick, for CI")
    args = parser.parse_args()
    if args.short:
        asyncio.run(run(2_000, [50, 200], 3, [1, 3]))
    else:
        asyncio.run(run(10_000, [50, 100, 200], 10, [1, 3]))


if __name__ == "__main__":
    main()
