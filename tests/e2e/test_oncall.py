"""On-call rotations end to end (issue 16): hand-overs at local midnight (across New York's DST change), covers
and their refusals, a level whose people are all away skipped with the reason on the timeline, and rotations
that would call nobody refused by `oneteam org validate`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.escalations.ids import Action, Block, View
from bot.orgfile import parse
from sandbox.harness import EXAMPLE_ORG, Harness
from sandbox.slack import Message, text_of
from storage.models import Escalation, OncallCover

PRIYA, SAM, DANA, JISOO = "priya@acme.example", "sam@acme.example", "dana@acme.example", "jisoo@hanabpo.example"
HYUN = "hyun@hanabpo.example"
CARE = "C0CARE"
ROTATION = """    oncall:
      rotations:
        - {name: primary, people: [priya@acme.example, dana@acme.example], every: daily, handover: "00:00"}
"""


def org_text() -> str:
    """The example org; care-internal calls its on-call rotation first."""
    text = EXAMPLE_ORG.read_text()
    text = text.replace("      levels: [[priya@acme.example], [liaison], [manager]]",
                        "      levels: [[rotation:primary], [liaison], [manager]]")
    return text.replace("    channel: C0CARE\n", "    channel: C0CARE\n" + ROTATION, 1)


@pytest.fixture
async def h(clock: FakeClock, database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    org = tmp_path / "org.yml"
    org.write_text(org_text())
    async with Harness(clock=clock, database_url=database_url, org=org) as harness:
        yield harness


async def say(h: Harness, email: str, command: str, text: str) -> str:
    before = len(h.sandbox.ephemerals(h.user(email)))
    ack = await h.command(email, command, text)
    await h.settle()
    assert ack.status == 200
    return "\n".join(text_of(m) for m in h.sandbox.ephemerals(h.user(email))[before:])


def on_now(h: Harness, said: str) -> str:
    """Who `/oneteam oncall` says is on now (their email)."""
    m = re.search(r"primary: <@(\w+)>", said)
    assert m, said
    return next(e for e in (PRIYA, DANA, SAM) if h.user(e) == m[1])


async def test_the_rotation_hands_over_at_local_midnight_across_the_dst_change(h: Harness) -> None:
    # New York's clocks go back on Sunday 1 November 2026: midnight is 04:00 UTC before, 05:00 UTC after.
    h.clock.set(datetime(2026, 11, 1, 3, 59, tzinfo=UTC))  # Saturday 23:59 EDT
    saturday = on_now(h, await say(h, SAM, "/oneteam", "oncall"))
    h.clock.set(datetime(2026, 11, 1, 4, 0, tzinfo=UTC))  # Sunday 00:00 EDT: hand-over
    sunday = on_now(h, await say(h, SAM, "/oneteam", "oncall"))
    assert {saturday, sunday} == {PRIYA, DANA}
    h.clock.set(datetime(2026, 11, 2, 4, 59, tzinfo=UTC))  # Sunday 23:59 EST: still Sunday's person
    said = await say(h, SAM, "/oneteam", "oncall care-internal")
    assert on_now(h, said) == sunday
    assert "<!date^1793595600^" in said  # the hand-over: Monday 00:00 EST = 05:00 UTC, as a Slack date token
    h.clock.set(datetime(2026, 11, 2, 5, 0, tzinfo=UTC))  # Monday 00:00 EST
    assert on_now(h, await say(h, SAM, "/oneteam", "oncall")) == saturday


async def test_a_cover_takes_the_shift_and_an_overlapping_cover_is_refused(h: Harness) -> None:
    h.clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # Monday 10:00 in New York
    said = await say(h, SAM, "/oneteam", f"cover <@{h.user(SAM)}> 2026-11-30 2026-12-01")
    assert "covers primary" in said
    assert on_now(h, await say(h, PRIYA, "/oneteam", "oncall")) == SAM
    for text, words in ((f"cover <@{h.user(DANA)}> 2026-12-01 2026-12-03", "already has a cover"),
                        (f"cover <@{h.user(DANA)}> 2026-13-01", "`2026-13-01` is not a date"),
                        ("cover someone 2026-12-05", "Usage: `/oneteam cover @person")):
        assert words in await say(h, SAM, "/oneteam", text)
    # Priya is neither a liaison nor a manager: she may cover herself, not put Dana on duty.
    refused = await say(h, PRIYA, "/oneteam", f"cover <@{h.user(DANA)}> 2026-12-05")
    assert "Only Customer Care (internal)'s liaisons and managers, or the person covering" in refused
    async with h.services.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OncallCover)) == 1


async def test_a_level_whose_people_are_all_away_is_skipped_and_the_timeline_says_why(h: Harness) -> None:
    h.clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # Monday 10:00 in New York
    on_duty = on_now(h, await say(h, SAM, "/oneteam", "oncall"))
    await say(h, on_duty, "/oneteam", "away 2026-11-30 2026-12-01")
    await say(h, PRIYA if on_duty != PRIYA else DANA, "/escalate", "P2 team:care-internal Queue stuck")
    card = next(m for m in h.sandbox.channel_messages(CARE) if "ESC-1" in text_of(m))
    thread = [text_of(m) for m in h.sandbox.channel_messages(CARE, thread_ts=card.ts)]
    assert any("Level 1 skipped: everyone there is away today" in line for line in thread), thread
    assert not [m for m in h.sandbox.dms(h.user(on_duty)) if "ESC-1" in text_of(m)]
    assert [m for m in h.sandbox.dms(h.user(SAM)) if "ESC-1" in text_of(m)]  # level 2: the liaison


@pytest.mark.parametrize(("swap", "words"), [
    (("people: [priya@acme.example, dana@acme.example]", "people: []"), "a rotation needs at least one person"),
    (("[rotation:primary]", "[rotation:secondary]"), "no such rotation"),
    (("every: daily", "every: hourly"), "'daily' or 'weekly'"),
])
def test_a_rotation_that_would_call_nobody_is_refused_with_its_line(swap: tuple[str, str], words: str) -> None:
    text = org_text().replace(*swap)
    spec, problems = parse(text)
    assert spec is None and any(words in p.message for p in problems), problems
    line = next(p.line for p in problems if words in p.message)
    assert "rotation" in text.splitlines()[line - 1] or "levels" in text.splitlines()[line - 1] or \
        swap[1] in text.splitlines()[line - 1], (line, text.splitlines()[line - 1])


async def test_a_cover_may_acknowledge_and_resolve_their_levels_escalations_and_no_longer_after(h: Harness) -> None:
    """Hyun (Hana BPO) has no role in Customer Care and is not one of the rotation's people: while he covers
    it, the escalations at its level are his to acknowledge and resolve (the escalation's level, the policy and
    who the on-call provider says is on duty, all read server side); the day after his cover, they are not."""
    hyun = h.user(HYUN)
    h.clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # Monday 10:00 in New York
    assert "covers primary" in await say(h, SAM, "/oneteam", f"cover <@{hyun}> 2026-11-30")
    assert "ESC-1" in await say(h, PRIYA, "/escalate", "P1 Refund queue stuck")
    assert any("ESC-1" in text_of(m) for m in h.sandbox.dms(hyun))  # he is the one paged

    await h.driver.block_action(hyun, Action.ACK, value="1", message=card(h, "ESC-1"))
    await h.settle()
    assert (await state(h, 1)) == "acknowledged"
    await h.driver.block_action(hyun, Action.RESOLVE, value="1", message=card(h, "ESC-1"))
    await h.settle()
    [view] = h.sandbox.open_views(hyun)
    assert view["callback_id"] == View.RESOLVE
    ack = await h.driver.submit_view(hyun, view, inputs={Block.NOTE: "Restarted the refund worker"})
    await h.settle()
    assert ack.status == 200 and (await state(h, 1)) == "resolved"

    h.clock.set(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # Tuesday: the cover is over
    await say(h, PRIYA, "/escalate", "P1 Refund queue stuck again")
    seen = len(h.sandbox.ephemerals(hyun))
    await h.driver.block_action(hyun, Action.ACK, value="2", message=card(h, "ESC-2"))
    await h.settle()
    refusals = h.sandbox.ephemerals(hyun)[seen:]
    assert len(refusals) == 1 and "ESC-2" in refusals[0].text
    assert (await state(h, 2)) == "open"


def card(h: Harness, ref: str) -> Message:
    [found] = [m for m in h.sandbox.channel_messages(CARE) if ref in text_of(m) and not m.is_reply]
    return found


async def state(h: Harness, esc_id: int) -> str:
    async with h.services.sessions() as session:
        esc = await session.get(Escalation, esc_id)
        assert esc is not None
        return esc.state
