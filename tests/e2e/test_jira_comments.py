"""Jira -> Slack comments: people's comments on a linked ticket reach the escalation's thread (when the team
turns it on), once, escaped; ours are not echoed back."""

from __future__ import annotations

from typing import Literal

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.jira import webhook
from bot.orgfile import OrgFile, load
from sandbox.harness import EXAMPLE_ORG, Harness
from sandbox.slack import Message, text_of
from tests.e2e.jira_steps import raise_p1, settle

HOSTILE = "<!channel> <!here> <@U0X> <https://evil.example|click> & *b*"


def org(**jira: object) -> OrgFile:
    """The example org with care-hana's `jira:` section changed."""
    spec = load(EXAMPLE_ORG)
    teams = [t.model_copy(update={"jira": t.jira.model_copy(update=jira)}) if t.key == "care-hana" else t
             for t in spec.teams]
    return spec.model_copy(update={"teams": teams})


async def webhook_says(h: Harness, key: str, delivery: str) -> None:
    body = {"webhookEvent": "comment_created", "issue": {"key": key}, "user": {"accountId": "5b10human"}}
    async with aiohttp.ClientSession() as http:
        ok = await http.post(h.server.url + webhook.webhook_path(h.services.settings), json=body,
                             headers={"X-Atlassian-Webhook-Identifier": delivery})
        assert ok.status == 200
    await settle(h)


def thread(h: Harness, card: Message) -> list[Message]:
    return h.sandbox.channel_messages(card.channel, card.ts)


@pytest.mark.parametrize("flavor", ["cloud", "server"])
async def test_a_jira_comment_reaches_the_thread_once_and_escaped(clock: FakeClock,
                                                                  flavor: Literal["cloud", "server"]) -> None:
    async with Harness(org=org(comments_to_thread=True), clock=clock, jira=flavor) as h:
        card, key = await raise_p1(h)
        assert key  # its ticket
        clock.advance(minutes=2)
        h.jira.add_comment(key, f"Customer called again {HOSTILE}", author_email="lee@acme.example")
        await webhook_says(h, key, "c1")
        await webhook_says(h, key, "c2")  # another change later: the same comment is not posted again
        posted = [m for m in thread(h, card) if "Customer called again" in text_of(m)]
        assert len(posted) == 1
        raw = posted[0].text + str(posted[0].blocks)
        assert "<!channel>" not in raw and "<@U0X>" not in raw and "<https://evil.example" not in raw
        assert "&lt;!channel&gt;" in raw


async def test_comments_stay_out_of_the_thread_unless_the_team_wants_them(clock: FakeClock) -> None:
    async with Harness(clock=clock, jira="cloud") as h:
        card, key = await raise_p1(h)
        assert key  # its ticket
        clock.advance(minutes=2)
        h.jira.add_comment(key, "Internal remark", author_email="lee@acme.example")
        await webhook_says(h, key, "c1")
        assert not any("Internal remark" in text_of(m) for m in thread(h, card))
