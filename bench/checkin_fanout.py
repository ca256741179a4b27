"""Benchmark: the weekly check-in fan-out to thousands of members against the sandbox's Slack limits.

    python bench/checkin_fanout.py            # 5,000 members, chat.postMessage limits scaled 4x
    python bench/checkin_fanout.py --short    # 300 members (CI smoke run)

The sandbox enforces Slack's documented chat.postMessage shape: about 1 per second per channel and a
workspace-wide cap per minute (a sliding window), answering 429 with Retry-After. `--scale` multiplies
those limits (same shape) so that the full run finishes in about a minute; the output says so.
The theoretical minimum is what the window allows with zero latency: the last of N messages can go
once floor((N-1)/cap) windows have passed.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.orgfile import OrgFile

FRIDAY_1600_UTC = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def bulk_org(n: int, *, team_key: str = "bulk") -> OrgFile:
    """An org with one UTC team of `n` workspace members and default check-in settings (status check on)."""
    people = [{"email": f"p{i:05d}@bulk.example", "name": f"Person {i}", "slack_id": f"U1{i:06d}",
               "timezone": "UTC"} for i in range(n)]
    return OrgFile.model_validate({
        "organisation": {"name": "Bulk"},
        "people": people,
        "teams": [{"key": team_key, "name": "Bulk team", "kind": "internal", "timezone": "UTC",
                   "members": [p["email"] for p in people],
                   "checkins": {"time": "16:00"}}],
    })


async def run(n: int, scale: float, concurrency: int) -> dict[str, float]:
    from bot.checkins.fanout import open_rounds, send_due_prompts
    from bot.clock import FakeClock
    from bot.events import EventBus
    from sandbox.harness import Harness
    from sandbox.slack import RateLimits

    limits = RateLimits(enabled=False, scale=scale)  # switched on for the fan-out only, not the org set-up
    clock = FakeClock(FRIDAY_1600_UTC.replace(hour=12))
    async with Harness(org=bulk_org(n), clock=clock, rate_limits=limits) as h:
        await open_rounds(h.services)
        clock.set(FRIDAY_1600_UTC)
        h.services.events = EventBus()  # App Home refreshes are another feature's work, not the fan-out's
        limits.enabled = True
        h.sandbox.limiter.reset()
        started = time.perf_counter()
        await send_due_prompts(h.services, concurrency=concurrency)
        elapsed = time.perf_counter() - started
        per_user = Counter(m.channel for m in _all_dms(h))
    cap = math.floor(limits.post_message_per_minute * scale)
    minimum = math.floor((n - 1) / cap) * 60.0
    return {"members": n, "elapsed": elapsed, "minimum": minimum, "cap": cap,
            "duplicates": sum(c - 1 for c in per_user.values() if c > 1), "missing": n - len(per_user)}


def _all_dms(h: object) -> list:
    ws = h.sandbox.ws  # type: ignore[attr-defined]
    return [m for cid, msgs in ws.messages.items() if cid.startswith("D") for m in msgs if not m.is_reply]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--short", action="store_true", help="300 members, limits scaled 0.4x (CI)")
    args = parser.parse_args()
    n, scale = (300, 0.4) if args.short else (args.members, args.scale)
    r = asyncio.run(run(n, scale, args.concurrency))
    ratio = r["elapsed"] / r["minimum"] if r["minimum"] else float("nan")
    print(f"check-in fan-out: {n} members, chat.postMessage limits scaled {scale:g}x "
          f"(workspace cap {r['cap']}/min, 1/s per channel)")
    print("  (App Home refreshes triggered by the prompts are not part of the timing)")
    print(f"  total time          {r['elapsed']:.1f} s")
    print(f"  theoretical minimum {r['minimum']:.1f} s")
    print(f"  ratio               {ratio:.3f} (target <= 1.10)")
    print(f"  duplicates          {r['duplicates']}")
    print(f"  missing             {r['missing']}")
    sys.exit(0 if r["duplicates"] == 0 and r["missing"] == 0 else 1)


if __name__ == "__main__":
    main()
