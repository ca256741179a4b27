"""The weekly digest tick: Monday 09:00 in the manager's zone, once per manager and week, with its chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from bot.calendar import CalendarConfig
from bot.clock import FakeClock
from bot.digest import chart
from bot.digest.model import Digest
from bot.escalations.ids import Action, Block
from bot.orgfile import load
from sandbox.harness import EXAMPLE_ORG, Harness
from sandbox.slack import text_of
from schedules import digest, escalations

DANA, SAM = "dana@acme.example", "sam@acme.example"
PRIYA, MINJI = "priya@acme.example", "minji@hanabpo.example"
HANA = "C0HANA"


async def test_digest_goes_to_each_manager_once_on_monday_morning_with_a_chart(harness: Harness) -> None:
    await harness.command(SAM, "/kpi", "set csat 4.2 care-hana 2026-W46")
    await harness.command(SAM, "/kpi", "set csat 4.8 care-hana 2026-W47")
    await harness.settle()
    dana = harness.user(DANA)
    harness.clock.set(datetime(2026, 11, 23, 13, 59, tzinfo=UTC))  # Monday 08:59 in New York
    await digest.tick(harness.services)
    assert harness.sandbox.dms(dana) == []

    harness.clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 09:00 in New York
    await digest.tick(harness.services)
    await digest.tick(harness.services)  # a second run (or a second instance) sends nothing more
    top = [m for m in harness.sandbox.dms(dana) if not m.is_reply]
    # Dana manages two teams: one digest for the week, with a part per team.
    assert len(top) == 1, [text_of(m) for m in top]
    digest_dm = text_of(top[0])
    assert "Customer Service, Hana BPO Seoul" in digest_dm and "Customer Care (internal)" in digest_dm
    assert "2026-W47" in digest_dm
    assert "Customer satisfaction" in digest_dm and "4.8/5" in digest_dm
    files = [f for f in harness.sandbox.files() if "care-hana" in f["name"]]
    assert len(files) == 1 and files[0]["bytes"].startswith(b"\x89PNG") and files[0]["thread_ts"] == top[0].ts
    assert harness.sandbox.dms(harness.user(SAM)) == []  # liaisons are not managers: no digest

    harness.clock.set(datetime(2026, 11, 24, 14, 0, tzinfo=UTC))  # Tuesday: still the same week's digest
    await digest.tick(harness.services)
    assert len([m for m in harness.sandbox.dms(dana) if not m.is_reply]) == len(top)


async def test_a_monday_public_holiday_holds_the_digest_until_the_next_working_morning_once(
        clock: FakeClock, database_url: str) -> None:
    """Memorial Day 2026 (Mon 25 May) is a US public holiday and, that year, Korea's alternative holiday for
    Buddha's Birthday: Dana (New York) manages a team on each calendar, so her digest waits for Tuesday 08:00
    in New York, the start of her next working day, and goes once."""
    spec = load(EXAMPLE_ORG)
    org = spec.model_copy(update={"teams": tuple(
        team.model_copy(update={"calendar": CalendarConfig(country="US")}) if team.key == "care-internal" else team
        for team in spec.teams)})
    async with Harness(clock=clock, database_url=database_url, org=org) as harness:
        dana = harness.user(DANA)
        harness.clock.set(datetime(2026, 5, 25, 13, 0, tzinfo=UTC))  # Monday 09:00 in New York: a holiday
        await digest.tick(harness.services)
        harness.clock.set(datetime(2026, 5, 25, 20, 0, tzinfo=UTC))
        await digest.tick(harness.services)
        harness.clock.set(datetime(2026, 5, 26, 11, 59, tzinfo=UTC))  # Tuesday 07:59: not working yet
        await digest.tick(harness.services)
        assert harness.sandbox.dms(dana) == []

        harness.clock.set(datetime(2026, 5, 26, 12, 0, tzinfo=UTC))  # Tuesday 08:00 in New York
        await digest.tick(harness.services)
        await digest.tick(harness.services)
        harness.clock.set(datetime(2026, 5, 27, 14, 0, tzinfo=UTC))  # Wednesday: nothing more
        await digest.tick(harness.services)
        [sent] = [m for m in harness.sandbox.dms(dana) if not m.is_reply]
        text = text_of(sent)
        assert "2026-W21" in text  # the week before the holiday Monday
        assert "Customer Service, Hana BPO Seoul" in text and "Customer Care (internal)" in text


async def test_time_to_acknowledge_reaches_kpi_and_digest(harness: Harness) -> None:
    """Raised, acknowledged 20 minutes later, resolved: /kpi and the digest both say 0.33 h."""
    h = harness
    h.clock.set(datetime(2026, 11, 20, 1, 0, tzinfo=UTC))  # Friday 10:00 in Seoul, week 47
    raised = await h.command(PRIYA, "/escalate", "P2 care-hana Refund queue stuck since 9am")
    assert raised.status == 200
    await h.settle()
    card = next(m for m in h.sandbox.channel_messages(HANA) if "ESC-1" in text_of(m))
    h.clock.advance(minutes=20)
    await escalations.tick(h.services)
    await h.driver.block_action(h.user(MINJI), Action.ACK, message=card)
    await h.settle()
    h.clock.advance(minutes=40)
    await h.driver.block_action(h.user(MINJI), Action.RESOLVE, message=card)
    await h.settle()
    await h.driver.submit_view(h.user(MINJI), h.sandbox.open_views(h.user(MINJI))[-1],
                               inputs={Block.NOTE: "Restarted the refund worker"})
    await h.settle()

    sam = h.user(SAM)
    await h.command(SAM, "/kpi", "care-hana")
    await h.settle()
    table = text_of(h.sandbox.ephemerals(sam)[-1])
    assert "*Time to acknowledge (median)* - ✅ on track" in table and "Latest 0.33 h (W47)" in table

    h.clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York
    await digest.tick(h.services)
    hana = [text_of(m) for m in h.sandbox.dms(h.user(DANA)) if not m.is_reply]
    assert len(hana) == 1 and "Hana BPO" in hana[0]
    assert "Time to acknowledge*: median 0.33 h, p90 0.33 h" in hana[0]
    assert "Time to resolve*: median 1 h, p90 1 h" in hana[0]
    assert "Time to acknowledge (median)*: 0.33 h (target ≤ 2 h) ✅ on track" in hana[0]


async def test_a_digest_whose_chart_cannot_be_drawn_goes_without_it(harness: Harness,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    async def child_failed(_digests: Sequence[Digest]) -> list[bytes | None]:
        raise RuntimeError("drawing the charts failed: no display")  # what `draw` raises when its child fails

    monkeypatch.setattr(chart, "draw", child_failed)
    await harness.command(SAM, "/kpi", "set csat 4.8 care-hana 2026-W47")
    await harness.settle()
    harness.clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York
    await digest.tick(harness.services)
    top = [m for m in harness.sandbox.dms(harness.user(DANA)) if not m.is_reply]
    assert len(top) == 1 and "4.8/5" in text_of(top[0])
    assert harness.sandbox.files() == []
