"""Pulse surveys end to end: the real bot over HTTP against the sandbox, with an injected clock."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from bot.clock import FakeClock
from bot.i18n import translator
from bot.orgfile import load
from demo.pulse import EXTRA_STAFF, answer, invitation_for, open_survey_ids, with_vendor_staff
from sandbox.harness import EXAMPLE_ORG, Harness
from sandbox.slack import text_of
from schedules.pulse import tick

VENDOR = [f"{login}@hanabpo.example" for login, _ in EXTRA_STAFF]  # Korean-speaking agents
KO = translator("ko")
WORKING_IN_SEOUL_AND_NEW_YORK = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # Tue 08:30 Seoul, Mon 18:30 NY


@pytest.fixture
async def h(clock: FakeClock) -> AsyncIterator[Harness]:
    clock.set(WORKING_IN_SEOUL_AND_NEW_YORK)
    async with Harness(org=with_vendor_staff(load(EXAMPLE_ORG), "care-hana", 6), clock=clock) as harness:
        yield harness


def _last_ephemeral(h: Harness, email: str) -> str:
    return text_of(h.sandbox.ephemerals(h.user(email))[-1])


async def _results(h: Harness, email: str, team: str = "care-hana") -> str:
    ack = await h.command(email, "/pulse", f"results {team}")
    await h.settle()
    assert ack.ok
    return _last_ephemeral(h, email)


async def test_send_answer_remind_close_and_threshold(h: Harness, clock: FakeClock) -> None:
    await tick(h.services)
    hana = (await open_survey_ids(h))["care-hana"]
    assert all(invitation_for(h, e, hana) for e in [*VENDOR, "sam@acme.example"])
    assert invitation_for(h, "dana@acme.example", hana) is None  # managers read, they are not asked

    # a missing answer is rejected in the modal, nothing is stored, the person can fix it
    user = h.user(VENDOR[0])
    await h.driver.block_action(user, "pulse_open", message=invitation_for(h, VENDOR[0], hana))
    await h.settle()
    view = h.sandbox.open_views(user)[-1]
    first_q = next(b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("pulse_q_"))
    ack = await h.driver.submit_view(user, view, inputs={first_q: "3", "pulse_enps": "7"})
    assert ack.body["response_action"] == "errors" and len(ack.body["errors"]) == 2
    h.sandbox.close_view(user, view["id"])

    for email in VENDOR[:4]:
        _click, sub = await answer(h, email, hana, likert=2, enps=6)
        assert sub.ok and KO("pulse.outcome.stored") in text_of(h.sandbox.open_views(h.user(email))[-1])
    _click, again = await answer(h, VENDOR[0], hana)
    assert again is None and KO("pulse.errors.already") in _last_ephemeral(h, VENDOR[0])

    while_open = await _results(h, "sam@acme.example")
    assert "open until" in while_open and "answers" not in while_open

    clock.advance(days=2, minutes=1)
    await tick(h.services)
    assert "알림" in text_of(h.sandbox.dms(h.user(VENDOR[5]))[-1])
    await tick(h.services)
    assert sum("알림" in text_of(m) for m in h.sandbox.dms(h.user(VENDOR[5]))) == 1  # one reminder only
    clock.advance(days=1)
    await tick(h.services)
    assert "has closed" in text_of(h.sandbox.dms(h.user("dana@acme.example"))[-1])
    _click, late = await answer(h, VENDOR[5], hana)
    assert late is None and "마감" in _last_ephemeral(h, VENDOR[5])

    hidden = await _results(h, "dana@acme.example")  # a segment of 4: hidden
    assert "Fewer than 5 people answered" in hidden and "average" not in hidden

    clock.advance(days=11)
    await tick(h.services)
    second = (await open_survey_ids(h))["care-hana"]
    for email in VENDOR[:5]:
        await answer(h, email, second, likert=4, enps=9, comment="Love the new huddles" if email == VENDOR[0] else None)
    clock.advance(days=3)
    await tick(h.services)
    shown = await _results(h, "dana@acme.example")  # a segment of 5: shown
    assert "*5* answers" in shown and "Not split into internal and vendor sides" in shown  # Sam is one person
    assert "Vendor side" not in shown and "Internal side" not in shown
    assert "average *4.00*" in shown and "(+2.00 since last time)" not in shown  # the hidden survey is no baseline
    assert "Love the new huddles" in shown


async def test_results_are_refused_to_others(h: Harness) -> None:
    refused = await _results(h, "minji@hanabpo.example")  # the vendor lead
    assert KO("pulse.errors.results_refused", team="Customer Service, Hana BPO Seoul") in refused
    assert "Only managers and liaisons" in await _results(h, "priya@acme.example")
    assert "No pulse survey has closed" in await _results(h, "sam@acme.example")


async def test_slash_pulse_opens_the_survey_and_closed_or_missing_says_so(h: Harness) -> None:
    await h.command(VENDOR[0], "/pulse")
    await h.settle()
    assert KO("pulse.errors.none_open") in _last_ephemeral(h, VENDOR[0])  # nothing open yet: told so
    await tick(h.services)
    await h.command(VENDOR[0], "/pulse")
    await h.settle()
    [view] = h.sandbox.open_views(h.user(VENDOR[0]))
    assert view["callback_id"] == "pulse_answer" and len([b for b in view["blocks"] if b["type"] == "input"]) == 5


async def test_anonymity_dump_links_no_answer_to_a_member(h: Harness, clock: FakeClock,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # production's level for libraries; ours at DEBUG
    caplog.set_level(logging.DEBUG, logger="oneteam")
    await tick(h.services)
    hana = (await open_survey_ids(h))["care-hana"]
    comment = "The vendor floor never hears about changes in time"
    for n, email in enumerate([*VENDOR[:5], "sam@acme.example"]):
        await answer(h, email, hana, likert=n % 5 + 1, enps=n, comment=comment if n == 2 else None)
    clock.advance(days=3)
    await tick(h.services)

    identities = {s for p in h.spec.people for s in (p.email, p.name, h.user(p.email))}
    async with h.services.db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        dump = {t: [dict(r) for r in (await conn.execute(text(f'SELECT * FROM "{t}"'))).mappings()] for t in tables}
    answers, comments, receipts = dump["pulse_answers"], dump["pulse_comments"], dump["pulse_receipts"]
    assert len(answers) == 6 * 4 and [c["text"] for c in comments] == [comment] and len(receipts) == 6

    # 1. answer rows hold no identity, no time at all, no reference to anything but the survey
    for row in answers + comments:
        assert set(row) <= {"id", "survey_id", "side", "question_id", "value", "text"}
        assert not {str(v) for v in row.values()} & identities
    # 2. receipts hold only the keyed hash and the survey (their answers are written): no date, no side,
    # nothing of the answers
    answer_keys = {r["id"] for r in answers + comments}
    for row in receipts:
        assert set(row) == {"token", "survey_id", "holder"} and row["holder"] is None
        assert not {str(v) for v in row.values()} & identities
    # 3. no other table mentions an answer's key, value set or comment: there is nothing to join on
    for table, rows in dump.items():
        if table in ("pulse_answers", "pulse_comments"):
            continue
        flat = " ".join(str(v) for r in rows for v in r.values())
        assert comment not in flat and not any(k in flat for k in answer_keys), table
    # 4. rows are not kept in insertion order (SQLite tables WITHOUT ROWID, random keys)
    async with h.services.db.engine.connect() as conn:
        with pytest.raises(Exception, match="rowid"):
            await conn.execute(text("SELECT rowid FROM pulse_answers"))
    # 5. nor do the logs (ours and the libraries' at the production level) carry an answer
    leaks = [f"{r.name}: {r.getMessage()[:300]}" for r in caplog.records if comment in f"{r.getMessage()} {r.__dict__}"]
    assert not leaks, leaks


async def test_invitations_wait_for_each_members_working_hours(clock: FakeClock) -> None:
    friday_21_in_seoul = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 07:00 in New York
    clock.set(friday_21_in_seoul)
    async with Harness(org=with_vendor_staff(load(EXAMPLE_ORG), "care-hana", 6), clock=clock) as h:
        await tick(h.services)
        hana = (await open_survey_ids(h))["care-hana"]
        assert invitation_for(h, VENDOR[0], hana) is None  # not at 21:00 on a Friday night in Seoul
        assert invitation_for(h, "sam@acme.example", hana) is None  # nor at 07:00 in New York

        clock.set(datetime(2026, 11, 20, 13, 0, tzinfo=UTC))  # 08:00 in New York, 22:00 in Seoul
        await tick(h.services)
        sam = invitation_for(h, "sam@acme.example", hana)
        assert sam is not None and invitation_for(h, VENDOR[0], hana) is None
        assert not re.search(r"\d:\d\d:\d\d", text_of(sam))  # the closing time, to the minute

        clock.set(datetime(2026, 11, 22, 22, 59, tzinfo=UTC))  # the weekend in Seoul, up to Monday 07:59
        await tick(h.services)
        assert invitation_for(h, VENDOR[0], hana) is None
        clock.set(datetime(2026, 11, 22, 23, 0, tzinfo=UTC))  # Monday 08:00 in Seoul
        await tick(h.services)
        assert all(invitation_for(h, e, hana) for e in VENDOR)
        assert not any("알림" in text_of(m) for m in h.sandbox.dms(h.user(VENDOR[0])))  # no reminder right after


async def test_answers_lost_in_a_restart_are_told_and_can_be_given_again(clock: FakeClock,
                                                                         database_url: str) -> None:
    clock.set(WORKING_IN_SEOUL_AND_NEW_YORK)
    async with Harness(org=with_vendor_staff(load(EXAMPLE_ORG), "care-hana", 6), clock=clock,
                       database_url=database_url) as h:
        await _lost_in_a_restart(h)


async def _lost_in_a_restart(h: Harness) -> None:
    await tick(h.services)
    hana = (await open_survey_ids(h))["care-hana"]
    for email in VENDOR[:2]:
        await answer(h, email, hana, likert=3, enps=7)  # fewer than 2k: they wait in memory
    await h.restart()  # the process dies with them
    await tick(h.services)

    for email in VENDOR[:2]:
        lost = h.sandbox.dms(h.user(email))[-1]
        assert KO("pulse.lost.text_open", team="Customer Service, Hana BPO Seoul", closes="")[:20] in text_of(lost)
        assert invitation_for(h, email, hana) is lost  # with the button to answer again
        _click, again = await answer(h, email, hana, likert=4, enps=8)
        assert again is not None and KO("pulse.outcome.stored") in text_of(h.sandbox.open_views(h.user(email))[-1])
    assert invitation_for(h, VENDOR[2], hana) is not None
    assert not any("OneTeam" in text_of(m) for m in h.sandbox.dms(h.user(VENDOR[2])))  # only those who lost answers
    await tick(h.services)  # told once
    assert sum("OneTeam" in text_of(m) for m in h.sandbox.dms(h.user(VENDOR[0]))) == 1


async def test_quiet_hours_hold_an_invitation_to_0900_on_the_next_working_day(clock: FakeClock) -> None:
    """The team's calendar decides (issue 16): 09:00-18:00 in Seoul, Korean public holidays."""
    from bot.calendar import CalendarConfig

    spec = with_vendor_staff(load(EXAMPLE_ORG), "care-hana", 6)
    calendar = CalendarConfig(hours=("09:00", "18:00"), country="KR")
    spec = spec.model_copy(update={"teams": tuple(
        t.model_copy(update={"calendar": calendar}) if t.key == "care-hana" else t for t in spec.teams)})
    clock.set(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))  # Friday 21:00 in Seoul
    async with Harness(org=spec, clock=clock) as h:
        await tick(h.services)
        hana = (await open_survey_ids(h))["care-hana"]
        for quiet in (datetime(2026, 11, 21, 1, 0, tzinfo=UTC),  # Saturday 10:00 in Seoul
                      datetime(2026, 11, 22, 23, 0, tzinfo=UTC),  # Monday 08:00
                      datetime(2026, 11, 22, 23, 59, tzinfo=UTC)):  # Monday 08:59
            clock.set(quiet)
            await tick(h.services)
            assert invitation_for(h, VENDOR[0], hana) is None
        clock.set(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))  # Monday 09:00 in Seoul
        await tick(h.services)
        assert all(invitation_for(h, e, hana) for e in VENDOR)


async def test_a_member_away_is_invited_only_once_back(h: Harness, clock: FakeClock) -> None:
    """`/oneteam away` holds the invitation while the survey is open; `/oneteam back` lets it go."""
    clock.set(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 10:00 in Seoul (the survey is not open yet)
    ack = await h.command(VENDOR[0], "/oneteam", "away 2026-11-24 2026-11-30")
    await h.settle()
    assert ack.ok
    clock.set(WORKING_IN_SEOUL_AND_NEW_YORK)  # Tuesday 08:30 in Seoul
    await tick(h.services)
    hana = (await open_survey_ids(h))["care-hana"]
    assert invitation_for(h, VENDOR[0], hana) is None and invitation_for(h, VENDOR[1], hana) is not None
    await h.command(VENDOR[0], "/oneteam", "back")
    await h.settle()
    await tick(h.services)
    assert invitation_for(h, VENDOR[0], hana) is not None
