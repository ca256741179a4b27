"""Benchmark: a burst of P1 raises into one team channel with Slack's real limits (scale 1).

    python bench/escalation_burst.py            # 100 raises within 10 s
    python bench/escalation_burst.py --short    # CI: 20 raises within 2 s

`oneteam run` runs as its own process (HTTP mode, SQLite, default settings, the example org applied at
start); signed `/escalate P1 care-hana ...` commands go to it through the sandbox driver at an even pace.
The sandbox enforces Slack's per-method limits at scale 1: chat.postMessage about 1/s per channel (a DM
channel included) and 600/min per workspace.

Prints the level-1 DM latency (from sending the raise to Slack accepting the DM) p50/p99/max beside its
floor, and the card times beside theirs. The floor is what those limits allow with zero processing time:
messages to one channel leave 1 s apart in the order of the raises, none before its raise, and at most 600
in any minute across the workspace (cards and DMs together). Every level-1 responder gets one DM per raise,
so one responder's DMs queue at 1/s exactly like the cards: the floor of the k-th DM is max(raise k, DM k-1
+ 1 s). Exit 1 only on a correctness failure (a duplicate or a missing card or DM).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from contextlib import AsyncExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: sandbox/ is not installed

from instances import idle, pct, per_minute, start_instance, steady_client

from bot.orgfile import load
from sandbox.driver import SlackDriver
from sandbox.harness import EXAMPLE_ORG, SIGNING_SECRET, populate_workspace
from sandbox.slack import RateLimits, SlackSandbox

CHANNEL = "C0HANA"  # care-hana's channel in examples/org.yml
RAISER = "priya@acme.example"
TAG = re.compile(r"Burst #(\d+)\b")


def floors(raised: list[float], channel: str, responders: list[str], limits: RateLimits) -> dict[str, list[float]]:
    """Earliest time Slack's limits let each message go, per recipient, in raise order (see the docstring)."""
    gap = 1 / (limits.post_message_per_channel_per_second * limits.scale)
    cap = per_minute(limits, "chat.postMessage")
    last: dict[str, float] = {}
    window: deque[float] = deque()
    out: dict[str, list[float]] = defaultdict(list)
    for at in raised:
        for to in [*responders, channel]:  # the DMs first, then the card (as the bot sends them)
            t = max(at, last.get(to, -1e9) + gap)
            while window and window[0] <= t - 60:
                window.popleft()
            if len(window) >= cap:
                t = window[-cap] + 60
            window.append(t)
            last[to] = t
            out[to].append(t)
    return out


async def run(n: int, seconds: float) -> int:
    spec = load(EXAMPLE_ORG)
    limits = RateLimits()  # Slack's limits at scale 1
    tmp = Path(tempfile.mkdtemp(prefix="oneteam-burst-"))
    async with AsyncExitStack() as stack:
        sandbox = await stack.enter_async_context(SlackSandbox(signing_secret=SIGNING_SECRET, rate_limits=limits))
        users = populate_workspace(sandbox, spec)
        env = {**os.environ, "SLACK_BOT_TOKEN": sandbox.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": sandbox.base_url, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'burst.db'}",
               "ONETEAM_SECRET": "burst", "ONETEAM_ORG": str(EXAMPLE_ORG), "ONETEAM_LOG_LEVEL": "INFO"}
        env.pop("SLACK_APP_TOKEN", None)
        _, url = await start_instance(env, stack, "org applied")
        async with asyncio.timeout(120):
            await idle(url)
        driver = await stack.enter_async_context(SlackDriver(sandbox, bot_url=url, timeout=30))
        raiser = users[RAISER]
        raised: list[float] = [0.0] * n
        start = time.monotonic()

        async def one(i: int) -> int:
            await asyncio.sleep(max(0.0, start + i * seconds / n - time.monotonic()))
            raised[i] = time.monotonic()  # the sandbox's clock: its recorded calls are comparable
            ack = await driver.slash(raiser, "/escalate", f"P1 care-hana Burst #{i} refunds stuck")
            return ack.status

        with steady_client():
            statuses = await asyncio.gather(*(one(i) for i in range(n)))

            def posts() -> list:
                return [c for c in sandbox.calls if c.method == "chat.postMessage" and c.status == 200
                        and TAG.search(c.args.get("text") or "")]

            async with asyncio.timeout(n * 3 + 120):
                while True:
                    sent = posts()
                    cards = [c for c in sent if c.args["channel"] == CHANNEL and not c.args.get("thread_ts")]
                    dm_tags = {(c.args["channel"], TAG.search(c.args["text"]).group(1))
                               for c in sent if c.args["channel"] != CHANNEL}
                    recipients = {to for to, _ in dm_tags}
                    if len(cards) >= n and recipients and len(dm_tags) >= n * len(recipients):
                        break
                    await asyncio.sleep(0.2)
                await idle(url)
        sent = posts()
    per_message = Counter((c.args["channel"], c.args.get("thread_ts"), TAG.search(c.args["text"]).group(1))
                          for c in sent)
    duplicates = sum(k - 1 for k in per_message.values() if k > 1)
    responders = sorted({c.args["channel"] for c in sent if c.args["channel"] != CHANNEL})
    first: dict[tuple[str, int], float] = {}
    for c in sent:
        key = (c.args["channel"], int(TAG.search(c.args["text"]).group(1)))
        first.setdefault(key, c.time)
    missing = sum((to, i) not in first for to in [*responders, CHANNEL] for i in range(n))
    order = sorted(range(n), key=lambda i: raised[i])
    floor = floors([raised[i] for i in order], CHANNEL, responders, limits)
    dm_lat = [first[(to, i)] - raised[i] for to in responders for i in range(n) if (to, i) in first]
    dm_floor = [floor[to][k] - raised[i] for to in responders for k, i in enumerate(order)]
    card_at = sorted(first[(CHANNEL, i)] - start for i in range(n) if (CHANNEL, i) in first)
    card_floor = sorted(t - start for t in floor[CHANNEL])
    errors = sum(s != 200 for s in statuses)

    print(f"escalation burst: {n} P1 raises into one channel within {seconds:g} s, `oneteam run` as its own "
          f"process (SQLite, default settings), Slack limits at scale 1")
    print(f"  level-1 responders: {len(responders)} (each gets one DM per raise); acks not 200: {errors}")
    print("  floor: chat.postMessage 1/s per channel (a DM channel too) and 600/min per workspace; the k-th DM to a")
    print("         responder leaves no earlier than max(its raise, DM k-1 + 1 s), the k-th card likewise in the")
    print(f"         channel; {n * (len(responders) + 1)} messages in the burst against a cap of 600/min")
    print(f"  {'':30} {'measured':>9} {'floor':>9} {'ratio':>7}")
    for label, q in (("DM latency p50", 50), ("DM latency p99", 99)):
        m, f = pct(dm_lat, q), pct(dm_floor, q)
        print(f"  {label:30} {m:>8.1f}s {f:>8.1f}s {m / f if f else float('nan'):>7.2f}"
              + ("  (target <= 1.2)" if q == 99 else ""))
    m, f = max(dm_lat, default=float("nan")), max(dm_floor, default=float("nan"))
    print(f"  {'DM latency max':30} {m:>8.1f}s {f:>8.1f}s {m / f if f else float('nan'):>7.2f}")
    for label, k in (("first card", 0), (f"card #{n // 2}", n // 2 - 1), (f"card #{n} (last)", n - 1)):
        if k < len(card_at):
            print(f"  {label + ' after start':30} {card_at[k]:>8.1f}s {card_floor[k]:>8.1f}s "
                  f"{card_at[k] / card_floor[k] if card_floor[k] else float('nan'):>7.2f}")
    print(f"  {'duplicates':30} {duplicates:>9}")
    print(f"  {'missing':30} {missing:>9}")
    return 0 if duplicates == 0 and missing == 0 and errors == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raises", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--short", action="store_true", help="20 raises within 2 s (CI)")
    args = parser.parse_args()
    n, seconds = (20, 2.0) if args.short else (args.raises, args.seconds)
    sys.exit(asyncio.run(run(n, seconds)))


if __name__ == "__main__":
    main()
