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
