"""The org file's vocabulary: weekday, time of day (HH:MM), duration, time zone and email, each defined once and
spelled one way, and the strict base every section's model extends (unknown keys are errors, models frozen).

Weekdays are `mon`..`sun`. The old long spellings (`friday`) are still read, as the short ones; the loader
reports them as deprecated with their line (`LONG_WEEKDAYS`).
"""

from __future__ import annotations

import re
from datetime import time
from functools import cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

NEXT_BUSINESS_DAY = "next_business_day"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LONG_WEEKDAYS = {long: short for long, short in zip(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), WEEKDAYS, strict=True)}
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Strict(BaseModel):
    """Every section of the org file: a typo'd key is an error, and a loaded config never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _weekday(value: object) -> object:
    return LONG_WEEKDAYS.get(value, value) if isinstance(value, str) else value


def _some_days(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("days must be some of mon, tue, wed, thu, fri, sat, sun")
    return value


def _hhmm(value: str) -> str:
    m = _HHMM.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a 24-hour time such as 16:00")
    return f"{int(m[1]):02d}:{m[2]}"


def _duration(value: str) -> str:
    duration_minutes(value)
    return value


def check_timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Seoul)")
    return value


@cache
def _zones() -> set[str]:
    return available_timezones() | {"UTC"}


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value.lower()


Weekday = Annotated[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], BeforeValidator(_weekday)]
Weekdays = Annotated[tuple[Weekday, ...], AfterValidator(_some_days)]  # working days: at least one
HHMM = Annotated[str, AfterValidator(_hhmm),
                 WithJsonSchema({"type": "string", "pattern": _HHMM.pattern, "examples": ["09:00", "16:30"]})]
Duration = Annotated[str, AfterValidator(_duration), WithJsonSchema({"anyOf": [
    {"type": "string", "pattern": _DURATION.pattern, "examples": ["15m", "4h", "1d"]}, {"const": NEXT_BUSINESS_DAY}]})]
TimeZone = Annotated[str, AfterValidator(check_timezone),
                     WithJsonSchema({"type": "string", "examples": ["Asia/Seoul", "UTC"]})]
Email = Annotated[str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})]


def weekday_index(day: str) -> int:
    """0 for `mon` .. 6 for `sun`."""
    return WEEKDAYS.index(day)


def clock(value: str) -> time:
    """A validated HH:MM as a time of day."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def duration_minutes(value: str) -> int | None:
    """'15m' / '2h' / '1d' -> minutes; None for `next_business_day`."""
    if value == NEXT_BUSINESS_DAY:
        return None
    match = _DURATION.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a duration (use e.g. 15m, 4h, 1d or {NEXT_BUSINESS_DAY})")
    return int(match.group(1)) * {"m": 1, "h": 60, "d": 1440}[match.group(2)]
