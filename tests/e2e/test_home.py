"""App Home per role, published on open and again when something changes."""

from __future__ import annotations

from sandbox.harness import Harness
from sandbox.slack import text_of

SAM, DANA, PRIYA, MINJI = "sam@acme.example", "dana@acme.example", "priya@acme.example", "minji@hanabpo.example"


async def open_home(h: Harness, email: str) -> str:
    user = h.user(email)
    ack = await h.driver.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0X"})
    assert ack.status == 200
    await h.settle()
    home = h.sandbox.home(user)
    assert home is not None and home["type"] == "home"
    return text_of(home)


async def test_members_see_their_week_liaisons_also_see_kpis(harness: Harness) -> None:
    priya = await open_home(harness, PRIYA)
    assert "OneTeam for Priya Raman" in priya and "Escalations you raised" in priya
    assert "KPIs" not in priya and "teams you look after" not in priya
    minji = await open_home(harness, MINJI)  # vendor lead, in Korean
    assert "Kim Min-ji님의 OneTeam" in minji and "KPI" not in minji
    sam = await open_home(harness, SAM)
    assert "KPIs: Customer Service, Hana BPO Seoul" in sam and "Customer satisfaction" in sam
    assert "Open escalations in the teams you look after" in sam


async def test_home_is_republished_when_a_kpi_changes(harness: Harness) -> None:
    before = await open_home(harness, DANA)
    assert "4.6/5" not in before
    await harness.command(SAM, "/kpi", "set csat 4.6")
    await harness.settle()
    assert "Latest 4.6/5 (W47)" in text_of(harness.sandbox.home(harness.user(DANA)))  # not reopened: pushed
    assert "Latest 4.6/5 (W47)" in text_of(harness.sandbox.home(harness.user(SAM)))
    assert harness.sandbox.home(harness.user(PRIYA)) is None  # not a viewer of KPIs: nothing published
