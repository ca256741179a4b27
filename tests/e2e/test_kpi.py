"""`/kpi` end to end: the real bot over signed HTTP against the sandbox workspace."""

from __future__ import annotations

from sandbox.harness import Harness
from sandbox.slack import text_of

SAM, DANA, MINJI, PRIYA = "sam@acme.example", "dana@acme.example", "minji@hanabpo.example", "priya@acme.example"


async def kpi(h: Harness, email: str, text: str = "") -> str:
    """Runs `/kpi` and returns the text of the ephemeral answer it produced."""
    user = h.user(email)
    before = len(h.sandbox.ephemerals(user))
    ack = await h.command(email, "/kpi", text)
    assert ack.status == 200
    await h.settle()  # the answer is sent after the ack: wait for that work, not a timer
    new = h.sandbox.ephemerals(user)[before:]
    assert len(new) == 1, [text_of(m) for m in new]
    return text_of(new[0])


async def test_set_then_view_shows_latest_target_status_and_weeks(harness: Harness) -> None:
    assert "Recorded Customer satisfaction = 4.2/5" in await kpi(harness, SAM, "set csat 4.2 care-hana 2026-W46")
    answer = await kpi(harness, SAM, "set csat 4.7")
    assert "Recorded Customer satisfaction = 4.7/5" in answer and "2026-W47" in answer and "on track" in answer
    view = await kpi(harness, DANA)
    assert "Customer satisfaction" in view and "Latest 4.7/5 (W47)" in view and "target ≥ 4.5/5" in view
    assert "W44 – · W45 – · W46 4.2/5 · W47 4.7/5" in view
    assert "First response time" in view and "No value yet" in view


async def test_replacing_a_week_says_so(harness: Harness) -> None:
    await kpi(harness, SAM, "set first_response 42")
    answer = await kpi(harness, SAM, "set first_response 25")
    assert "Replaced First response time" in answer and "42 min → 25 min" in answer and "on track" in answer
    history = await kpi(harness, SAM, "history first_response")
    assert "2026-W47: 25 min" in history and "42" not in history


async def test_refusals_and_parsing_errors(harness: Harness) -> None:
    assert "담당자와 관리자만" in await kpi(harness, MINJI)  # vendor lead (ko): not a liaison or manager
    assert "not one of them" in await kpi(harness, PRIYA)
    assert "Only the liaisons and managers of `care-internal`" in await kpi(harness, SAM, "care-internal")
    unknown = await kpi(harness, SAM, "set speed 3")
    assert "no KPI called `speed`" in unknown
    assert "first_response, csat, resolution_rate, checkin_rate, ack_time" in unknown
    assert "`fast` is not a number" in await kpi(harness, SAM, "set csat fast")
    assert "out of range" in await kpi(harness, SAM, "set csat 7")
    assert "out of range" in await kpi(harness, SAM, "set resolution_rate 120%")
    assert "computed by OneTeam" in await kpi(harness, SAM, "set checkin_rate 80")
    assert "has not started yet" in await kpi(harness, SAM, "set csat 4 2026-W49")
    assert "Usage: `/kpi set" in await kpi(harness, SAM, "set csat")
    assert "neither a team you follow" in await kpi(harness, SAM, "set csat 4 care-hana nope")
    assert "How to use /kpi" in await kpi(harness, SAM, "frobnicate this")
    # nothing was recorded by any of the refused commands
    assert "No values recorded for Customer satisfaction" in await kpi(harness, SAM, "history csat")


async def test_set_accepts_only_the_last_52_weeks(harness: Harness) -> None:
    for week in ("1999-W01", "2025-W47"):  # decades back; 53 weeks back
        answer = await kpi(harness, SAM, f"set csat 4 care-hana {week}")
        assert f"{week} is too long ago" in answer and "2025-W48" in answer
    assert "Recorded Customer satisfaction = 4/5" in await kpi(harness, SAM, "set csat 4 care-hana 2025-W48")
    history = await kpi(harness, SAM, "history csat")
    assert "1999" not in history and "2025-W47" not in history
