"""Figures of a closed survey, with every anonymity rule applied: pure functions, no storage.

A segment (the team, or its internal / vendor side) is shown only with at least `threshold`
respondents, and no shown figure may let anyone compute a hidden one: the team total minus a shown
side gives the other side, so when one side with answers is hidden the other side is hidden too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.pulse.questions import ENPS, ENPS_RANGE, LIKERT

TEAM = "team"
SIDES = ("internal", "vendor")
FLAG_AT_OR_BELOW = 2.5
FLAG_DROP = 0.5


def visible_segments(counts: Mapping[str, int], threshold: int) -> frozenset[str]:
    """Which of team / internal / vendor may be shown, given respondents per side (`team`: answers of a
    survey not split by side)."""
    total = sum(counts.get(s, 0) for s in (*SIDES, TEAM))
    team = total >= threshold
    shown = {s for s in SIDES if counts.get(s, 0) >= threshold}
    hidden_with_answers = [s for s in SIDES if s not in shown and counts.get(s, 0) > 0]
    if team and shown and hidden_with_answers:
        shown = set()  # team - shown side = hidden side: hide one more
    return frozenset(shown | ({TEAM} if team else set()))


@dataclass(frozen=True)
class Stat:
    """A 1-5 question in one segment: mean and how many chose each value."""

    n: int
    average: float
    distribution: tuple[int, ...]  # counts of 1..5


@dataclass(frozen=True)
class Segment:
    name: str
    respondents: int
    questions: dict[str, Stat]
    enps: int | None  # % promoters (9-10) minus % detractors (0-6)


@dataclass(frozen=True)
class Concern:
    """One question of a survey at team level, as managers and the digest see it."""

    question_id: str
    average: float
    distribution: tuple[int, ...]
    change: float | None  # since the previous survey that asked it (both visible)
    gap: float | None  # internal minus vendor average, when both sides are visible
    flagged: bool


@dataclass(frozen=True)
class Figures:
    visible: frozenset[str]
    segments: dict[str, Segment] = field(default_factory=dict)  # visible ones only
    comments: tuple[str, ...] = ()

    @property
    def team(self) -> Segment | None:
        return self.segments.get(TEAM)


def likert(values: Iterable[int]) -> Stat:
    values = list(values)
    counts = Counter(values)
    avg = round(sum(values) / len(values), 2) if values else 0.0
    return Stat(len(values), avg, tuple(counts.get(v, 0) for v in LIKERT))


def enps(values: Iterable[int]) -> int | None:
    values = [v for v in values if v in ENPS_RANGE]
    if not values:
        return None
    promoters = sum(1 for v in values if v >= 9)
    detractors = sum(1 for v in values if v <= 6)
    return round(100 * (promoters - detractors) / len(values))


def figures(answers: Iterable[tuple[str, str, int]], comments: Iterable[tuple[str, str]],
            threshold: int) -> Figures:
    """`answers` are (side, question_id, value) rows; `comments` (side, text). Everyone answers eNPS
    (the modal requires it), so its rows count the respondents of each side. Side `team` holds the answers
    of a survey that a small side kept from being split: they count for the whole team only."""
    by_side: dict[str, dict[str, list[int]]] = {s: defaultdict(list) for s in (*SIDES, TEAM)}
    for side, qid, value in answers:
        if side in by_side:
            by_side[side][qid].append(value)
    counts = {s: len(by_side[s][ENPS]) for s in by_side}
    visible = visible_segments(counts, threshold)
    segments: dict[str, Segment] = {}
    for name in visible:
        sides = (*SIDES, TEAM) if name == TEAM else (name,)
        merged: dict[str, list[int]] = defaultdict(list)
        for s in sides:
            for qid, values in by_side[s].items():
                merged[qid].extend(values)
        segments[name] = Segment(
            name, sum(counts[s] for s in sides),
            {qid: likert(v) for qid, v in merged.items() if qid != ENPS}, enps(merged.get(ENPS, ())))
    shown_comments = tuple(sorted(text for _side, text in comments)) if TEAM in visible else ()
    return Figures(visible, segments, shown_comments)


def concerns(current: Figures, question_ids: Iterable[str], previous: Mapping[str, float]) -> list[Concern]:
    """Team-level lines with trend and flags; `previous` maps a question to its last visible average."""
    team = current.team
    if team is None:
        return []
    out = []
    for qid in question_ids:
        stat = team.questions.get(qid)
        if stat is None:
            continue
        before = previous.get(qid)
        change = round(stat.average - before, 2) if before is not None else None
        gap = None
        if all(s in current.segments and qid in current.segments[s].questions for s in SIDES):
            gap = round(current.segments["internal"].questions[qid].average
                        - current.segments["vendor"].questions[qid].average, 2)
        flagged = stat.average <= FLAG_AT_OR_BELOW or (change is not None and change <= -FLAG_DROP)
        out.append(Concern(qid, stat.average, stat.distribution, change, gap, flagged))
    return out
