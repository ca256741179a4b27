"""The one calendar: local working hours, business time, holidays and weeks, shared by every feature."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.calendar import EVERY_DAY, Calendar, Closed, current_week, is_working, last_weeks, next_working, zone

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


NEW_YORK = zone("America/New_York")


def test_working_hours_follow_new_york_across_the_dst_change() -> None:
    cal = Calendar(NEW_YORK, hours=(time(9), time(17)))
    # Clocks go back on Sunday 2026-11-01: 09:00 is 13:00 UTC on Friday, 14:00 UTC on Monday.
    assert cal.next_working(datetime(2026, 10, 30, 22, 0, tzinfo=UTC)) == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert cal.is_working(datetime(2026, 10, 30, 13, 0, tzinfo=UTC))
    assert not cal.is_working(datetime(2026, 11, 2, 13, 30, tzinfo=UTC))  # 08:30 after the change
    # Friday 16:00 EDT + 2 business hours = Monday 10:00 EST.
    friday_4pm = datetime(2026, 10, 30, 20, 0, tzinfo=UTC)
    assert cal.add_business(friday_4pm, timedelta(hours=2)) == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    # A week's bounds are local midnights: the week of the change is an hour longer.
    start, end = cal.week_bounds("2026-W44")
    assert (start, end) == (datetime(2026, 10, 26, 4, 0, tzinfo=UTC), datetime(2026, 11, 2, 5, 0, tzinfo=UTC))


def test_chuseok_2026_is_closed_in_korea() -> None:
    cal = Calendar(SEOUL, hours=(time(9), time(18)), holidays=Closed("KR"))
    wednesday_5pm = datetime(2026, 9, 23, 17, 0, tzinfo=SEOUL)  # Chuseok is Thursday 24 to Saturday 26
    assert cal.is_open_day(date(2026, 9, 23)) and not cal.is_open_day(date(2026, 9, 25))
    assert not cal.is_working(datetime(2026, 9, 24, 10, 0, tzinfo=SEOUL))
    assert cal.add_business(wednesday_5pm, timedelta(hours=2)) == datetime(2026, 9, 28, 10, 0, tzinfo=SEOUL)
    assert cal.end_of_next_business_day(wednesday_5pm) == datetime(2026, 9, 28, 18, 0, tzinfo=SEOUL)
    assert Calendar(SEOUL, hours=(time(9), time(18))).is_open_day(date(2026, 9, 25))  # no country, no holidays


def test_extra_closed_dates() -> None:
    cal = Calendar(SEOUL, holidays=Closed(extra=[date(2026, 11, 23)]))
    assert cal.next_working(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)) == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)


def test_business_time_across_a_weekend() -> None:
    cal = Calendar(SEOUL, hours=(time(9), time(18)))
    friday_4pm = datetime(2026, 11, 20, 16, 0, tzinfo=SEOUL)
    monday_11am = datetime(2026, 11, 23, 11, 0, tzinfo=SEOUL)
    assert cal.add_business(friday_4pm, timedelta(hours=4)) == monday_11am
    assert cal.business_between(friday_4pm, monday_11am) == timedelta(hours=4)
    assert cal.business_between(monday_11am, friday_4pm) == timedelta()
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=SEOUL)
    assert cal.add_business(saturday, timedelta(minutes=30)) == datetime(2026, 11, 23, 9, 30, tzinfo=SEOUL)


def test_iso_weeks() -> None:
    assert current_week(datetime(2026, 11, 22, 16, 0, tzinfo=UTC), "Asia/Seoul") == "2026-W48"  # Monday in Seoul
    assert current_week(datetime(2026, 11, 22, 16, 0, tzinfo=UTC), "UTC") == "2026-W47"
    assert last_weeks("2026-W01", 2) == ["2025-W52", "2026-W01"]


def test_a_team_calendar_comes_from_its_org_section() -> None:
    from bot.calendar import team_calendar
    from storage.models import Team

    seoul = Team(key="s", name="S", kind="vendor", timezone="Asia/Seoul", config={"calendar": {
        "hours": ["09:00", "18:00"], "country": "KR", "closed": ["2026-12-31"]}})
    cal = team_calendar(seoul)
    assert str(cal.tz) == "Asia/Seoul" and cal.hours == (time(9), time(18))
    assert not cal.is_open_day(date(2026, 9, 25))  # Chuseok 2026: Sep 24-26
    assert not cal.is_open_day(date(2026, 12, 31)) and cal.is_open_day(date(2026, 12, 30))
    plain = team_calendar(Team(key="p", name="P", kind="internal", timezone="UTC", config={}))
    assert plain.hours == (time(8), time(20)) and plain.is_open_day(date(2026, 9, 25))


def test_a_weekly_moment_is_the_last_one_at_or_before_now_in_local_time() -> None:
    """The digest's schedule (Monday 09:00 local): due from that minute on, the week before it until then."""
    cal = Calendar(NEW_YORK)
    monday_9am = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert cal.last_at(monday_9am, 0, time(9)) == datetime(2026, 11, 23, 9, 0, tzinfo=NEW_YORK)
    assert cal.last_at(monday_9am - timedelta(minutes=1), 0, time(9)) == datetime(2026, 11, 16, 9, 0, tzinfo=NEW_YORK)
    # Across the DST change the local time holds: Monday 09:00 EDT, a week before 09:00 EST.
    assert cal.last_at(datetime(2026, 11, 2, 13, 0, tzinfo=UTC), 0, time(9)) == datetime(2026, 10, 26, 9, 0,
                                                                                             tzinfo=NEW_YORK)
