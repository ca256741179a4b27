"""One calendar for every feature: a team's or person's week, local working hours, business-time arithmetic,
check-in timing windows and public holidays.

Features do not import each other, and the SLA and quiet-hours work builds on this, so weekday, local-time and
business-hours arithmetic is written here once. A `Calendar` is a zone, its working days and hours, and the
days it is closed (public holidays of a country/region through the `holidays` package, plus extra dates).
ISO weeks ("2026-W47") key KPI values and digests; their bounds are taken in a team's zone.

A team's calendar is its org file's `calendar:` section (`CalendarConfig`); `team_calendar(team)` is how every
feature reads it (check-in prompts, pulse invitations, quiet hours, SLA clocks, on-call hand-overs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator

from bot.config_types import HHMM, Strict, TimeZone, Weekday, clock, weekday_index

if TYPE_CHECKING:
    from storage.models import Team

WORKING_HOURS = (time(8), time(20))
WORKING_DAYS = frozenset(range(5))  # Monday to Friday
EVERY_DAY = frozenset(range(7))
MAX_DAYS = 370  # a calendar that is never open must not loop forever
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def zone(name: str | None, fallback: str | None = None) -> ZoneInfo:
    """The person's zone, else the fallback (their team's), else UTC: a bad name must not stop a send."""
    for candidate in (name, fallback):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


class Closed:
    """Days a calendar is closed: a country's (and region's) public holidays plus extra dates.

    The `holidays` package and its tables load only when a country is given."""

    def __init__(self, country: str | None = None, subdiv: str | None = None, extra: Iterable[date] = ()) -> None:
        self.extra = frozenset(extra)
        self._public: Container[date] = ()
        if country:
            import holidays

            self._public = holidays.country_holidays(country, subdiv=subdiv)

    def __contains__(self, day: object) -> bool:
        return day in self.extra or day in self._public


NOTHING_CLOSED = Closed()


class Calendar:
    """A zone's working week: which days and hours are open, and which dates are closed."""

    def __init__(self, tz: ZoneInfo | str, days: Iterable[int] = WORKING_DAYS,
                 hours: tuple[time, time] = WORKING_HOURS, holidays: Container[date] = NOTHING_CLOSED) -> None:
        self.tz = tz if isinstance(tz, ZoneInfo) else zone(tz)
        self.days = frozenset(days)
        self.hours = hours
        self.holidays = holidays

    def for_person(self, tz: str | None) -> Calendar:
        """This team's working days, hours and holidays, in one member's own zone (this zone when unknown)."""
        return Calendar(zone(tz, self.tz.key), self.days, self.hours, self.holidays)

    # --- days and hours ------------------------------------------------------------------------------------

    def is_open_day(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def local_date(self, when: datetime) -> date:
        """The date `when` falls on in this zone."""
        return when.astimezone(self.tz).date()

    def at(self, day: date, local: time) -> datetime:
        """`local` o'clock on `day` in this zone, as UTC (a time skipped by DST moves forward with the clocks)."""
        return datetime.combine(day, local, tzinfo=self.tz).astimezone(UTC)

    def is_working(self, when: datetime) -> bool:
        """Whether `when` falls inside working hours [start, end) on an open day."""
        local = when.astimezone(self.tz)
        return self.is_open_day(local.date()) and self.hours[0] <= local.time() < self.hours[1]

    def next_working(self, when: datetime) -> datetime:
        """`when` if it is inside working hours, else the next start of working hours (UTC)."""
        if self.is_working(when):
            return when
        local = when.astimezone(self.tz)
        day = local.date() if local.time() < self.hours[0] else local.date() + timedelta(days=1)
        for _ in range(MAX_DAYS):
            if self.is_open_day(day):
                return self.at(day, self.hours[0])
            day += timedelta(days=1)
        return when  # no working day at all: any time will do

    def add_business(self, start: datetime, delta: timedelta) -> datetime:
        """`start` plus `delta` of working time (the clock stops out of hours), in `start`'s zone."""
        local = start.astimezone(self.tz)
        left = delta
        for _ in range(MAX_DAYS):
            opens = datetime.combine(local.date(), self.hours[0], self.tz)
            closes = datetime.combine(local.date(), self.hours[1], self.tz)
            if self.is_open_day(local.date()) and local < closes:
                begin = max(local, opens)
                if begin + left <= closes:
                    return (begin + left).astimezone(start.tzinfo)
                left -= closes - begin
            local = datetime.combine(local.date() + timedelta(days=1), time(0), self.tz)
        raise ValueError("business hours never open")

    def business_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b` (zero when `b` is not after `a`)."""
        total = timedelta()
        day = a.astimezone(self.tz).date()
        last = b.astimezone(self.tz).date()
        while day <= last:
            if self.is_open_day(day):
                opens = max(datetime.combine(day, self.hours[0], self.tz), a)
                closes = min(datetime.combine(day, self.hours[1], self.tz), b)
                if closes > opens:
                    total += closes - opens
            day += timedelta(days=1)
        return total

    def end_of_next_business_day(self, start: datetime) -> datetime:
        """Close of business on the first open day after `start`'s local date, in `start`'s zone."""
        day = start.astimezone(self.tz).date() + timedelta(days=1)
        for _ in range(MAX_DAYS):
            if self.is_open_day(day):
                return datetime.combine(day, self.hours[1], self.tz).astimezone(start.tzinfo)
            day += timedelta(days=1)
        raise ValueError("business hours never open")

    # --- daily windows (check-in reminders) ----------------------------------------------------------------

    def in_window(self, when: datetime, start: time, end: time) -> datetime:
        """`when`, or the next moment inside the daily local window [start, end) if it falls outside."""
        local = when.astimezone(self.tz)
        if start <= local.time() < end:
            return when
        day = local.date() if local.time() < start else local.date() + timedelta(days=1)
        return self.at(day, start)

    def tomorrow_at(self, now: datetime, local: time) -> datetime:
        """`local` o'clock on the next local day."""
        return self.at(now.astimezone(self.tz).date() + timedelta(days=1), local)

    def last_at(self, now: datetime, weekday: int, local: time) -> datetime:
        """The latest `weekday` (0 = Monday) at `local` o'clock at or before `now`, in this zone (a weekly
        schedule such as the digest's: the one due now, or the last one missed)."""
        today = now.astimezone(self.tz)
        day = today.date() - timedelta(days=(today.weekday() - weekday) % 7)
        moment = datetime.combine(day, local, self.tz)
        return moment if moment <= today else moment - timedelta(days=7)

    # --- weeks -----------------------------------------------------------------------------------------------

    def current_week(self, now: datetime) -> str:
        return week_of(now.astimezone(self.tz).date())

    def week_bounds(self, week: str) -> tuple[datetime, datetime]:
        """[Monday 00:00, next Monday 00:00) in this zone, as aware UTC datetimes."""
        first = monday(week)
        start = datetime.combine(first, time(0), self.tz)
        end = datetime.combine(first + timedelta(days=7), time(0), self.tz)
        return start.astimezone(UTC), end.astimezone(UTC)


# --- a team's calendar, from the org file ---------------------------------------------------------------------


def _supported() -> dict[str, list[str]]:
    import holidays  # only when a file names a country

    return dict(holidays.list_supported_countries())


class CalendarConfig(Strict):
    """A team's `calendar:` section: when the team works, and which days it is closed.

    Without it a team works Monday to Friday, 08:00-20:00 in the team's time zone, with no public holidays."""

    timezone: TimeZone | None = None  # default: the team's `timezone`
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    hours: tuple[HHMM, HHMM] = ("08:00", "20:00")
    country: str | None = Field(None, examples=["KR", "US"])  # public holidays (ISO 3166 code, `holidays` package)
    subdiv: str | None = Field(None, examples=["NY", "11"])  # a region of the country, for its own holidays
    closed: tuple[date, ...] = ()  # extra dates the team is closed

    @field_validator("days")
    @classmethod
    def _days(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("days must be some of mon, tue, wed, thu, fri, sat, sun")
        return v

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: tuple[str, str]) -> tuple[str, str]:
        if v[0] >= v[1]:
            raise ValueError("hours must be [start, end] with start before end, e.g. [09:00, 18:00]")
        return v

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is not None and v not in _supported():
            raise ValueError(f"unknown country code {v!r} for public holidays (use an ISO 3166 code such as KR, US)")
        return v

    @field_validator("subdiv")
    @classmethod
    def _subdiv(cls, v: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if v is not None and not country:
            raise ValueError("subdiv needs a country")
        if v is not None and country and v not in _supported()[country]:
            raise ValueError(f"unknown subdiv {v!r} of {country} (known: {', '.join(_supported()[country][:30])})")
        return v

    def build(self, team_timezone: str) -> Calendar:
        hours = (clock(self.hours[0]), clock(self.hours[1]))
        closed = Closed(self.country, self.subdiv, self.closed)
        return Calendar(self.timezone or team_timezone, (weekday_index(d) for d in self.days), hours, closed)


@cache
def _cached(section: str, team_timezone: str) -> Calendar:
    return CalendarConfig.model_validate_json(section).build(team_timezone)


def calendar_of(section: dict[str, Any] | None, team_timezone: str) -> Calendar:
    """The calendar of a stored `calendar:` section (the team's zone when it names none); built once per
    distinct section, since holiday tables are costly to load."""
    return _cached(json.dumps(section or {}, sort_keys=True, default=str), team_timezone)


def team_calendar(team: Team) -> Calendar:
    """The team's calendar as its org file describes it: zone, working days and hours, holidays, closed dates."""
    return calendar_of((team.config or {}).get("calendar"), team.timezone)


def is_working(when: datetime, tz: ZoneInfo, *, hours: tuple[time, time] = WORKING_HOURS,
               days: frozenset[int] = WORKING_DAYS) -> bool:
    """Whether `when` falls inside local working hours [start, end) on a working day in `tz`."""
    return Calendar(tz, days, hours).is_working(when)


def next_working(when: datetime, tz: ZoneInfo, *, hours: tuple[time, time] = WORKING_HOURS,
                 days: frozenset[int] = WORKING_DAYS) -> datetime:
    """`when` if it is inside working hours, else the next start of working hours (UTC)."""
    return Calendar(tz, days, hours).next_working(when)


# --- ISO weeks ("2026-W47"): how KPI values and digests are keyed -----------------------------------------


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday(week: str) -> date:
    """First day of an ISO week; ValueError when `week` is not like 2026-W47 or does not exist."""
    m = WEEK.match(week.strip().upper())
    if not m:
        raise ValueError(week)
    return date.fromisocalendar(int(m[1]), int(m[2]), 1)


def is_week(text: str) -> bool:
    try:
        monday(text)
    except ValueError:
        return False
    return True


def normalise(week: str) -> str:
    return week_of(monday(week))


def shift(week: str, weeks: int) -> str:
    return week_of(monday(week) + timedelta(weeks=weeks))


def last_weeks(week: str, count: int) -> list[str]:
    """`count` weeks ending with `week`, oldest first."""
    return [shift(week, -i) for i in range(count - 1, -1, -1)]


def current_week(now: datetime, tz: str) -> str:
    return Calendar(ZoneInfo(tz)).current_week(now)


def bounds(week: str, tz: str) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) in the team's zone, as aware UTC datetimes."""
    return Calendar(ZoneInfo(tz)).week_bounds(week)


def weekdays_around(now: datetime, weekday: int) -> list[date]:
    """`weekday` (0 = Monday) of last week, this week and next week by the UTC calendar, oldest first."""
    first = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    return [first + timedelta(weeks=w, days=weekday) for w in (-1, 0, 1)]
