"""Anonymity rules and figures, without storage."""

from __future__ import annotations

import pytest

from bot.pulse import results
from bot.pulse.results import TEAM, visible_segments


@pytest.mark.parametrize(("internal", "vendor", "expected"), [
    (0, 4, set()),  # a segment of 4 stays hidden
    (0, 5, {TEAM, "vendor"}),  # a segment of 5 shows; the empty side reveals nothing
    (2, 5, {TEAM}),  # team 7 beside vendor 5 would reveal internal 2: vendor hidden too
    (4, 5, {TEAM}),
    (5, 5, {TEAM, "internal", "vendor"}),
    (2, 2, set()),
    (3, 2, {TEAM}),
])
def test_visible_segments(internal: int, vendor: int, expected: set[str]) -> None:
    assert visible_segments({"internal": internal, "vendor": vendor}, 5) == expected


def test_no_hidden_side_can_be_derived_from_shown_counts() -> None:
    for internal in range(12):
        for vendor in range(12):
            counts = {"internal": internal, "vendor": vendor}
            shown = visible_segments(counts, 5)
            for side, other in (("internal", "vendor"), ("vendor", "internal")):
                if side not in shown and counts[side] > 0:
                    assert not (TEAM in shown and other in shown), counts


def _rows(side: str, n: int, value: int, enps: int, qid: str = "belonging") -> list[tuple[str, str, int]]:
    return [r for _ in range(n) for r in ((side, qid, value), (side, "enps", enps))]


def test_figures_hide_everything_of_a_hidden_segment_including_comments() -> None:
    figs = results.figures(_rows("vendor", 4, 2, 9), [("vendor", "too few of us")], threshold=5)
    assert figs.visible == frozenset() and figs.segments == {} and figs.comments == ()


def test_figures_average_distribution_enps_and_gap() -> None:
    rows = _rows("internal", 5, 4, 10) + _rows("vendor", 5, 2, 3)
    figs = results.figures(rows, [("vendor", "b"), ("internal", "a")], threshold=5)
    assert figs.team.respondents == 10
    assert figs.team.questions["belonging"] == results.Stat(10, 3.0, (0, 5, 0, 5, 0))
    assert figs.team.enps == 0 and figs.segments["internal"].enps == 100 and figs.segments["vendor"].enps == -100
    assert figs.comments == ("a", "b")  # sorted: submission order is not kept
    [line] = results.concerns(figs, ["belonging"], {"belonging": 3.6})
    assert line.gap == 2.0 and line.change == -0.6 and line.flagged


@pytest.mark.parametrize(("average_now", "before", "flagged"), [
    (2.5, None, True), (2.6, None, False), (3.5, 4.0, True), (3.6, 4.0, False), (4.0, 3.0, False)])
def test_flags(average_now: float, before: float | None, flagged: bool) -> None:
    figs = results.Figures(frozenset({TEAM}), {TEAM: results.Segment(TEAM, 5, {
        "roles": results.Stat(5, average_now, (0, 0, 0, 0, 0))}, None)})
    [line] = results.concerns(figs, ["roles"], {} if before is None else {"roles": before})
    assert line.flagged is flagged
