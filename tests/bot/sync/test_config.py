"""The `sync:` section: validation and when the current meeting starts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bot.calendar import Calendar
from bot.sync.config import SyncConfig, sync_config

SEOUL = Calendar("Asia/Seoul")


def test_defaults_and_absence() -> None:
    assert sync_config({}) is None
    cfg = sync_config({"sync": {"weekday": "thu"}})
    assert cfg is not None and cfg.facilitator == "liaison" and cfg.lead == timedelta(hours=24)
    assert cfg.length == timedelta(hours=1)
    assert SyncConfig.model_validate({"weekday": "thursday"}).weekday == "thu"  # the org file's one vocabulary


@pytest.mark.parametrize("bad", [{"time": "25:00"}, {"duration": "0m"}, {"agenda_before": "soon"},
                                 {"weekday": "someday"}, {"facilitator": "boss"}, {"extra": 1},
                                 {"duration": "next_business_day"}])
def test_mistakes_are_refused(bad: dict) -> None:
    with pytest.raises(ValidationError):
        SyncConfig.model_validate(bad)


def test_the_current_meeting_is_the_first_that_has_not_ended() -> None:
    cfg = SyncConfig(weekday="thu", time="10:00", duration="1h")
    thursday_10_seoul = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert cfg.current_start(datetime(2026, 11, 20, 12, 0, tzinfo=UTC), SEOUL) == thursday_10_seoul
    assert cfg.current_start(thursday_10_seoul + timedelta(minutes=59), SEOUL) == thursday_10_seoul  # under way
    assert cfg.current_start(thursday_10_seoul + timedelta(hours=1), SEOUL) == thursday_10_seoul + timedelta(days=7)


def test_the_printed_org_schema_has_the_sync_and_kudos_sections() -> None:
    from click.testing import CliRunner

    from bot.cli import main

    defs = json.loads(CliRunner().invoke(main, ["org", "schema"]).output)["$defs"]
    team = defs["TeamFile"]["properties"]
    assert "sync" in team and "kudos" in team
    assert defs["SyncConfig"]["properties"]["weekday"]["enum"][0] == "mon"
    assert "next_business_day" not in json.dumps(defs["SyncConfig"])  # a meeting's length is a fixed span
