"""KPI definitions from the org YAML, value checks, weeks and the digest schedule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot import calendar
from bot.digest.config import DigestConfig, digest_config
from bot.digest.service import due_moment
from bot.errors import UserFacingError
from bot.kpi.config import KpiConfig, KpiSpec, kpi_config
from bot.kpi.service import check_value
from bot.org.service import team_config
from bot.orgfile import parse

ORG = """
organisation: {name: Acme}
teams:
  - key: v
    name: Vendor
    kind: vendor
    vendor: V
    kpi:
      definitions:
        - {key: csat, name: CSAT, target: 4.5, max: 5}
        - {key: csat, name: Again, target: 1, source: pulse_speed}
"""


def test_bad_definitions_are_reported_with_their_line() -> None:
    spec, problems = parse(ORG)
    assert spec is None
    assert any(p.line == 11 and "definitions.1.source" in p.message and "enps" in p.message for p in problems)


SHARED = ORG.replace("        - {key: csat, name: Again, target: 1, source: pulse_speed}\n",
                     '      digest: {weekday: fri, time: "17:30"}\n')


def test_the_kpi_section_holds_the_digest_schedule_each_feature_reads_its_own_keys() -> None:
    """`kpi.digest` stays where the org file has it; KPIs read the definitions, the digest its schedule."""
    spec, problems = parse(SHARED)
    assert spec is not None and problems == []
    stored = team_config(spec.teams[0])
    assert [d.key for d in kpi_config(stored).definitions] == ["csat"]
    assert (digest_config(stored).weekday, digest_config(stored).time) == ("fri", "17:30")
    spec, problems = parse(SHARED.replace('"17:30"', '"25:00"'))
    assert spec is None and [p.line for p in problems] == [11] and "kpi.digest.time" in problems[0].message


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="repeated: csat"):
        KpiConfig(definitions=(KpiSpec(key="csat", name="a", target=1), KpiSpec(key="csat", name="b", target=1)))


def test_on_track_follows_the_direction() -> None:
    faster = KpiSpec(key="t", name="T", target=30, direction="lower")
    assert faster.on_track(30) and not faster.on_track(31)
    assert KpiSpec(key="c", name="C", target=4.5).on_track(4.5)


@pytest.mark.parametrize(("raw", "value"), [("92%", 92.0), ("1,000", 1000.0), ("4.5", 4.5)])
def test_values_accepted(raw: str, value: float) -> None:
    assert check_value(KpiSpec(key="r", name="R", target=90, unit="%", max=1000), raw) == value


@pytest.mark.parametrize(("raw", "key"), [("fast", "kpi.errors.not_a_number"), ("nan", "kpi.errors.not_a_number"),
                                          ("101", "kpi.errors.out_of_range"), ("-1", "kpi.errors.out_of_range")])
def test_values_refused(raw: str, key: str) -> None:
    with pytest.raises(UserFacingError) as err:
        check_value(KpiSpec(key="r", name="R", target=90, unit="%"), raw)
    assert err.value.key == key


def test_weeks_in_the_team_zone() -> None:
    assert calendar.current_week(datetime(2026, 11, 22, 16, 0, tzinfo=UTC), "Asia/Seoul") == "2026-W48"  # Mon 01:00
    assert calendar.current_week(datetime(2026, 11, 22, 16, 0, tzinfo=UTC), "America/New_York") == "2026-W47"
    start, end = calendar.bounds("2026-W47", "Asia/Seoul")
    assert (start, end) == (datetime(2026, 11, 15, 15, tzinfo=UTC), datetime(2026, 11, 22, 15, tzinfo=UTC))
    assert calendar.last_weeks("2026-W01", 2) == ["2025-W52", "2026-W01"]
    assert not calendar.is_week("2026-W54")


def test_digest_is_due_monday_nine_in_the_managers_zone() -> None:
    config = DigestConfig()
    moment, week = due_moment(config, datetime(2026, 11, 23, 14, 0, tzinfo=UTC), "America/New_York")
    assert moment == datetime(2026, 11, 23, 14, 0, tzinfo=UTC) and week == "2026-W47"
    moment, week = due_moment(config, datetime(2026, 11, 23, 13, 59, tzinfo=UTC), "America/New_York")
    assert week == "2026-W46"  # not yet: the latest due moment is last Monday's
    _, week = due_moment(DigestConfig(weekday="fri", time="17:30"), datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
                         "Asia/Seoul")
    assert week == "2026-W47"  # Friday 17:30 in Seoul reviews the week it ends
