"""The `pulse:` section of a team in the org YAML."""

from __future__ import annotations

from pydantic import Field, field_validator

from bot.config_types import Strict

MIN_THRESHOLD = 3  # below this, results of a small segment point at individuals


class CustomQuestion(Strict):
    """An admin's own 1-5 agreement statement, asked in rotation with the built-in bank."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    en: str = Field(min_length=3, max_length=300)
    ko: str | None = Field(None, min_length=1, max_length=300)


class PulseConfig(Strict):
    enabled: bool = True
    every_days: int = Field(14, ge=1, le=180)
    open_days: int = Field(3, ge=1, le=30)
    questions_per_survey: int = Field(3, ge=1, le=10)
    threshold: int = 5
    questions: tuple[CustomQuestion, ...] = ()

    @field_validator("threshold")
    @classmethod
    def _threshold_floor(cls, v: int) -> int:
        if v < MIN_THRESHOLD:
            raise ValueError(f"threshold must be at least {MIN_THRESHOLD}: smaller segments expose individuals")
        return v

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, v: tuple[CustomQuestion, ...]) -> tuple[CustomQuestion, ...]:
        from bot.pulse.questions import BUILTIN_IDS

        ids = [q.id for q in v]
        clash = sorted({i for i in ids if ids.count(i) > 1 or i in BUILTIN_IDS})
        if clash:
            raise ValueError(f"question ids must be unique and differ from the built-in ones: {', '.join(clash)}")
        return v
