"""The digest as data: sections of labelled items plus the series the chart draws. Markdown (terminal)
and Block Kit (Slack) are two renderings of this one model, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    label: str
    value: str
    note: str = ""  # e.g. "+5 pts vs last week"


@dataclass(frozen=True)
class Section:
    key: str  # checkins | escalations | sla | kpis | pulse | jira | changes
    title: str
    items: tuple[Item, ...] = ()
    quotes: tuple[str, ...] = ()  # notable blockers, shown as quoted lines


@dataclass(frozen=True)
class Part:
    """What one provider contributes: its section and what moved since last week."""

    section: Section
    changes: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[tuple[str, float | None], ...]  # (week, value), oldest first
    target: float | None = None
    lower_is_better: bool = False


@dataclass(frozen=True)
class Digest:
    team_key: str
    team_name: str
    week: str
    title: str
    period: str
    sections: tuple[Section, ...]
    kpi_series: tuple[Series, ...] = ()
    mood: Series | None = None
    empty_note: str = ""
    chart_labels: dict[str, str] = field(default_factory=dict)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def has_chart(self) -> bool:
        return any(v is not None for s in self.kpi_series for _, v in s.points) or (
            self.mood is not None and any(v is not None for _, v in self.mood.points))


@dataclass(frozen=True)
class Bundle:
    """What one reader gets for a week: one message with a part per team they manage."""

    title: str
    parts: tuple[Digest, ...]
