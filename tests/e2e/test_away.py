"""Absence and team calendars end to end (issue 16): `/oneteam away|back`, absent people skipped by check-ins,
public holidays of the team's country, bad input answered clearly with nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from sandbox.harness import Harness
from sandbox.slack import text_of
from schedules.checkins import tick
from storage.models import Absence, CheckinPrompt, CheckinRound

JISOO, MINJI, PRIYA, SAM = ("jisoo@hanabpo.example", "minji@hanabpo.example", "priya@acme.example",
                           "sam@acme.example")
HOSTILE = "<!channel> <!here> <@U0X> <https://evil.example|click> & *b*"
MONDAY = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # Monday 12:00 in Seoul, Sunday 22:00 in New York


async def say(h: Harness, email: str, text: str) -> str:
    """What the person saw privately after `/oneteam <text>`."""
    before = len(h.sandbox.ephemerals(h.user(email)))
    ack = await h.command(email, "/oneteam", text)
    await h.settle()
    assert ack.status == 200
    seen = h.sandbox.ephemerals(h.user(email))[before:]
    assert seen and all(m.ephemeral for m in seen)
    return "\n".join(text_of(m) for m in seen)


async def absences(h: Harness) -> list[tuple[str, str, str | None]]:
    async with h.services.sessions() as s:
        rows = (await s.scalars(select(Absence).order_by(Absence.id))).all()
        return [(a.first_day.isoformat(), a.last_day.isoformat(), a.note) for a in rows]


async def test_away_list_and_back(harness: Harness) -> None:
    h = harness
    h.clock.set(MONDAY)
    said = await say(h, PRIYA, f"away 2026-12-24 2026-12-31 {HOSTILE}")
    assert "You're away from" in said and "Thu 24 Dec" in said and "Thu 31 Dec" in said
    assert await absences(h) == [("2026-12-24", "2026-12-31", HOSTILE)]
    listed = h.sandbox.ephemerals(h.user(PRIYA))
    await say(h, PRIYA, "away list")
    shown = str(h.sandbox.ephemerals(h.user(PRIYA))[-1].blocks)
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown and "<https://evil" not in shown
    assert len(h.sandbox.ephemerals(h.user(PRIYA))) == len(listed) + 1
    # Korean for a ko-KR member; a single day; back on that day ends it.
    assert "부재로 등록" in await say(h, JISOO, "away 2026-11-30")
    assert "환영" in await say(h, JISOO, "back")
    assert await absences(h) == [("2026-12-24", "2026-12-31", HOSTILE)]


@pytest.mark.parametrize(("text", "words"), [
    ("away 2026-13-01", "`2026-13-01` is not a date"),
    ("away tomorrow", "`tomorrow` is not a date"),
    ("away 2026-12-31 2026-12-24", "is after the last day"),
    ("away 2026-12-30 2027-01-02", "overlaps your absence from Thu 24 Dec to Thu 31 Dec"),
    ("away 2026-11-01 2026-11-02", "before today"),
    ("away 2028-01-01", "at most 366 days"),
    ("back", "You're not away today"),
    ("away", "/oneteam away ‹first day› [last day] [note]"),
])
async def test_bad_absence_input_is_answered_clearly_and_changes_nothing(
        harness: Harness, text: str, words: str) -> None:
    h = harness
    h.clock.set(MONDAY)
    await say(h, PRIYA, "away 2026-12-24 2026-12-31")
    before = await absences(h)
    said = await say(h, PRIYA, text)
    assert words in said, said
    assert await absences(h) == before


async def test_an_absent_member_gets_no_check_in_prompt(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 11, 19, 12, 0, tzinfo=UTC))  # Thursday
    await say(h, JISOO, "away 2026-11-20 2026-11-23")
    await tick(h.services)
    h.clock.set(datetime(2026, 11, 20, 7, 0, tzinfo=UTC))  # Friday 16:00 in Seoul
    await tick(h.services)
    prompts = [m for m in h.sandbox.dms(h.user(JISOO)) if "checkin_start" in str(m.blocks)]
    assert prompts == []
    assert any("부재로 등록되어 있어" in text_of(m) for m in h.sandbox.dms(h.user(JISOO)))
    assert any("checkin_start" in str(m.blocks) for m in h.sandbox.dms(h.user(MINJI)))  # the others are asked
    async with h.services.sessions() as s:
        states = dict((await s.execute(select(CheckinPrompt.skip_reason, func.count()).where(
            CheckinPrompt.state == "away").group_by(CheckinPrompt.skip_reason))).all())
    assert states == {"absent": 1}


async def test_chuseok_skips_the_check_in_and_the_next_week_is_asked(harness: Harness) -> None:
    """examples/org.yml gives Hana BPO's team the Korean public holidays (`calendar: {country: KR}`)."""
    h = harness
    for when in (datetime(2026, 9, 24, 1, 0, tzinfo=UTC), datetime(2026, 9, 25, 7, 0, tzinfo=UTC),
                 datetime(2026, 9, 26, 7, 0, tzinfo=UTC)):  # Chuseok 2026: Thu 24 to Sat 26 September
        h.clock.set(when)
        await tick(h.services)
    assert not any("checkin_start" in str(m.blocks) for m in h.sandbox.dms(h.user(MINJI)))
    async with h.services.sessions() as s:
        assert (await s.scalars(select(CheckinRound.day))).all() == ["2026-09-25"]  # New York's team only
    for when in (datetime(2026, 10, 1, 12, 0, tzinfo=UTC), datetime(2026, 10, 2, 7, 0, tzinfo=UTC)):
        h.clock.set(when)
        await tick(h.services)
    assert any("checkin_start" in str(m.blocks) for m in h.sandbox.dms(h.user(MINJI)))


async def test_an_urgent_page_outside_working_hours_goes_at_once_marked_after_hours(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday 03:00 in New York
    await h.command(SAM, "/escalate", "P1 team:care-internal Phones down")
    await h.settle()
    h.clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # Monday 10:00 in New York
    await h.command(SAM, "/escalate", "P2 team:care-internal Queue slow")
    await h.settle()
    night = [m for m in h.sandbox.dms(h.user(PRIYA)) if "ESC-1" in text_of(m)]
    day = [m for m in h.sandbox.dms(h.user(PRIYA)) if "ESC-2" in text_of(m)]
    assert night and "After hours for you" in str(night[0].blocks)
    assert day and "After hours" not in str(day[0].blocks)
    # The digest counts the pages that reached someone after hours, by side (one: Priya, internal, at 03:00).
    from bot.digest import render
    from bot.digest.service import digest_for

    model, _png = await digest_for(h.services, "care-internal", "2026-W49", "en")
    assert "**Urgent pages after hours**: internal 1, vendor 0" in render.markdown(model)


async def test_a_p3_page_waits_for_the_responders_working_hours(harness: Harness) -> None:
    from schedules.escalations import tick as escalation_tick

    h = harness
    h.clock.set(datetime(2026, 11, 28, 15, 0, tzinfo=UTC))  # Saturday 10:00 in New York: not a working day
    await h.command(SAM, "/escalate", "P3 team:care-internal Macro typo")
    await h.settle()
    for quiet in (datetime(2026, 11, 29, 15, 0, tzinfo=UTC), datetime(2026, 11, 30, 12, 59, tzinfo=UTC)):
        h.clock.set(quiet)  # Sunday, then Monday 07:59
        await escalation_tick(h.services)
        assert not [m for m in h.sandbox.dms(h.user(PRIYA)) if "ESC-1" in text_of(m)]
    assert any("ESC-1" in text_of(m) for m in h.sandbox.channel_messages("C0CARE"))  # the card is up at once
    h.clock.set(datetime(2026, 11, 30, 13, 0, tzinfo=UTC))  # Monday 08:00 in New York
    await escalation_tick(h.services)
    await escalation_tick(h.services)
    dms = [m for m in h.sandbox.dms(h.user(PRIYA)) if "ESC-1" in text_of(m)]
    assert len(dms) == 1 and "After hours" not in str(dms[0].blocks)
