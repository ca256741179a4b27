"""App Home per role, published on open and again when something changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.events import HomeChanged
from bot.home.service import home_refresher
from bot.metrics import KpiPanel, MetricsProviders
from sandbox.harness import Harness
from sandbox.slack import text_of
from storage.models import Team

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


async def test_a_burst_of_changes_publishes_the_home_once_with_the_latest_state(harness: Harness) -> None:
    dana = harness.user(DANA)
    await harness.command(SAM, "/kpi", "set csat 4.4")  # publishes Dana's Home once
    await harness.settle()
    for _ in range(200):
        await harness.services.events.publish(HomeChanged([dana]))
    await harness.settle()
    publishes = [c for c in harness.sandbox.calls_to("views.publish") if c.args.get("user_id") == dana]
    assert len(publishes) == 2
    assert "Latest 4.4/5 (W47)" in text_of(harness.sandbox.home(dana))


async def test_team_kpis_are_computed_once_for_many_home_refreshes(harness: Harness) -> None:
    """Each Home refresh of a liaison or manager shows their teams' KPIs; an event (an answer, an escalation
    step) must not recompute them for every viewer, every time."""
    metrics = harness.services.metrics
    real, computed = metrics.home_kpis, []
    assert real is not None

    async def counted(session: AsyncSession, team: Team, now: datetime, providers: MetricsProviders
                      ) -> KpiPanel | None:
        computed.append(team.key)
        return await real(session, team, now, providers)

    harness.services.metrics = replace(metrics, home_kpis=counted)
    for _ in range(3):
        await harness.services.events.publish(HomeChanged([harness.user(DANA), harness.user(SAM)]))
        await harness.settle()
    assert sorted(computed) == ["care-hana", "care-internal"]  # once per team, not per viewer and refresh
    await harness.command(SAM, "/kpi", "set csat 4.2 care-hana")
    await harness.settle()
    assert "Latest 4.2/5 (W47)" in text_of(harness.sandbox.home(harness.user(DANA)))  # a value set: at once


async def test_opening_the_home_publishes_it_at_once_and_drops_a_queued_refresh(harness: Harness) -> None:
    sam = harness.user(SAM)
    gate = harness.services.acks
    gate.enter()  # a request still waiting for its ack holds the background refresh back
    home_refresher(harness.services).request([sam])  # queued by an earlier change, not yet published
    ack = await harness.driver.event({"type": "app_home_opened", "user": sam, "tab": "home", "channel": "D0X"})
    assert ack.status == 200
    gate.leave()
    await harness.settle()
    assert len([c for c in harness.sandbox.calls_to("views.publish") if c.args.get("user_id") == sam]) == 1
    assert "KPIs: Customer Service, Hana BPO Seoul" in text_of(harness.sandbox.home(sam))
