"""How long the SLA tick takes as open escalations pile up.

Seeds 1,000, 5,000 and 10,000 open escalations (P1 to P4, clocks running, some waiting on the other side) on
one team of the example org, against the sandbox workspace, and times one SLA tick at a moment when 1% of them
reach a warning or a breach (each claimed, recorded and sent: thread line, DMs, card update). The floor is the
same tick when nothing is due (the indexed query alone). Target: under 1 s at 10,000, growth no worse than linear.

    python bench/sla_tick.py            # 1,000 / 5,000 / 10,000 open escalations
    python bench/sla_tick.py --short    # CI smoke: 200 / 500 / 1,000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from bot.clock import FakeClock
from bot.escalations import sla
from bot.escalations.policy import team_policy
from bot.escalations.service import advance_sla
from sandbox.harness import Harness
from storage.models import Escalation, Team

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 12:00 in Seoul: business hours
DUE_SHARE = 0.01
CHUNK = 5000
LIMIT_S = 1.0


async def seed(h: Harness, count: int) -> None:
    """`count` open escalations; every 100th has used exactly its warning share of the ack target by NOW."""
    async with h.services.sessions.begin() as session:
        team = await session.scalar(select(Team).where(Team.key == "care-hana"))
        assert team is not None
        cfg = team_policy(team)
        rows = []
        for i in range(count):
            severity = ("P1", "P2", "P3", "P4")[i % 4]
            due_now = i % round(1 / DUE_SHARE) == 0
            since = NOW - timedelta(minutes=1 if not due_now else 0)
            clock = sla.clock_for(severity, team, cfg)
            target = sla.target_seconds(severity, "ack", cfg, clock) or 0
            used = int(target * cfg.sla_warn_at) if due_now else 0
            state = sla.State(severity, False, False, used, since, 0)
            rows.append({
                "team_id": team.id, "state": "open", "severity": severity, "category": "quality",
                "summary": f"bench {i}", "details": "", "raiser_slack_id": h.user("priya@acme.example"),
                "raiser_name": "Priya", "level": 1, "rounds": 0, "step": 0, "synced_step": 0, "channel_id": "C0HANA",
                "channel_shared": False, "created_at": since, "reopen_count": 0, "jira_wanted": False,
                "sla_used_s": used, "sla_running_since": since, "sla_flags": 0,
                "waiting_on": "vendor" if i % 10 == 5 else None,
                "sla_next_at": None if i % 10 == 5 else sla.next_at(state, team, cfg)})
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(Escalation), rows[start:start + CHUNK])


async def one(count: int) -> tuple[float, float, int, float]:
    """(tick seconds with 1% due, floor seconds with nothing due, announced, seconds until all was sent)."""
    clock = FakeClock(NOW - timedelta(hours=1))
    async with Harness(clock=clock) as h:
        await seed(h, count)
        began = time.perf_counter()
        await advance_sla(h.services)  # nothing is due an hour before: the floor
        floor = time.perf_counter() - began
        clock.set(NOW)
        began = time.perf_counter()
        announced = await advance_sla(h.services)
        took = time.perf_counter() - began
        await h.settle()
        sent = time.perf_counter() - began
    return took, floor, announced, sent


async def main(sizes: tuple[int, ...]) -> int:
    results = []
    for count in sizes:
        took, floor, announced, sent = await one(count)
        results.append((count, took))
        print(f"{count:>6,} open escalations: SLA tick {took * 1000:7.1f} ms for {announced} announced "
              f"(floor {floor * 1000:5.1f} ms with nothing due); their messages all sent after {sent:.1f} s")
    (small, t_small), (big, t_big) = results[0], results[-1]
    growth = (t_big / t_small) / (big / small)
    print(f"growth {t_small * 1000:.1f} ms -> {t_big * 1000:.1f} ms for {big / small:.0f}x the escalations "
          f"({growth:.2f}x linear)")
    ok = t_big < LIMIT_S and growth <= 1.5
    print("OK" if ok else f"FAILED: the tick must stay under {LIMIT_S} s and grow no worse than linearly")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="small sizes for CI")
    args = parser.parse_args()
    sys.exit(asyncio.run(main((200, 500, 1000) if args.short else (1000, 5000, 10000))))
