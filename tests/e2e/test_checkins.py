"""Weekly check-ins end to end: the real bot over HTTP against the sandbox, with a fake clock (no sleeping)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from bot.checkins.fanout import run_due
from bot.checkins.service import checkin_metrics
from sandbox.slack import text_of
from schedules.checkins import tick
from storage.models import CheckinBlocker, CheckinPrompt, Team

THURSDAY = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
SEOUL_1600 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)  # Friday 16:00 in Seoul
NEW_YORK_1600 = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)  # Friday 16:00 in New York (EST)

MINJI, JISOO, HYUN, PRIYA, SAM = ("minji@hanabpo.example", "jisoo@hanabpo.example", "hyun@hanabpo.example",
                                  "priya@acme.example", "sam@acme.example")


def prompts_of(h, email):
    return [m for m in h.sandbox.dms(h.user(email)) if "checkin_start" in str(m.blocks) and "snooze" not in
            str(m.blocks)]


async def at(h, when):
    h.clock.set(when)
    await tick(h.services)


async def open_form(h, email):
    prompt = prompts_of(h, email)[-1]
    ack = await h.driver.block_action(h.user(email), "checkin_start", message=prompt)
    assert ack.ok
    await h.settle()
    return h.sandbox.open_views(h.user(email))[-1]


async def submit(h, email, view, **inputs):
    ack = await h.driver.submit_view(h.user(email), view, inputs={f"q_{k}": v for k, v in inputs.items()})
    await h.settle()
    return ack


async def answer(h, email, **inputs):
    return await submit(h, email, await open_form(h, email), **inputs)


async def test_each_member_is_prompted_at_their_own_1600(harness):
    h = harness
    await at(h, THURSDAY)
    assert all(not prompts_of(h, e) for e in (MINJI, JISOO, HYUN, PRIYA))
    await at(h, SEOUL_1600.replace(minute=0, hour=6, second=0).replace(minute=59))
    assert not prompts_of(h, MINJI)
    await at(h, SEOUL_1600)
    assert [len(prompts_of(h, e)) for e in (MINJI, JISOO, HYUN, PRIYA)] == [1, 1, 1, 0]
    assert "체크인" in text_of(prompts_of(h, MINJI)[0])  # Korean for a ko-KR member
    await at(h, NEW_YORK_1600)
    assert len(prompts_of(h, PRIYA)) == 1 and "check-in" in text_of(prompts_of(h, PRIYA)[0])
    # liaisons and managers read check-ins; they are not prompted
    assert not prompts_of(h, SAM) and not prompts_of(h, "dana@acme.example")
    await at(h, NEW_YORK_1600.replace(hour=22))
    assert len(prompts_of(h, MINJI)) == 1 and len(prompts_of(h, PRIYA)) == 1  # never twice


async def test_answer_validation_blocker_summary_edit_and_close(harness):
    h = harness
    await at(h, THURSDAY)
    await at(h, SEOUL_1600)

    bad = await answer(h, MINJI, done="Shipped the FAQ", next="", mood=7)
    assert bad.body["response_action"] == "errors"
    assert set(bad.body["errors"]) == {"q_next", "q_mood"}
    assert "1" in bad.body["errors"]["q_mood"] and "5" in bad.body["errors"]["q_mood"]
    async with h.services.sessions() as s:
        assert all(p.answers is None for p in (await s.scalars(select(CheckinPrompt))).all())

    ok = await answer(h, MINJI, done="Shipped the FAQ", next="Train two new agents", mood=4,
                      blockers="Waiting for refund policy access")
    assert ok.ok and not (ok.body or {}).get("response_action")
    async with h.services.sessions() as s:
        saved = (await s.scalars(select(CheckinPrompt).where(CheckinPrompt.answers.is_not(None)))).one()
        assert saved.mood == 4 and saved.answers["done"] == "Shipped the FAQ" and saved.state == "answered"
        blocker = (await s.scalars(select(CheckinBlocker))).one()
    # the liaison gets the blocker with an Escalate button (no Jira ticket button: JIRA_URL is unset)
    sam_dms = h.sandbox.dms(h.user(SAM))
    assert len(sam_dms) == 1 and "refund policy" in text_of(sam_dms[0])
    actions = {e["action_id"]: e.get("value") for b in sam_dms[0].blocks for e in b.get("elements", [])}
    assert actions == {"blocker_escalate": str(blocker.id)}
    assert "Jira" not in text_of(sam_dms[0])
    # the prompt DM now says thanks, with an edit button
    assert "제출" in text_of(prompts_of(h, MINJI)[0]) or "edit" in str(prompts_of(h, MINJI)[0].blocks).lower()
    # summary: one parent in the team channel, the answer in its thread
    parents = h.sandbox.channel_messages("C0HANA")
    assert len(parents) == 1 and "1" in text_of(parents[0])
    replies = h.sandbox.channel_messages("C0HANA", thread_ts=parents[0].ts)
    assert len(replies) == 1 and "Shipped the FAQ" in text_of(replies[0])
    assert "Kim Min-ji" in text_of(replies[0]) and "4" not in text_of(replies[0]).replace("W4", "")

    # edit: the form comes pre-filled; the thread reply is edited, not duplicated; no second blocker DM
    view = await open_form(h, MINJI)
    assert "Shipped the FAQ" in str(view["blocks"])
    ok = await submit(h, MINJI, view, done="Shipped the FAQ and the macros", next="Train", mood=5,
                      blockers="Waiting for refund policy access")
    assert ok.ok
    replies = h.sandbox.channel_messages("C0HANA", thread_ts=parents[0].ts)
    assert len(replies) == 1 and "macros" in text_of(replies[0])
    assert len(h.sandbox.dms(h.user(SAM))) == 1

    # skip: does not count against the response rate
    ack = await h.command(HYUN, "/checkin", "skip sick day")
    await h.settle()
    assert ack.ok
    assert "sick day" in text_of(h.sandbox.ephemerals(h.user(HYUN))[-1])

    # the round closes three days after the last member's 16:00
    await at(h, datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    assert "마감" in text_of(h.sandbox.dms(h.user(JISOO))[0])  # the unanswered prompt now says closed
    ack = await h.command(MINJI, "/checkin")
    await h.settle()
    assert ack.ok and not h.sandbox.open_views(h.user(MINJI))
    assert "체크인" in text_of(h.sandbox.ephemerals(h.user(MINJI))[-1])
    assert "마감" in text_of(h.sandbox.channel_messages("C0HANA")[0])

    async with h.services.sessions() as s:
        team = await s.scalar(select(Team).where(Team.key == "care-hana"))
        m = await checkin_metrics(s, team.id, THURSDAY, datetime(2026, 11, 27, tzinfo=UTC))
    assert (m.expected, m.answered, m.blockers) == (2, 1, 1)  # minji + jisoo; hyun skipped
    assert m.response_rate == 0.5 and m.mood_average == 5 and m.mood_distribution[5] == 1


async def test_reminder_waits_for_the_local_window_and_snoozes(harness):
    h = harness
    await at(h, THURSDAY)
    await at(h, SEOUL_1600)
    await answer(h, MINJI, done="a", next="b", mood=3)
    # 16:00 + 4 h = 20:00 in Seoul, outside 08:00-20:00, and the weekend is not a working day (issue 16,
    # quiet hours): the reminder waits for Monday 08:00 (Sunday 23:00 UTC)
    await at(h, datetime(2026, 11, 20, 23, 0, tzinfo=UTC))  # Saturday 08:00 in Seoul
    await at(h, datetime(2026, 11, 22, 22, 59, tzinfo=UTC))
    assert len(h.sandbox.dms(h.user(JISOO))) == 1
    await at(h, datetime(2026, 11, 22, 23, 0, tzinfo=UTC))
    jisoo = h.sandbox.dms(h.user(JISOO))
    assert len(jisoo) == 2 and "checkin_snooze_hour" in str(jisoo[-1].blocks)
    assert len(h.sandbox.dms(h.user(MINJI))) == 1  # answered: no reminder
    await run_due(h.services)
    assert len(h.sandbox.dms(h.user(JISOO))) == 2  # one reminder, not one per tick

    ack = await h.driver.block_action(h.user(JISOO), "checkin_snooze_hour", message=jisoo[-1])
    await h.settle()
    assert ack.ok
    await at(h, datetime(2026, 11, 22, 23, 59, tzinfo=UTC))
    assert len(h.sandbox.dms(h.user(JISOO))) == 2
    await at(h, datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    assert len(h.sandbox.dms(h.user(JISOO))) == 3


async def test_away_members_are_skipped_and_told_once(harness):
    h = harness
    h.sandbox.ws.users[h.user(JISOO)]["status_emoji"] = ":palm_tree:"
    await at(h, THURSDAY)
    await at(h, SEOUL_1600)
    dms = h.sandbox.dms(h.user(JISOO))
    assert len(dms) == 1 and "checkin_start" not in str(dms[0].blocks)
    await at(h, datetime(2026, 11, 27, 7, 0, tzinfo=UTC))  # next week, still away: not told again
    assert len(h.sandbox.dms(h.user(JISOO))) == 1
    assert any("2026-W48" in m.text for m in h.sandbox.dms(h.user(MINJI)))  # others do get next week's


async def test_unresolved_blocker_comes_back_in_the_next_prompt_with_its_jira_key(harness):
    from bot.checkins.service import blocker_info, link_blocker_jira

    h = harness
    await at(h, THURSDAY)
    await at(h, SEOUL_1600)
    await answer(h, MINJI, done="a", next="b", mood=2, blockers="No access to the refund tool")
    async with h.services.sessions.begin() as s:
        blocker = (await s.scalars(select(CheckinBlocker))).one()
        await link_blocker_jira(s, blocker.id, "CARE-12", "In Progress")
    async with h.services.sessions() as s:
        info = await blocker_info(s, blocker.id)
    assert (info.team_key, info.member_email, info.jira_key, info.status) == (
        "care-hana", MINJI, "CARE-12", "open")

    await at(h, datetime(2026, 11, 27, 7, 0, tzinfo=UTC))
    again = prompts_of(h, MINJI)[-1]
    assert "refund tool" in text_of(again) and "CARE-12" in text_of(again) and "In Progress" in text_of(again)
    ack = await h.driver.block_action(h.user(MINJI), "checkin_blocker_resolved", message=again)
    await h.settle()
    assert ack.ok
    async with h.services.sessions() as s:
        assert (await blocker_info(s, blocker.id)).status == "resolved"


async def test_a_summary_reply_posted_just_before_a_crash_is_not_posted_again(harness):
    """The bot dies between posting a member's answer in the summary thread and recording it; after the
    restart the member edits: the thread still has one reply for them, showing the edit."""
    h = harness
    await at(h, THURSDAY)
    await at(h, SEOUL_1600)
    client = h.services.slack
    real_post = client.chat_postMessage

    async def post_then_die(**kwargs):
        response = await real_post(**kwargs)
        if kwargs.get("thread_ts"):
            raise asyncio.CancelledError  # the process is gone before it records the reply
        return response

    client.chat_postMessage = post_then_die
    await answer(h, MINJI, done="Shipped the FAQ", next="Train", mood=4)
    await h.restart()
    parent = h.sandbox.channel_messages("C0HANA")[0]
    assert len(h.sandbox.channel_messages("C0HANA", thread_ts=parent.ts)) == 1

    h.clock.advance(minutes=5)
    await answer(h, MINJI, done="Shipped the FAQ and the macros", next="Train", mood=4)
    replies = h.sandbox.channel_messages("C0HANA", thread_ts=parent.ts)
    assert len(replies) == 1 and "macros" in text_of(replies[0])
    assert h.sandbox.calls_to("conversations.replies")


async def test_a_fresh_install_does_not_catch_up_on_rounds_from_before_it_first_ran(harness):
    h = harness
    await at(h, datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # installed on Monday: Friday's round is still open
    assert all(not h.sandbox.dms(h.user(e)) for e in (MINJI, JISOO, HYUN, PRIYA))
    await at(h, datetime(2026, 11, 27, 7, 0, tzinfo=UTC))  # this Friday's 16:00 in Seoul does come
    assert [len(prompts_of(h, e)) for e in (MINJI, JISOO, HYUN)] == [1, 1, 1]
    assert "2026-W48" in text_of(prompts_of(h, MINJI)[0])


async def test_an_installed_bot_that_was_down_catches_up_after_its_restart(harness):
    h = harness
    await at(h, THURSDAY)  # running before the round fell due ...
    await h.restart()
    await at(h, datetime(2026, 11, 21, 3, 0, tzinfo=UTC))  # ... down over Friday, back on Saturday
    assert [len(prompts_of(h, e)) for e in (MINJI, JISOO, HYUN, PRIYA)] == [1, 1, 1, 1]
    assert "2026-W47" in text_of(prompts_of(h, MINJI)[0])


async def test_a_time_zone_changed_in_slack_moves_the_next_prompt_to_the_new_local_1600(harness):
    h = harness
    await at(h, THURSDAY)  # the round is open: Priya's prompt is due at 16:00 in New York
    ack = await h.driver.user_change(h.user(PRIYA), tz="Europe/London", locale="ko-KR")
    await h.settle()
    assert ack.ok
    await at(h, datetime(2026, 11, 20, 15, 59, tzinfo=UTC))
    assert not prompts_of(h, PRIYA)
    await at(h, datetime(2026, 11, 20, 16, 0, tzinfo=UTC))  # 16:00 in London
    [prompt] = prompts_of(h, PRIYA)
    assert "체크인" in text_of(prompt)  # and in the language she now uses in Slack
    await at(h, NEW_YORK_1600)
    assert len(prompts_of(h, PRIYA)) == 1


async def test_a_profile_change_of_someone_outside_the_org_is_ignored(harness):
    h = harness
    h.sandbox.add_user("U0STRANGER", "stranger", email="stranger@acme.example")
    ack = await h.driver.user_change("U0STRANGER", tz="Asia/Tokyo")
    await h.settle()
    assert ack.ok


async def test_the_note_for_the_other_side_reaches_the_internal_liaison_and_the_digest(harness):
    from schedules import digest

    h = harness
    await at(h, THURSDAY)
    await at(h, SEOUL_1600)
    await answer(h, JISOO, done="a", next="b", mood=4, other_side="Refund macros <b>v2</b> & FAQ are live")
    # Sam is care-hana's liaison on the internal side: the note comes to him, escaped, by DM
    [note] = h.sandbox.dms(h.user(SAM))
    assert "Lee Ji-soo" in text_of(note) and "Refund macros &lt;b&gt;v2&lt;/b&gt; &amp; FAQ are live" in text_of(note)
    assert "<b>" not in str(note.blocks)
    # not to the vendor side, nor twice when she edits something else
    assert not [m for m in h.sandbox.dms(h.user(MINJI)) if "Refund macros" in text_of(m)]
    await answer(h, JISOO, done="a and c", next="b", mood=4, other_side="Refund macros <b>v2</b> & FAQ are live")
    assert len(h.sandbox.dms(h.user(SAM))) == 1

    h.clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York: Dana's digest
    await digest.tick(h.services)
    [hana] = [m for m in h.sandbox.dms(h.user("dana@acme.example"))
              if not m.is_reply and "Hana BPO Seoul, 2026-W47" in text_of(m)]
    assert "Lee Ji-soo" in text_of(hana) and "Refund macros" in text_of(hana)


async def test_a_note_from_the_internal_side_reaches_the_vendor_lead(harness):
    h = harness
    await at(h, THURSDAY)
    await at(h, NEW_YORK_1600)
    await answer(h, PRIYA, done="a", next="b", mood=4, other_side="New refund policy from Monday")
    # Priya's team (care-internal) works with care-hana through Sam: Hana's vendor lead reads the note
    notes = [m for m in h.sandbox.dms(h.user(MINJI)) if "New refund policy" in text_of(m)]
    assert len(notes) == 1 and "Priya Raman" in text_of(notes[0])
    assert not [m for m in h.sandbox.dms(h.user(SAM)) if "New refund policy" in text_of(m)]


async def test_with_an_other_side_channel_the_note_goes_there_instead(clock, database_url):
    from bot.orgfile import load
    from sandbox.harness import EXAMPLE_ORG, Harness

    spec = load(EXAMPLE_ORG)
    teams = tuple(t.model_copy(update={"checkins": t.checkins.model_copy(update={"other_side_channel": "C0HANA"})})
                  if t.key == "care-hana" else t for t in spec.teams)
    async with Harness(clock=clock, database_url=database_url, org=spec.model_copy(update={"teams": teams})) as h:
        await at(h, THURSDAY)
        await at(h, SEOUL_1600)
        await answer(h, JISOO, done="a", next="b", mood=4, other_side="Refund macros are live")
        notes = [m for m in h.sandbox.channel_messages("C0HANA") if "Refund macros" in text_of(m)]
        assert len(notes) == 1 and "Lee Ji-soo" in text_of(notes[0])
        assert not h.sandbox.dms(h.user(SAM))


async def test_a_zone_change_without_an_event_is_caught_when_the_prompt_falls_due(harness):
    """Slack may not send user_change for a vendor's Slack Connect staff: the profile read at send time
    (for the away check) still moves the prompt to the new local 16:00."""
    h = harness
    await at(h, THURSDAY)
    h.sandbox.change_user(h.user(JISOO), tz="America/Los_Angeles")  # no event reaches the bot
    await at(h, SEOUL_1600)
    assert len(prompts_of(h, MINJI)) == 1 and not prompts_of(h, JISOO)
    await at(h, datetime(2026, 11, 20, 23, 59, tzinfo=UTC))
    assert not prompts_of(h, JISOO)
    await at(h, datetime(2026, 11, 21, 0, 0, tzinfo=UTC))  # Friday 16:00 in Los Angeles
    assert len(prompts_of(h, JISOO)) == 1
