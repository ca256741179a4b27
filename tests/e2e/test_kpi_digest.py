"""The weekly digest tick: Monday 09:00 in the manager's zone, once per manager and week, with its chart."""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.harness import Harness
from sandbox.slack import text_of
from schedules import digest

DANA, SAM = "dana@acme.example", "sam@acme.example"


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
    hana = [m for m in top if "Customer Service, Hana BPO Seoul, 2026-W47" in text_of(m)]
    assert len(hana) == 1, [text_of(m) for m in top]
    assert "Customer satisfaction" in text_of(hana[0]) and "4.8/5" in text_of(hana[0])
    assert len([m for m in top if "Customer Care (internal), 2026-W47" in text_of(m)]) == 1  # her other team
    files = [f for f in harness.sandbox.files() if "care-hana" in f["name"]]
    assert len(files) == 1 and files[0]["bytes"].startswith(b"\x89PNG") and files[0]["thread_ts"] == hana[0].ts
    assert harness.sandbox.dms(harness.user(SAM)) == []  # liaisons are not managers: no digest

    harness.clock.set(datetime(2026, 11, 24, 14, 0, tzinfo=UTC))  # Tuesday: still the same week's digest
    await digest.tick(harness.services)
    assert len([m for m in harness.sandbox.dms(dana) if not m.is_reply]) == len(top)
