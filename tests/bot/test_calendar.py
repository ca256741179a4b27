"""Local working hours: the shared arithmetic features use to message people at a decent hour."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.calendar import EVERY_DAY, is_working, next_working, zone

SEOUL = zone("Asia/Seoul")


def test_working_hours_are_local_and_skip_the_weekend() -> None:
    friday_night = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Friday 21:00 in Seoul
    assert not is_working(friday_night, SEOUL)
    assert next_working(friday_night, SEOUL) == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Monday 08:00
    assert next_working(friday_night, SEOUL, days=EVERY_DAY) == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    monday_morning = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 10:30 in Seoul
    assert is_working(monday_morning, SEOUL) and next_working(monday_morning, SEOUL) == monday_morning


def test_a_bad_zone_falls_back() -> None:
    assert zone("Mars/Olympus", "Asia/Seoul") == SEOUL
    assert str(zone(None, None)) == "UTC"
