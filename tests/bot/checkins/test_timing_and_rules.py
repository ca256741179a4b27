"""Pure rules of check-ins: due times in each zone, the reminder window, config validation, answer checks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from bot.calendar import Calendar, week_of, zone
from bot.checkins.config import DEFAULT_QUESTIONS, CheckinConfig
from bot.checkins.service import validate

FRIDAY = date(2026, 11, 20)
WINDOW = CheckinConfig().window


def test_same_local_time_in_each_zone():
    cfg = CheckinConfig()
    assert Calendar(zone("Asia/Seoul", "UTC")).at(FRIDAY, cfg.local_time) == datetime(2026, 11, 20, 7, tzinfo=UTC)
    new_york = Calendar(zone("America/New_York", "UTC"))
    assert new_york.at(FRIDAY, cfg.local_time) == datetime(2026, 11, 20, 21, tzinfo=UTC)
    assert week_of(FRIDAY) == "2026-W47"


def test_member_zone_falls_back_to_the_team_then_utc():
    assert zone(None, "Asia/Seoul").key == "Asia/Seoul"
    assert zone("Not/AZone", "America/New_York").key == "America/New_York"


def test_reminders_stay_inside_the_local_window():
    seoul = Calendar(zone("Asia/Seoul", "UTC"))
    at_20_kst = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    assert seoul.in_window(at_20_kst, *WINDOW) == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 08:00 next day
    at_07_kst = datetime(2026, 11, 19, 22, 0, tzinfo=UTC)
    assert seoul.in_window(at_07_kst, *WINDOW) == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # 08:00 same day
    at_noon_kst = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert seoul.in_window(at_noon_kst, *WINDOW) == at_noon_kst
    assert seoul.tomorrow_at(at_noon_kst, WINDOW[0]) == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


def test_config_defaults_and_mistakes():
    cfg = CheckinConfig()
    assert (cfg.weekday, cfg.time, cfg.remind_after_hours, cfg.close_after_hours) == ("fri", "16:00", 4, 72)
    assert [q.key for q in cfg.questions] == ["done", "next", "blockers", "mood", "other_side"]
    for bad in ({"time": "4pm"}, {"weekday": "someday"}, {"reminder_window": ["20:00", "08:00"]},
                {"questions": [{"key": "custom"}]}, {"questions": [{"key": "done"}, {"key": "done"}]},
                {"surprise": 1}):
        with pytest.raises(ValidationError):
            CheckinConfig.model_validate(bad)


def test_validate_answers():
    qs = list(DEFAULT_QUESTIONS)
    answers, errors = validate(qs, {"done": "x", "next": "y", "mood": "3", "blockers": "  "})
    assert not errors and answers["mood"] == 3 and answers["blockers"] is None
    _, errors = validate(qs, {"done": " ", "next": "y", "mood": "6"})
    assert errors == {"q_done": "checkins.errors.required", "q_mood": "checkins.errors.mood"}
    _, errors = validate(qs, {"done": "x", "next": "y", "mood": "2.5"})
    assert errors == {"q_mood": "checkins.errors.mood"}


def test_catalogs_have_the_same_keys():
    from bot.i18n import load_catalog

    en = {k for k in load_catalog("en") if k.startswith("checkins.")}
    ko = {k for k in load_catalog("ko") if k.startswith("checkins.")}
    assert en == ko and "checkins.errors.mood" in en
