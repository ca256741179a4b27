"""The `checkins:` section of a team in the org YAML (every field has a default)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.config_types import HHMM, Strict, Weekday, clock, weekday_index


class Question(Strict):
    """One question of the form. Without `label` the built-in wording (in the member's language) is used."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")
    label: str | None = Field(None, max_length=2000)
    kind: Literal["text", "mood"] = "text"
    required: bool = True
    blocker: bool = False  # a non-empty answer is a blocker routed to the team's liaisons


DEFAULT_QUESTIONS = (
    Question(key="done"),
    Question(key="next"),
    Question(key="blockers", required=False, blocker=True),
    Question(key="mood", kind="mood"),
    Question(key="other_side", required=False),
)

BUILT_IN = tuple(q.key for q in DEFAULT_QUESTIONS)


class AwayConfig(Strict):
    """Who is away: on leave in the org YAML, or a Slack status matching these emoji or words."""

    check_slack_status: bool = True
    status_emoji: tuple[str, ...] = (":palm_tree:", ":airplane:", ":beach_with_umbrella:", ":desert_island:")
    status_words: tuple[str, ...] = ("vacation", "holiday", "out of office", "ooo", "on leave", "휴가", "부재")


class CheckinConfig(Strict):
    enabled: bool = True
    weekday: Weekday = "fri"
    time: HHMM = "16:00"
    questions: tuple[Question, ...] = DEFAULT_QUESTIONS
    remind_after_hours: float = Field(4.0, gt=0, le=72)
    reminder_window: tuple[HHMM, HHMM] = ("08:00", "20:00")
    close_after_hours: float = Field(72.0, gt=0, le=144)
    skip_roles: tuple[str, ...] = ("liaison", "manager")  # they read check-ins rather than write them
    summary_in_channel: bool = False  # a parent message in the team channel, answers in its thread
    # Notes for the other side go to this (shared) channel instead of the other side's liaisons by DM.
    other_side_channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,}$")
    away: AwayConfig = AwayConfig()

    @field_validator("reminder_window")
    @classmethod
    def _window(cls, v: tuple[str, str]) -> tuple[str, str]:
        start, end = v
        if start >= end:
            raise ValueError("reminder_window must be [start, end] with start before end, e.g. [08:00, 20:00]")
        return v

    @model_validator(mode="after")
    def _questions(self) -> CheckinConfig:
        keys = [q.key for q in self.questions]
        if len(keys) != len(set(keys)):
            raise ValueError("question keys must be unique")
        if not self.questions:
            raise ValueError("a check-in needs at least one question")
        unnamed = [q.key for q in self.questions if q.label is None and q.key not in BUILT_IN]
        if unnamed:
            raise ValueError(f"questions {unnamed} need a `label` (built-in keys: {', '.join(BUILT_IN)})")
        return self

    @property
    def weekday_index(self) -> int:
        return weekday_index(self.weekday)

    @property
    def local_time(self) -> dt.time:  # `dt.`: in this class `time` is the field
        return clock(self.time)

    @property
    def window(self) -> tuple[dt.time, dt.time]:
        """The reminder window as times of day."""
        return clock(self.reminder_window[0]), clock(self.reminder_window[1])
