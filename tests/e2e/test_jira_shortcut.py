"""The "Create Jira issue" message shortcut: a pre-filled modal, one ticket, linked in the message's thread."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.jira import outbox
from bot.jira.ids import Block, Shortcut
from sandbox.harness import Harness
from sandbox.jira.adf import adf_to_text
from sandbox.slack import Message, text_of

SAM, JISOO = "sam@acme.example", "jisoo@hanabpo.example"
HOSTILE = "<!channel> <!here> <@U0X> <https://evil.example|click> & *b* [x|https://evil.example] {code}"


@pytest.fixture(params=["cloud", "server"])
async def h(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, jira=request.param) as harness:
        yield harness


async def settle(h: Harness) -> None:
    await h.settle()
    await outbox.drain(h.services)


def initial(view: dict, block: str) -> str:
    return next(b for b in view["blocks"] if b.get("block_id") == block)["element"].get("initial_value", "")


async def shortcut(h: Harness, email: str, msg: Message) -> None:
    assert (await h.driver.message_shortcut(h.user(email), Shortcut.CREATE, msg)).status == 200
    await settle(h)


async def test_the_shortcut_creates_one_ticket_linked_in_the_thread(h: Harness) -> None:
    msg = h.sandbox.ws.post_as(h.user(JISOO), "C0HANA", f"Refund API returns 500\nSince 9:00 {HOSTILE}")
    await shortcut(h, SAM, msg)
    [view] = h.sandbox.open_views(h.user(SAM))
    assert initial(view, Block.PROJECT) == "CARE" and initial(view, Block.SUMMARY) == "Refund API returns 500"
    assert "Since 9:00" in initial(view, Block.DESCRIPTION)
    inputs = {b: initial(view, b) for b in Block}
    ack = await h.driver.submit_view(h.user(SAM), view, inputs=inputs)
    assert ack.status == 200
    await settle(h)
    [issue] = h.jira.issues.values()
    assert issue["fields"]["summary"] == "Refund API returns 500"
    description = adf_to_text(issue["fields"]["description"])
    assert "Since 9:00" in description  # the message, and its permalink (an ADF link mark on Cloud)
    assert "/archives/C0HANA/" in str(issue["fields"]["description"])
    if not h.jira.cloud:
        assert r"\[x\|https://evil.example\]" in description and r"\{code\}" in description
    replies = h.sandbox.channel_messages("C0HANA", msg.ts)
    assert any(issue["key"] in text_of(m) for m in replies if m.ts != msg.ts)

    await shortcut(h, SAM, msg)  # again on the same message: told, no second modal, no second ticket
    assert h.sandbox.open_views(h.user(SAM)) == [] and len(h.jira.issues) == 1
    assert any(issue["key"] in text_of(m) for m in h.sandbox.ephemerals(h.user(SAM)) + h.sandbox.dms(h.user(SAM)))


async def test_vendor_staff_are_refused_and_a_bad_project_is_shown_on_its_input(h: Harness) -> None:
    msg = h.sandbox.ws.post_as(h.user(JISOO), "C0HANA", "Please escalate this to your tracker")
    await shortcut(h, JISOO, msg)
    assert h.sandbox.open_views(h.user(JISOO)) == [] and h.jira.issues == {}
    told = [text_of(m) for m in h.sandbox.ephemerals(h.user(JISOO)) + h.sandbox.dms(h.user(JISOO))]
    assert any("내부 직원만" in s for s in told)

    await shortcut(h, SAM, msg)
    [view] = h.sandbox.open_views(h.user(SAM))
    ack = await h.driver.submit_view(h.user(SAM), view, inputs={
        Block.PROJECT: "not a key", Block.TYPE: "Task", Block.SUMMARY: "x", Block.DESCRIPTION: "y"})
    assert ack.body["response_action"] == "errors" and Block.PROJECT in ack.body["errors"]
    await settle(h)
    assert h.jira.issues == {}


async def test_send_to_jira_adds_a_thread_message_to_the_linked_ticket_once(h: Harness) -> None:
    assert (await h.command(SAM, "/escalate", "P1 team:care-hana Payments page down")).ok
    await settle(h)
    card = h.sandbox.channel_messages("C0HANA")[-1]
    [key] = h.jira.issues
    reply = h.sandbox.ws.post_as(h.user(SAM), "C0HANA", f"Vendor says the gateway is back {HOSTILE}",
                                 thread_ts=card.ts)
    for _ in range(2):  # a second time on the same message: told, not sent again
        assert (await h.driver.message_shortcut(h.user(SAM), Shortcut.SEND, reply)).status == 200
        await settle(h)
    said = [adf_to_text(c["body"]) for c in h.jira.issues[key]["comments"]]
    assert len(said) == 1 and "Vendor says the gateway is back" in said[0] and "Sam Ortiz" in said[0]
    if not h.jira.cloud:
        assert r"\[x\|https://evil.example\]" in said[0]

    loose = h.sandbox.ws.post_as(h.user(SAM), "C0HANA", "Not in a ticket's thread")
    assert (await h.driver.message_shortcut(h.user(SAM), Shortcut.SEND, loose)).status == 200
    await settle(h)
    assert len(h.jira.issues[key]["comments"]) == 1
