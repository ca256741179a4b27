"""User text is data on every surface: a hostile string typed into every input a person has (and into the
org file's names) never reaches Slack, the digest or Jira as a live mention, channel ping or disguised link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.digest import render
from bot.digest.service import digest_for
from bot.escalations.ids import Action, Block, View
from bot.jira import outbox
from bot.orgfile import load
from demo.pulse import answer as answer_pulse
from demo.pulse import open_survey_ids, with_vendor_staff
from sandbox.harness import EXAMPLE_ORG, Harness
from sandbox.jira.adf import adf_to_text
from sandbox.slack import Message, text_of
from schedules import digest as digest_job
from schedules.checkins import tick as checkin_tick
from schedules.pulse import tick as pulse_tick

HOSTILE = "<!channel> <!here> <!subteam^S1> <@U0X> <https://evil.example|click> & *b* _i_ ~s~"
ESCAPED = ("&lt;!channel&gt; &lt;!here&gt; &lt;!subteam^S1&gt; &lt;@U0X&gt; &lt;https://evil.example|click&gt; "
           "&amp; *b* _i_ ~s~")
LIVE = ("<!channel", "<!here", "<!subteam", "<@U0X", "<https://evil", "<http://evil", "<mailto")
DOUBLE = ("&amp;lt;", "&amp;gt;", "&amp;amp;")  # escaped twice: the reader would see "&lt;"
# An input's own pre-filled value, button values and ids are never rendered as markup.
NOT_RENDERED = {"initial_value", "value", "private_metadata", "action_id", "block_id", "callback_id"}

SEOUL_1600 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)  # Friday 16:00 in Seoul
MINJI, SAM, DANA = "minji@hanabpo.example", "sam@acme.example", "dana@acme.example"


def strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a payload with where it sits, skipping values Slack never renders."""
    if isinstance(node, Message):
        node = asdict(node)
    if isinstance(node, dict):
        for key, val in node.items():
            if key not in NOT_RENDERED:
                yield from strings(val, f"{path}.{key}")
    elif isinstance(node, list | tuple):
        for n, item in enumerate(node):
            yield from strings(item, f"{path}[{n}]")
    elif isinstance(node, str):
        yield path, node


def leaks(payloads: dict[str, Any]) -> list[str]:
    """Strings holding a live token from the hostile text, or escaped twice."""
    return [f"{name}{path}: {text[:160]!r}" for name, payload in payloads.items() for path, text in strings(payload)
            if any(tok in text for tok in LIVE + DOUBLE)]


def slack_payloads(h: Harness) -> dict[str, Any]:
    """Everything the bot made Slack store or show: each Web API call, plus acks and response_url posts."""
    ws = h.sandbox.ws
    out: dict[str, Any] = {f"{c.method}#{n}": c.args for n, c in enumerate(h.sandbox.calls)}
    out["messages"] = ws.messages
    out["ephemerals"] = ws.ephemeral_log
    out["views"] = ws.view_stacks
    out["homes"] = ws.homes
    return out


def hostile_org(tmp_path: Path) -> Path:
    """The example org with a hostile person name (Min-ji), team name (care-hana) and KPI name (csat)."""
    text = EXAMPLE_ORG.read_text(encoding="utf-8")
    text = text.replace("name: Kim Min-ji", f'name: "{HOSTILE}"')
    text = text.replace("name: Customer Service, Hana BPO Seoul", f'name: "{HOSTILE}"')
    text = text.replace("name: Customer satisfaction", f'name: "{HOSTILE}"')  # a KPI
    path = tmp_path / "org.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def h(clock: FakeClock, tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness(org=hostile_org(tmp_path), clock=clock, jira="server") as harness:
        yield harness


async def settle(h: Harness) -> None:
    await h.settle()
    await outbox.drain(h.services)


async def test_checkins_escalations_home_digest_and_jira_keep_user_text_inert(h: Harness) -> None:
    minji, sam = h.user(MINJI), h.user(SAM)
    # check-in: every answer, the blocker and the note for the other side
    h.clock.set(SEOUL_1600)
    await checkin_tick(h.services)
    prompt = next(m for m in h.sandbox.dms(minji) if "checkin_start" in str(m.blocks))
    await h.driver.block_action(minji, "checkin_start", message=prompt)
    await settle(h)
    form = h.sandbox.open_views(minji)[-1]
    ack = await h.driver.submit_view(minji, form, inputs={"q_done": HOSTILE, "q_next": HOSTILE, "q_mood": 3,
                                                          "q_blockers": HOSTILE, "q_other_side": HOSTILE})
    assert ack.ok and not (ack.body or {}).get("response_action"), ack.body
    await settle(h)
    [parent] = h.sandbox.channel_messages("C0HANA")
    [reply] = h.sandbox.channel_messages("C0HANA", thread_ts=parent.ts)
    assert ESCAPED in text_of(reply) and ESCAPED in reply.text  # the name in the fallback text too
    blocker_dm = next(m for m in h.sandbox.dms(sam) if "blocker_jira" in str(m.blocks))
    assert ESCAPED in text_of(blocker_dm)

    # the blocker becomes a Jira ticket (wiki markup on Data Center) and an escalation
    await h.driver.block_action(sam, "blocker_jira", message=blocker_dm)
    await settle(h)
    await h.driver.block_action(sam, Action.BLOCKER, message=blocker_dm)
    await settle(h)
    # /escalate by modal: summary and details typed by Sam
    await h.command(SAM, "/escalate", "")
    await settle(h)
    raise_view = next(v for v in reversed(h.sandbox.open_views(sam)) if v.get("callback_id") == View.RAISE)
    ack = await h.driver.submit_view(sam, raise_view, inputs={
        Block.SUMMARY: HOSTILE, Block.SEVERITY: "P1", Block.CATEGORY: "quality", Block.TEAM: "care-hana",
        Block.DETAILS: HOSTILE})
    assert ack.status == 200
    await settle(h)
    card = next(m for m in h.sandbox.channel_messages("C0HANA") if "escalation_resolve" in str(m.blocks))
    assert ESCAPED in text_of(card) and ESCAPED in card.text
    assert any(ESCAPED in text_of(m) for m in h.sandbox.dms(minji) if "ESC-" in text_of(m))  # responder DM
    # resolution note: the rating DM to the raiser carries it
    await h.driver.block_action(minji, Action.RESOLVE, message=card)
    await settle(h)
    resolve = h.sandbox.open_views(minji)[-1]
    await h.driver.submit_view(minji, resolve, inputs={Block.NOTE: HOSTILE})
    await settle(h)
    rating = [m for m in h.sandbox.dms(sam) if any(b.get("type") == "actions" and "escalation_rate" in str(b)
                                                   for b in m.blocks)]
    assert rating and ESCAPED in text_of(rating[-1])
    await h.command(SAM, "/escalate", "list")
    await h.command(SAM, "/kpi", f"set {HOSTILE}")
    await settle(h)
    # Each reply is read after its own command, as a person waits for it: replies to commands sent at once
    # may arrive in any order (each is posted after its own ack).
    for text in ("set csat 4.2 care-hana", "care-hana", "history csat care-hana"):
        before = len(h.sandbox.ephemerals(sam))
        await h.command(SAM, "/kpi", text)
        await settle(h)
        [reply] = h.sandbox.ephemerals(sam)[before:]
        assert ESCAPED in text_of(reply), text  # the KPI's name
    await h.command(SAM, "/oneteam", HOSTILE)
    await h.command(SAM, "/escalate", f"P2 team:care-hana {HOSTILE}")  # the quick path
    await h.command(SAM, "/pulse", f"results {HOSTILE}")
    await h.command("jisoo@hanabpo.example", "/checkin", f"skip {HOSTILE}")
    await settle(h)
    assert ESCAPED in text_of(h.sandbox.ephemerals(h.user("jisoo@hanabpo.example"))[-1])

    # App Home
    for email in (MINJI, SAM):
        await h.driver.event({"type": "app_home_opened", "user": h.user(email), "tab": "home", "channel": "D0X"})
    await settle(h)
    assert ESCAPED in text_of(h.sandbox.home(sam))

    # the weekly digest, in Slack (Monday 09:00 in New York) and as Markdown
    h.clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    await digest_job.tick(h.services)
    await settle(h)
    assert any(ESCAPED in text_of(m) for m in h.sandbox.dms(h.user(DANA)))
    digest, _png = await digest_for(h.services, "care-hana", "2026-W47", "en")
    markdown = render.markdown(digest)
    assert "\\<\\!channel\\>" in markdown and "\\*b\\*" in markdown and "\\_i\\_" in markdown

    # Jira: wiki markup escapes its own specials (a `[label|url]` link or *bold* cannot be formed)
    issues = list(h.jira.issues.values())
    assert len(issues) == 3  # the blocker, the P1 from the modal, the P2 from the quick path
    for issue in issues:
        description = adf_to_text(issue["fields"]["description"])  # the emulator keeps wiki text as ADF
        assert "\\*b\\*" in description and "\\_i\\_" in description

    assert not re.search(r"(?<!\\)[<\[]", markdown), markdown  # no autolink, HTML or [link](...) can start
    found = leaks(slack_payloads(h))
    assert not found, "\n".join(found)


@pytest.fixture
async def pulse_h(clock: FakeClock) -> AsyncIterator[Harness]:
    clock.set(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))  # Tue 08:30 Seoul, Mon 18:30 New York: invitations go
    async with Harness(org=with_vendor_staff(load(EXAMPLE_ORG), "care-hana", 6), clock=clock) as harness:
        yield harness


async def vote(h: Harness, first_comment: str | None = None) -> None:
    """Invites care-hana (six people, enough to report) and has each answer; the first may leave a comment."""
    await pulse_tick(h.services)
    survey = (await open_survey_ids(h))["care-hana"]
    voters = ["minji@hanabpo.example", "jisoo@hanabpo.example", "hyun@hanabpo.example",
              "seoyeon@hanabpo.example", "dohyun@hanabpo.example", "sam@acme.example"]
    for n, email in enumerate(voters):
        likert = {q: 2 for q in ("job_security", "control", "dynamics")}
        _click, sub = await answer_pulse(h, email, survey, likert=likert, enps=7,
                                         comment=first_comment if n == 0 else None)
        assert sub is not None and sub.ok


async def follow_up(h: Harness, text: str) -> Message:
    """Dana opens care-hana's results and posts "you said, we did" under the concern; returns the results."""
    await h.command(DANA, "/pulse", "results care-hana")
    await h.settle()
    results = h.sandbox.ephemerals(h.user(DANA))[-1]
    button = next(b["accessory"] for b in results.blocks
                  if (b.get("accessory") or {}).get("action_id") == "pulse_follow_up")
    dana = h.user(DANA)
    await h.driver.block_action(dana, "pulse_follow_up", value=button["value"], message=results)
    await h.settle()
    await h.driver.submit_view(dana, h.sandbox.open_views(dana)[-1], inputs={"follow_up": text})
    await h.settle()
    return results


async def test_pulse_comment_and_you_said_we_did_stay_inert(pulse_h: Harness) -> None:
    h = pulse_h
    await vote(h, first_comment=HOSTILE)
    h.clock.advance(days=3, minutes=1)
    await pulse_tick(h.services)
    await h.settle()
    results = await follow_up(h, HOSTILE)
    assert ESCAPED in text_of(results)
    assert ESCAPED in text_of(h.sandbox.dms(h.user("hyun@hanabpo.example"))[-1])
    await h.command(DANA, "/pulse", "results care-hana")
    await h.settle()
    assert ESCAPED in text_of(h.sandbox.ephemerals(h.user(DANA))[-1])  # "you said, we did" under the concern

    found = leaks(slack_payloads(h))
    assert not found, "\n".join(found)


async def test_text_typed_in_jira_comes_back_inert_and_escaped_once(clock: FakeClock) -> None:
    """A resolution named in Jira flows into the card's thread, the stored note and the raiser's rating DM."""
    from bot.jira import sync

    async with Harness(clock=clock, jira="cloud") as h:
        await h.command(SAM, "/escalate", "P1 team:care-hana Card payments failing")
        await settle(h)
        key = next(iter(h.jira.issues))
        clock.advance(minutes=2)
        h.jira.resolve(key, resolution=HOSTILE)
        clock.advance(minutes=5)
        await sync.tick(h.services)
        await settle(h)
        rating = [m for m in h.sandbox.dms(h.user(SAM)) if "escalation_rate" in str(m.blocks)]
        assert rating and ESCAPED in text_of(rating[-1])
        found = leaks(slack_payloads(h))
        assert not found, "\n".join(found)


async def test_you_said_we_did_waits_for_each_members_working_hours(pulse_h: Harness) -> None:
    """Quiet hours (issue 16): an update posted at 18:30 in New York is 08:30 in Seoul; Sam reads it next morning."""
    h = pulse_h
    await vote(h)
    h.clock.set(datetime(2026, 11, 27, 0, 0, tzinfo=UTC))  # Fri 09:00 Seoul, Thu 19:00 New York: closed
    await pulse_tick(h.services)
    h.clock.set(datetime(2026, 11, 27, 1, 0, tzinfo=UTC))  # Fri 10:00 Seoul, Thu 20:00 New York
    await follow_up(h, "Shift handovers now include the vendor lead")

    def told(email: str) -> bool:
        return any("Shift handovers" in text_of(m) for m in h.sandbox.dms(h.user(email)))

    assert told("hyun@hanabpo.example") and not told("sam@acme.example")
    h.clock.set(datetime(2026, 11, 27, 12, 59, tzinfo=UTC))  # Friday 07:59 in New York
    await pulse_tick(h.services)
    assert not told("sam@acme.example")
    h.clock.set(datetime(2026, 11, 27, 13, 0, tzinfo=UTC))  # Friday 08:00
    await pulse_tick(h.services)
    assert told("sam@acme.example")
