"""Jira sync end to end: the real bot, the sandbox Slack and the sandbox Jira, a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.jira import outbox, sync, webhook
from sandbox.harness import Harness
from sandbox.slack import Message, text_of
from schedules.checkins import tick as checkin_tick
from storage.models import Escalation, JiraLink, JiraOutboxItem

SAM = "sam@acme.example"


@pytest.fixture
async def h(clock: FakeClock) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, jira="cloud") as harness:
        yield harness


async def settle(h: Harness) -> None:
    await h.settle()
    await outbox.drain(h.services)


async def escalate(h: Harness, text: str) -> Message:
    """Raises through the real `/escalate` and returns the card in the team channel."""
    ack = await h.command(SAM, "/escalate", text)
    assert ack.status == 200
    await settle(h)
    return h.sandbox.channel_messages("C0HANA")[-1]


def thread(h: Harness, card: Message) -> list[str]:
    return [text_of(m) for m in h.sandbox.channel_messages(card.channel, card.ts)]


async def test_a_p1_escalation_gets_exactly_one_ticket_with_the_key_in_its_thread(h: Harness) -> None:
    card = await escalate(h, "P1 team:care-hana Payments page down")
    [issue] = h.jira.issues.values()
    assert issue["project"] == "CARE" and issue["fields"]["priority"] == "Highest"
    assert {"oneteam", "P1"} <= set(issue["fields"]["labels"])
    assert "ESC-1" in issue["fields"]["summary"]
    assert any(issue["key"] in line and "/browse/" in line for line in thread(h, card))
    async with h.services.sessions() as session:
        esc = await session.scalar(select(Escalation))
    assert esc.jira_key == issue["key"]  # told to escalations through link_jira


async def test_a_p3_gets_a_ticket_only_from_the_button_and_a_second_click_makes_none(h: Harness) -> None:
    card = await escalate(h, "P3 team:care-hana Typo on the help page")
    assert h.jira.issues == {}
    for _ in range(2):
        ack = await h.driver.block_action(h.user(SAM), "escalation_jira", message=card)
        assert ack.status == 200
        await settle(h)
    assert len(h.jira.issues) == 1
    key = next(iter(h.jira.issues))
    assert any(key in text_of(m) for m in h.sandbox.ephemerals(h.user(SAM)))


async def test_a_blocker_gets_a_ticket_from_the_liaisons_button(h: Harness) -> None:
    jisoo = h.user("jisoo@hanabpo.example")
    for when in (datetime(2026, 11, 19, 12, 0, tzinfo=UTC), datetime(2026, 11, 20, 7, 0, tzinfo=UTC)):
        h.clock.set(when)  # Thursday, then Friday 16:00 in Seoul: the check-in prompts go out
        await checkin_tick(h.services)
    prompt = next(m for m in h.sandbox.dms(jisoo) if "checkin_start" in str(m.blocks))
    await h.driver.block_action(jisoo, "checkin_start", message=prompt)
    await settle(h)
    await h.driver.submit_view(jisoo, h.sandbox.open_views(jisoo)[-1], inputs={
        "q_done": "a", "q_next": "b", "q_mood": 3, "q_blockers": "VPN to the CRM drops every hour"})
    await settle(h)
    message = next(m for m in h.sandbox.dms(h.user(SAM)) if "blocker_jira" in str(m.blocks))
    await h.driver.block_action(h.user(SAM), "blocker_jira", message=message)
    await settle(h)
    [issue] = h.jira.issues.values()
    assert "VPN to the CRM" in issue["fields"]["summary"]
    replies = h.sandbox.channel_messages(message.channel, message.ts)
    assert any(issue["key"] in text_of(m) for m in replies)


async def test_a_create_that_timed_out_after_jira_took_it_is_not_repeated(h: Harness, clock: FakeClock) -> None:
    h.jira.inject_timeout_after_commit(path_contains="/issue", methods=("POST",))
    card = await escalate(h, "P1 team:care-hana Checkout times out")
    assert len(h.jira.issues) == 1  # Jira made it, we saw a timeout
    assert any("Jira: pending" in line or "대기" in line for line in thread(h, card))
    clock.advance(seconds=31)
    assert await outbox.tick(h.services) == 1
    assert len(h.jira.issues) == 1
    assert h.jira.count("/issue", "POST") == 1
    key = next(iter(h.jira.issues))
    assert any(key in line for line in thread(h, card))


async def test_503_then_429_are_retried_with_backoff_honouring_retry_after(h: Harness, clock: FakeClock) -> None:
    h.jira.inject(503, path_contains="/issue", method="POST")
    card = await escalate(h, "P2 team:care-hana Refund queue stuck")
    assert h.jira.issues == {}
    assert any("Jira" in line for line in thread(h, card))  # "Jira: pending"
    h.jira.inject(429, retry_after=300, path_contains="/issue", method="POST")
    clock.advance(seconds=20)
    assert await outbox.tick(h.services) == 0  # backoff: 30 s after the first failure
    clock.advance(seconds=11)
    assert await outbox.tick(h.services) == 1  # the 429, asking for 300 s
    clock.advance(seconds=290)
    assert await outbox.tick(h.services) == 0  # Retry-After honoured
    clock.advance(seconds=11)
    assert await outbox.tick(h.services) == 1
    assert len(h.jira.issues) == 1
    pending_posts = [line for line in thread(h, card) if "pending" in line or "대기" in line]
    assert len(pending_posts) == 1  # told once, not at every attempt


async def test_the_queue_survives_a_restart(h: Harness, clock: FakeClock) -> None:
    h.jira.inject(503, times=3, path_contains="/issue", method="POST")
    card = await escalate(h, "P1 team:care-hana Phones down")
    await h.restart()
    for _ in range(3):
        clock.advance(hours=1)
        await outbox.tick(h.services)
    assert len(h.jira.issues) == 1
    key = next(iter(h.jira.issues))
    assert any(key in line for line in thread(h, card))


async def test_an_admin_can_drop_or_retry_a_refused_write(h: Harness, clock: FakeClock) -> None:
    h.jira.inject(400, path_contains="/issue", method="POST")
    await escalate(h, "P1 team:care-hana Login broken")
    async with h.services.sessions() as session:
        item = await session.scalar(select(JiraOutboxItem))
    assert item.state == "failed"
    clock.advance(hours=2)
    assert await outbox.tick(h.services) == 0  # failed waits for an admin
    assert await outbox.retry(h.services, [item.id]) == [item.id]
    assert await outbox.tick(h.services) == 1
    assert len(h.jira.issues) == 1
    assert await outbox.drop(h.services, [item.id]) == []  # done: nothing left to drop


async def test_status_assignee_and_resolution_flow_back_and_resolve_the_escalation(h: Harness,
                                                                                  clock: FakeClock) -> None:
    card = await escalate(h, "P1 team:care-hana Card payments failing")
    key = next(iter(h.jira.issues))
    clock.advance(minutes=2)
    h.jira.set_status(key, "In Progress")
    h.jira.set_assignee(key, "minji@hanabpo.example")
    clock.advance(minutes=5)
    await sync.tick(h.services)
    clock.advance(minutes=5)
    await sync.tick(h.services)  # nothing new: nothing posted twice
    clock.advance(minutes=2)
    h.jira.resolve(key)
    clock.advance(minutes=5)
    await sync.tick(h.services)
    await settle(h)
    lines = "\n".join(thread(h, card))
    assert lines.count("In Progress") == 2  # To Do -> In Progress, then In Progress -> Done
    assert "Minji" in lines and "Done" in lines
    async with h.services.sessions() as session:
        esc = await session.scalar(select(Escalation))
    assert esc.state == "resolved"


async def test_incremental_sync_reads_only_changed_issues_across_pages(h: Harness, clock: FakeClock) -> None:
    for n in range(5):
        await escalate(h, f"P2 team:care-hana Issue number {n}")
    adapter = outbox.adapter_of(h.services)
    adapter.page_size = 2
    clock.advance(minutes=5)
    await sync.tick(h.services)
    keys = sorted(h.jira.issues)
    clock.advance(minutes=10)
    for key in keys[:3]:
        h.jira.set_status(key, "In Progress")
    clock.advance(minutes=5)
    before = h.jira.count("/search")
    report = await sync.tick(h.services)
    assert report.applied == 3 and report.pages == 2
    assert h.jira.count("/search") - before == 2  # pages of changed issues, nothing more
    async with h.services.sessions() as session:
        statuses = dict((await session.execute(select(JiraLink.jira_key, JiraLink.status))).all())
    assert [statuses[k] for k in keys] == ["In Progress"] * 3 + ["To Do"] * 2


async def test_webhook_needs_the_secret_dedupes_and_refetches(h: Harness, clock: FakeClock) -> None:
    card = await escalate(h, "P1 team:care-hana Webhook test")
    key = next(iter(h.jira.issues))
    path = webhook.webhook_path(h.services.settings)
    body = {"webhookEvent": "jira:issue_updated", "issue": {"key": key, "fields": {"status": {"name": "Lies"}}},
            "user": {"accountId": "5b10human"}}
    clock.advance(minutes=1)
    h.jira.set_status(key, "In Progress")
    async with aiohttp.ClientSession() as http:
        bad = await http.post(h.server.url + "/jira/webhook/wrong-token", json=body,
                              headers={"X-Atlassian-Webhook-Identifier": "w1"})
        assert bad.status == 404
        await settle(h)
        assert not any("In Progress" in line for line in thread(h, card))
        for _ in range(2):  # Jira retries: same identifier
            ok = await http.post(h.server.url + path, json=body, headers={"X-Atlassian-Webhook-Identifier": "w1"})
            assert ok.status == 200
            await settle(h)
    changed = [line for line in thread(h, card) if "In Progress" in line]
    assert len(changed) == 1 and "Lies" not in changed[0]  # the issue was re-read, not the payload trusted
    assert h.jira.count(f"/issue/{key}", "GET") == 2  # baseline after create + one re-fetch


async def test_our_own_writes_echoing_back_are_ignored(h: Harness) -> None:
    await escalate(h, "P1 team:care-hana Echo test")
    key = next(iter(h.jira.issues))
    gets = h.jira.count(f"/issue/{key}", "GET")
    async with aiohttp.ClientSession() as http:
        ok = await http.post(h.server.url + webhook.webhook_path(h.services.settings), json={
            "webhookEvent": "jira:issue_created", "issue": {"key": key},
            "user": {"accountId": h.jira.account_id(h.jira.bot.email)}})
        assert ok.status == 200
    await settle(h)
    assert h.jira.count(f"/issue/{key}", "GET") == gets


async def test_server_flavor_uses_v2_and_start_at(clock: FakeClock) -> None:
    async with Harness(clock=clock, jira="server") as h:
        card = await escalate(h, "P1 team:care-hana On-prem Jira")
        [issue] = h.jira.issues.values()
        assert any(issue["key"] in line for line in thread(h, card))
        assert all("/rest/api/3" not in r.path for r in h.jira.requests)
        clock.advance(minutes=2)
        h.jira.set_status(issue["key"], "In Progress")
        clock.advance(minutes=5)
        report = await sync.tick(h.services)
        assert report.applied == 1
        assert any("In Progress" in line for line in thread(h, card))


async def test_without_jira_nothing_is_wired_and_nothing_fails(clock: FakeClock) -> None:
    async with Harness(clock=clock) as h:
        card = await escalate(h, "P1 team:care-hana Nothing configured")
        assert "escalation_jira" not in str(card.blocks)  # the button is hidden
        assert outbox.adapter_of(h.services) is None
        assert await outbox.tick(h.services) == 0 and await sync.tick(h.services) is None
        async with aiohttp.ClientSession() as http:
            assert (await http.post(h.server.url + "/jira/webhook/x", json={})).status == 404
        ack = await h.driver.block_action(h.user(SAM), "escalation_jira", value="1", channel_id="C0HANA")
        await settle(h)
        assert ack.status == 200
        assert any("not connected" in text_of(m) for m in h.sandbox.ephemerals(h.user(SAM)))


async def test_a_check_in_prompt_lists_the_members_open_issues(h: Harness) -> None:
    from datetime import UTC, datetime

    from schedules.checkins import tick

    jisoo = "jisoo@hanabpo.example"
    h.jira.create_issue("CARE", "Refunds <script> & call-backs", assignee_email=jisoo)
    h.jira.create_issue("CARE", "Finished work", assignee_email=jisoo, status="Done")
    h.jira.create_issue("CARE", "Someone else's", assignee_email="minji@hanabpo.example")
    for when in (datetime(2026, 11, 19, 12, 0, tzinfo=UTC), datetime(2026, 11, 20, 7, 0, tzinfo=UTC)):
        h.clock.set(when)  # Thursday, then Friday 16:00 in Seoul: the round opens and prompts go out
        await tick(h.services)
    [prompt] = [m for m in h.sandbox.dms(h.user(jisoo)) if "checkin_start" in str(m.blocks)]
    text = text_of(prompt)
    [key] = [k for k, i in h.jira.issues.items() if i["fields"]["summary"].startswith("Refunds")]
    assert f"/browse/{key}|{key}>" in text and "Refunds &lt;script&gt; &amp; call-backs" in text
    assert "Finished work" not in text and "Someone else" not in text


async def test_with_jira_the_liaisons_blocker_dm_offers_a_ticket(h: Harness) -> None:
    from datetime import UTC, datetime

    from schedules.checkins import tick

    for when in (datetime(2026, 11, 19, 12, 0, tzinfo=UTC), datetime(2026, 11, 20, 7, 0, tzinfo=UTC)):
        h.clock.set(when)
        await tick(h.services)
    jisoo = "jisoo@hanabpo.example"
    [prompt] = [m for m in h.sandbox.dms(h.user(jisoo)) if "checkin_start" in str(m.blocks)]
    await h.driver.block_action(h.user(jisoo), "checkin_start", message=prompt)
    await settle(h)
    view = h.sandbox.open_views(h.user(jisoo))[-1]
    await h.driver.submit_view(h.user(jisoo), view, inputs={"q_done": "a", "q_next": "b", "q_mood": 3,
                                                            "q_blockers": "No VPN"})
    await settle(h)
    [dm] = h.sandbox.dms(h.user(SAM))
    actions = {e["action_id"] for b in dm.blocks for e in b.get("elements", [])}
    assert actions == {"blocker_jira", "blocker_escalate"}


async def test_a_team_without_a_jira_project_gets_no_jira_buttons(clock: FakeClock) -> None:
    from datetime import UTC, datetime

    from bot.orgfile import load
    from sandbox.harness import EXAMPLE_ORG
    from schedules.checkins import tick

    spec = load(EXAMPLE_ORG)
    teams = tuple(t.model_copy(update={"jira": t.jira.model_copy(update={"project": None})})
                  if t.key == "care-hana" else t for t in spec.teams)
    async with Harness(clock=clock, jira="cloud", org=spec.model_copy(update={"teams": teams})) as h:
        card = await escalate(h, "P3 team:care-hana Typo on the help page")
        assert "escalation_jira" not in str(card.blocks)
        for when in (datetime(2026, 11, 19, 12, 0, tzinfo=UTC), datetime(2026, 11, 20, 7, 0, tzinfo=UTC)):
            h.clock.set(when)
            await tick(h.services)
        jisoo = "jisoo@hanabpo.example"
        [prompt] = [m for m in h.sandbox.dms(h.user(jisoo)) if "checkin_start" in str(m.blocks)]
        await h.driver.block_action(h.user(jisoo), "checkin_start", message=prompt)
        await settle(h)
        view = h.sandbox.open_views(h.user(jisoo))[-1]
        await h.driver.submit_view(h.user(jisoo), view, inputs={"q_done": "a", "q_next": "b", "q_mood": 3,
                                                                "q_blockers": "No VPN"})
        await settle(h)
        [dm] = [m for m in h.sandbox.dms(h.user(SAM)) if "No VPN" in text_of(m)]
        assert "blocker_jira" not in str(dm.blocks) and "blocker_escalate" in str(dm.blocks)
