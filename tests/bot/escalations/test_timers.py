"""Due times: P1/P2 run around the clock; P3/P4 only in the team's business hours."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.escalations.config import EscalationConfig
from bot.escalations.timers import due_after
from storage.models import Team

SEOUL = "Asia/Seoul"
CFG = EscalationConfig()
TEAM = Team(key="care-hana", name="Hana BPO", timezone=SEOUL, config={})
KOREAN = Team(key="care-hana", name="Hana BPO", timezone=SEOUL, config={"calendar": {"country": "KR"}})


def seoul(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(SEOUL)).astimezone(UTC)


def test_p1_counts_wall_clock_minutes_even_at_night():
    start = seoul(2026, 11, 20, 23, 50)  # a Friday night
    assert due_after(start, "15m", "P1", CFG, TEAM) == seoul(2026, 11, 21, 0, 5)


def test_p3_stops_the_clock_out_of_hours_and_over_the_weekend():
    start = seoul(2026, 11, 20, 16, 0)  # Friday 16:00: 2 h left today, 2 h on Monday
    assert due_after(start, "4h", "P3", CFG, TEAM) == seoul(2026, 11, 23, 11, 0)


def test_p3_raised_before_opening_starts_counting_at_opening():
    start = seoul(2026, 11, 23, 6, 30)  # Monday, before 09:00
    assert due_after(start, "4h", "P3", CFG, TEAM) == seoul(2026, 11, 23, 13, 0)


def test_p4_is_due_at_close_of_the_next_business_day():
    assert due_after(seoul(2026, 11, 20, 10, 0), "next_business_day", "P4", CFG, TEAM) == seoul(2026, 11, 23, 18, 0)
    assert due_after(seoul(2026, 11, 23, 10, 0), "next_business_day", "P4", CFG, TEAM) == seoul(2026, 11, 24, 18, 0)


def test_no_timer_means_none():
    assert due_after(seoul(2026, 11, 20, 10, 0), None, "P3", CFG, TEAM) is None


def test_p3_and_p4_skip_the_public_holidays_of_the_team_calendar():
    start = seoul(2026, 9, 23, 16, 0)  # Wednesday before Chuseok (Thu 24 to Sat 26)
    assert due_after(start, "4h", "P3", CFG, TEAM) == seoul(2026, 9, 24, 11, 0)
    assert due_after(start, "4h", "P3", CFG, KOREAN) == seoul(2026, 9, 28, 11, 0)
    assert due_after(start, "next_business_day", "P4", CFG, KOREAN) == seoul(2026, 9, 28, 18, 0)
