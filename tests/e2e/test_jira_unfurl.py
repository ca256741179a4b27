"""Jira issue links posted in Slack unfurl (link_shared -> chat.unfurl) for internal staff; text stays text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from bot.clock import FakeClock
from sandbox.harness import Harness
from sandbox.slack import Message

SAM, MINJI = "sam@acme.example", "minji@hanabpo.example"
HOSTILE = "<!channel> <!here> <@U0X> <https://evil.example|click> & *b*"


@pytest.fixture
async def h(clock: FakeClock) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, jira="cloud") as harness:
        yield harness


async def post(h: Harness, email: str, text: str) -> Message:
    domain = urlsplit(h.jira.url).hostname or ""
    msg, ack = await h.driver.post_links(h.user(email), "C0CARE", text, [domain])
    assert ack is None or ack.status == 200
    await h.settle()
    return msg


async def test_a_jira_link_unfurls_with_key_summary_status_assignee_and_priority(h: Harness) -> None:
    key = h.jira.create_issue("CARE", f"Refunds stuck {HOSTILE}", status="In Progress",
                              assignee_email="lee@acme.example", priority="High")
    url = f"{h.jira.url}/browse/{key}"
    msg = await post(h, SAM, f"Looking at {url} now")
    shown = str(msg.unfurls[url]["blocks"])
    assert key in shown and "Refunds stuck" in shown and "In Progress" in shown and "High" in shown
    assert "lee" in shown.lower()
    assert "<!channel>" not in shown and "<@U0X>" not in shown and "<https://evil.example" not in shown
    assert "&lt;!channel&gt;" in shown


async def test_links_from_vendor_staff_or_to_no_issue_are_not_unfurled(h: Harness) -> None:
    key = h.jira.create_issue("CARE", "Internal only")
    url = f"{h.jira.url}/browse/{key}"
    vendor = await post(h, MINJI, f"what is {url}?")  # a vendor cannot read internal tickets by pasting keys
    assert vendor.unfurls == {}
    missing = await post(h, SAM, f"{h.jira.url}/browse/CARE-999 and {h.jira.url}/secure/Dashboard.jspa")
    assert missing.unfurls == {}
