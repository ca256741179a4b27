"""Dependencies sized to use: starting the bot loads no chart library, holiday tables or database driver it
was not asked for (matplotlib loads for a chart, `holidays` for a calendar given a country, asyncpg for
PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "holidays", "jira", "requests", "asyncpg")


def test_starting_the_bot_loads_nothing_heavy() -> None:
    code = ("import sys, bot.cli, bot.app, bot.services, bot.wiring, handlers, schedules\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_calendar_with_a_country_loads_its_holidays() -> None:
    code = ("import sys; from bot.calendar import Calendar, Closed\n"
            "Calendar('UTC'); assert 'holidays' not in sys.modules\n"
            "Calendar('Asia/Seoul', holidays=Closed('KR')); assert 'holidays' in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


DIGEST_WITH_CHART = """
import asyncio, sys
from datetime import UTC, datetime
from bot.clock import FakeClock
from sandbox.harness import Harness
from schedules import digest

async def main():
    async with Harness(clock=FakeClock()) as h:
        await h.command("sam@acme.example", "/kpi", "set csat 4.8 care-hana 2026-W47")
        await h.settle()
        h.clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York
        await digest.tick(h.services)
        charts = [f for f in h.sandbox.files() if f["bytes"].startswith(b"\\x89PNG")]
    print(len(charts), "matplotlib" in sys.modules)

asyncio.run(main())
"""


def test_the_weekly_digest_draws_its_charts_in_a_child_process() -> None:
    """matplotlib would stay in a long-running bot for good after the first weekly digest (bench/soak.py: RSS
    152 -> 176 MB the minute the digest went out), and drawing would hold the GIL while people wait for acks."""
    out = subprocess.run([sys.executable, "-c", DIGEST_WITH_CHART], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    charts, loaded = out.stdout.split()[-2:]
    assert int(charts) >= 1 and loaded == "False"
