"""SLA clocks end to end: the real bot over signed HTTP against the sandbox workspace, on the fake clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.digest.service import build_digest
from bot.escalations.ids import Action
from bot.i18n import translator
from bot.kpi.sources import Metrics
from bot.orgfile import load
from sandbox.harness import EXAMPLE_ORG, Harness
from sandbox.slack import Message, text_of
from schedules.escalations import sla_tick, tick
from storage.models import Escalation, EscalationStep
from storage.org import team_by_key

HANA = "C0HANA"
PRIYA, DANA, SAM = "priya@acme.example", "dana@acme.example", "sam@acme.example"
MINJI, HYUN = "minji@hanabpo.example", "hyun@hanabpo.example"
SEOUL = timedelta(hours=9)


def kst(*args: int) -> datetime:
    """A Seoul wall-clock moment as UTC."""
    return datetime(*args, tzinfo=UTC) - SEOUL


@pytest.fixture
async def seoul(clock: FakeClock, database_url: str) -> AsyncIterator[Harness]:
    """The example org as it is: the Seoul vendor team's calendar has Korea's public holidays
    (`calendar: {country: KR}`), and its escalation policy keeps its own business hours (09:00-18:00)."""
    async with Harness(clock=clock, database_url=database_url, org=load(EXAMPLE_ORG)) as h:
        yield h


def card(h: Harness, ref: str = "ESC-1") -> Message:
    [found] = [m for m in h.sandbox.channel_messages(HANA) if ref in text_of(m)]
    return found


def thread(h: Harness, ref: str = "ESC-1") -> list[str]:
    return [text_of(m) for m in h.sandbox.channel_messages(HANA, thread_ts=card(h, ref).ts)]


def dms(h: Harness, email: str, word: str) -> list[str]:
    return [text_of(m) for m in h.sandbox.dms(h.user(email)) if word in text_of(m)]


async def row(h: Harness, esc_id: int = 1) -> Escalation:
    async with h.services.sessions() as session:
        esc = await session.get(Escalation, esc_id)
        assert esc is not None
        return esc


async def breach_notes(h: Harness) -> list[str]:
    async with h.services.sessions() as session:
        return list(await session.scalars(select(EscalationStep.note).where(EscalationStep.kind == "sla_breach")
                                          .order_by(EscalationStep.id)))


async def at(h: Harness, when: datetime) -> None:
    h.clock.set(when)
    await sla_tick(h.services)
    await h.settle()


async def raise_(h: Harness, text: str, email: str = PRIYA) -> None:
    ack = await h.command(email, "/escalate", text)
    assert ack.status == 200
    await h.settle()


async def click(h: Harness, email: str, action: str, value: str) -> None:
    ack = await h.driver.block_action(h.user(email), action, value=value, message=card(h))
    assert ack.status == 200
    await h.settle()


async def test_a_p4_raised_friday_evening_before_chuseok_runs_on_seoul_business_days(seoul: Harness) -> None:
    """P4 resolve target 5d = 45 business hours. Raised Fri 18 Sep 17:50: 10 min that day, 9 h each on Mon
    to Wed, then Chuseok (Thu 24 to Sat 26) and Sunday are closed, 9 h on Mon 28 and the last 8 h 50 on Tue 29:
    due Tue 29 Sep 17:50, not Fri 25 as without the holidays."""
    h = seoul
    h.clock.set(kst(2026, 9, 18, 17, 50))
    await raise_(h, "P4 team:care-hana Refund macro gives the wrong amount")
    await click(h, MINJI, Action.ACK, "1")
    due = kst(2026, 9, 29, 17, 50)
    assert f"<!date^{int(due.timestamp())}^{{ago}}|" in str(card(h).blocks)

    await at(h, kst(2026, 9, 25, 17, 50))  # the deadline without the holidays: nothing yet
    assert await breach_notes(h) == []
    await at(h, kst(2026, 9, 28, 17, 49))  # 80% (36 h) is used on Mon 28 at 17:50
    assert not any(":hourglass:" in line for line in thread(h))
    await at(h, kst(2026, 9, 28, 17, 50))
    assert any(":hourglass:" in line for line in thread(h))
    await at(h, due - timedelta(minutes=1))
    assert await breach_notes(h) == []
    await at(h, due)
    assert await breach_notes(h) == ["resolve:vendor"]  # Minji (Hana BPO) acknowledged: the vendor's clock ran


async def test_a_p3_timer_waits_out_chuseok_by_the_team_calendar(seoul: Harness) -> None:
    """The policy's own P3 timeout (4 business hours) counts on the same calendar as the SLA clock: raised
    Wed 23 Sep 16:00, two hours that day, then Chuseok (Thu 24 to Sat 26) and Sunday are closed: the next
    level is called Mon 28 at 11:00, not Thu 24 at 11:00."""
    h = seoul
    h.clock.set(kst(2026, 9, 23, 16, 0))
    await raise_(h, "P3 team:care-hana Macro typo in the refund reply")
    assert (await row(h)).next_step_at == kst(2026, 9, 28, 11, 0)
    h.clock.set(kst(2026, 9, 24, 11, 0))
    await tick(h.services)
    await h.settle()
    assert (await row(h)).level == 1
    h.clock.set(kst(2026, 9, 28, 11, 0))
    await tick(h.services)
    await h.settle()
    assert (await row(h)).level == 2


async def test_warning_then_breach_tell_the_thread_the_responders_and_the_managers(seoul: Harness) -> None:
    h = seoul
    start = h.clock.now()
    await raise_(h, "P1 team:care-hana Card refunds fail")
    await at(h, start + timedelta(minutes=11))
    assert not dms(h, MINJI, "SLA")
    await at(h, start + timedelta(minutes=12))  # 80% of the 15-minute acknowledge target
    [warning] = dms(h, MINJI, "SLA")
    assert "ESC-1" in warning
    assert any(":hourglass:" in line and f"<@{h.user(MINJI)}>" in line for line in thread(h))
    assert not dms(h, DANA, "SLA")

    await at(h, start + timedelta(minutes=15))
    [breach] = dms(h, DANA, "SLA")
    assert "ESC-1" in breach
    assert any(":rotating_light:" in line for line in thread(h))
    assert "missed" in str(card(h).blocks) or "초과" in str(card(h).blocks)
    assert await breach_notes(h) == ["ack:vendor"]  # level 1 (Minji, vendor lead) had it

    await at(h, start + timedelta(minutes=40))  # announced once, however often the tick runs
    assert len(dms(h, DANA, "SLA")) == 1 and len(dms(h, MINJI, "SLA")) == 1


async def test_waiting_on_the_other_side_pauses_the_clock_and_clearing_resumes_it(seoul: Harness) -> None:
    h = seoul
    start = h.clock.now()
    await raise_(h, "P1 team:care-hana Card refunds fail")
    h.clock.set(start + timedelta(minutes=5))
    await click(h, HYUN, f"{Action.WAIT}_internal", "1")  # a plain member is no responder: refused, nothing changed
    assert (await row(h)).waiting_on is None
    assert any("Nothing was changed" in text_of(m) or "바뀌지" in text_of(m)
               for m in h.sandbox.ephemerals(h.user(HYUN)))

    await click(h, MINJI, f"{Action.WAIT}_internal", "1")
    esc = await row(h)
    assert esc.waiting_on == "internal" and esc.sla_running_since is None and esc.sla_used_s == 300
    assert any("escalation_wait" in str(b) for b in card(h).blocks)

    await at(h, start + timedelta(hours=2))  # paused: no warning however long the other side takes
    assert not dms(h, MINJI, "SLA")

    h.clock.set(start + timedelta(hours=2))
    await click(h, MINJI, f"{Action.WAIT}_clear", "1")
    assert (await row(h)).waiting_on is None
    await at(h, start + timedelta(hours=2, minutes=6))  # 5 + 6 = 11 minutes used
    assert not dms(h, MINJI, "SLA")
    await at(h, start + timedelta(hours=2, minutes=7))  # 12 minutes used: the warning
    assert len(dms(h, MINJI, "SLA")) == 1


async def test_three_instances_announce_each_breach_once(seoul: Harness) -> None:
    h = seoul
    instances = [h.services] + [(await h.add_instance())[0] for _ in range(2)]
    start = h.clock.now()
    for n in range(3):
        await raise_(h, f"P1 team:care-hana Outage {n}")
    for minutes in (12, 15, 30):
        h.clock.set(start + timedelta(minutes=minutes))
        await asyncio.gather(*(sla_tick(s) for s in instances for _ in range(2)))
        while pending := [task for s in instances for task in s.background]:  # each instance's sending
            await asyncio.wait(pending)
        await h.settle()
    assert Counter(await breach_notes(h)) == {"ack:vendor": 3}
    assert len(dms(h, DANA, "SLA")) == 3 and len(dms(h, MINJI, "SLA")) == 3
    keys: Counter[str] = Counter()
    for messages in h.sandbox.ws.messages.values():
        for message in messages:
            key = ((message.metadata or {}).get("event_payload") or {}).get("key")
            if key:
                keys[key] += 1
    assert not {k: n for k, n in keys.items() if n > 1}


async def test_attainment_and_breaches_by_side_reach_the_kpis_and_the_digest(seoul: Harness) -> None:
    h = seoul
    start = h.clock.now()
    await raise_(h, "P1 team:care-hana Late one")
    await raise_(h, "P1 team:care-hana Quick one")
    h.clock.set(start + timedelta(minutes=2))
    await h.driver.block_action(h.user(MINJI), Action.ACK, value="2", message=card(h, "ESC-2"))
    await h.settle()
    await at(h, start + timedelta(minutes=20))
    async with h.services.sessions() as session:
        team = await team_by_key(session, "care-hana")
        assert team is not None
        metrics = Metrics(session, team.id, h.services.metrics)
        end = start + timedelta(days=1)
        figures = await metrics.escalations.get(start - timedelta(hours=1), end)
        assert figures is not None and figures.sla_ack == {"P1": (1, 2)} and figures.breaches_by_side == {"vendor": 1}
        assert await metrics.source_value("sla_ack_p1", start - timedelta(hours=1), end) == pytest.approx(50)
        assert await metrics.source_value("sla_breaches_vendor", start - timedelta(hours=1), end) == 1
        assert await metrics.source_value("escalation_within_sla", start - timedelta(hours=1), end) == \
            pytest.approx(50)
        digest = await build_digest(session, team, "2026-W47", h.clock.now(), translator("en"), h.services.metrics)
    [section] = [s for s in digest.sections if s.key == "sla"]
    assert [(i.label, i.value) for i in section.items] == [
        ("P1", "acknowledged in time 50% (1/2)"), ("SLA breaches by side", "internal 0, vendor 1")]


async def test_escalate_list_puts_the_least_time_left_first(seoul: Harness) -> None:
    h = seoul
    await raise_(h, "P3 team:care-hana Slow one")
    await raise_(h, "P1 team:care-hana Urgent one")
    await h.settle()
    ack = await h.command(SAM, "/escalate", "list")  # the liaison of the Seoul team
    assert ack.status == 200
    await h.settle()
    text = text_of(h.sandbox.ephemerals(h.user(SAM))[-1])
    assert text.index("ESC-2") < text.index("ESC-1")  # the P1's 15 minutes before the P3's business hours
    assert "next SLA deadline <!date^" in text


async def test_app_home_shows_the_live_clock_then_the_miss(seoul: Harness) -> None:
    h = seoul
    start = h.clock.now()
    await raise_(h, "P1 team:care-hana Card refunds fail", email=SAM)
    due = start + timedelta(minutes=15)
    home = str(h.sandbox.home(h.user(SAM)))
    assert "SLA due" in home and f"<!date^{int(due.timestamp())}^" in home
    await at(h, due)
    home = str(h.sandbox.home(h.user(SAM)))
    assert "SLA missed" in home and "SLA due" not in home


async def test_a_target_missed_between_two_ticks_is_recorded_when_the_clock_stops(seoul: Harness) -> None:
    h = seoul
    await raise_(h, "P1 team:care-hana Card refunds fail")
    h.clock.advance(minutes=16)  # no SLA tick ran since the 15 minutes were over
    await click(h, MINJI, Action.ACK, "1")
    assert await breach_notes(h) == ["ack:vendor"]
    assert len(dms(h, DANA, "SLA breach")) == 1
    figures_flags = (await row(h)).sla_flags
    assert figures_flags & 2  # the acknowledge clock is judged missed in the KPIs

    await click(h, MINJI, f"{Action.WAIT}_vendor", "1")
    await click(h, MINJI, f"{Action.WAIT}_vendor", "1")  # twice: told it is already so, nothing changes
    assert any("already in that state" in text_of(m) or "이미" in text_of(m)
               for m in h.sandbox.ephemerals(h.user(MINJI)))


async def test_hostile_summaries_stay_text_in_sla_messages(seoul: Harness) -> None:
    h = seoul
    hostile = "<!channel> <!here> <@U0X> <https://evil.example|click> & *b*"
    start = h.clock.now()
    await raise_(h, f"P1 team:care-hana {hostile}")
    await at(h, start + timedelta(minutes=15))
    sent = [str(m.blocks) + m.text for m in h.sandbox.dms(h.user(DANA)) + h.sandbox.dms(h.user(MINJI))]
    sent += thread(h)
    assert any("SLA" in text for text in sent)
    for text in sent:
        for live in ("<!channel>", "<!here>", "<@U0X>", "<https://evil.example"):
            assert live not in text
