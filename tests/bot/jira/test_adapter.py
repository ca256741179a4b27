"""The adapter against the sandbox Jira in both flavors: shapes on the wire, paging, errors."""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.jira.adapter import IssueDraft, JiraAdapter, JiraRejected, JiraUnavailable
from sandbox.jira import JiraSandbox

DRAFT = IssueDraft(project="OPS", issue_type="Task", summary="Payments down", description="First.\n\nSecond.",
                   labels=("oneteam", "P1"), priority="Highest", link_url="https://slack.example/p1")


@pytest.fixture(params=["cloud", "server"])
async def jira(request: pytest.FixtureRequest) -> AsyncIterator[JiraSandbox]:
    async with JiraSandbox(flavor=request.param, projects=("OPS",)) as sandbox:
        yield sandbox


def adapter_for(jira: JiraSandbox, timeout: float = 5.0) -> JiraAdapter:
    return JiraAdapter(jira.url, user=jira.bot.email if jira.cloud else None, token=jira.token, timeout=timeout)


async def test_create_tags_the_issue_and_speaks_the_flavors_format(jira: JiraSandbox) -> None:
    adapter = adapter_for(jira)
    ref = await adapter.create_issue(DRAFT, "abc-esc-1")
    issue = jira.issues[ref.key]
    assert issue["properties"]["oneteam"] == {"id": "abc-esc-1"}
    assert set(issue["fields"]["labels"]) == {"oneteam", "P1", "oneteam-abc-esc-1"}
    assert issue["fields"]["priority"] == "Highest"
    create = next(r for r in jira.requests if r.method == "POST" and r.path.endswith("/issue"))
    description = create.body["fields"]["description"]
    if jira.cloud:
        assert create.path == "/rest/api/3/issue" and description["type"] == "doc"
        link = description["content"][-1]["content"][0]
        assert link["marks"][0]["attrs"]["href"] == "https://slack.example/p1"
    else:
        assert create.path == "/rest/api/2/issue" and isinstance(description, str)
        assert "https://slack.example/p1" in description
    assert await adapter.find_by_oneteam_id("abc-esc-1") == ref
    assert await adapter.find_by_oneteam_id("abc-esc-2") is None


async def test_search_pages_through_everything_without_total(jira: JiraSandbox) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(7):
        jira.create_issue("OPS", f"issue {n}", labels=["oneteam"], updated=start + timedelta(minutes=n))
    adapter = adapter_for(jira)
    await adapter.connect()
    before = len(jira.requests)
    pages = [p async for p in adapter.search("labels = oneteam ORDER BY updated ASC, key ASC", page_size=3)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i.summary for p in pages for i in p] == [f"issue {n}" for n in range(7)]
    searches = jira.requests[before:]
    assert len(searches) == 3
    if jira.cloud:
        assert all(r.path == "/rest/api/3/search/jql" for r in searches)
        assert "nextPageToken" in searches[1].body
    else:
        assert all(r.path == "/rest/api/2/search" for r in searches)
        assert [r.body["startAt"] for r in searches] == [0, 3, 6]


async def test_errors_say_whether_to_retry(jira: JiraSandbox) -> None:
    adapter = adapter_for(jira)
    await adapter.connect()
    jira.inject(429, retry_after=120, path_contains="/issue")
    with pytest.raises(JiraUnavailable) as unavailable:
        await adapter.create_issue(DRAFT, "x-1")
    assert unavailable.value.retry_after == 120
    jira.inject(503, path_contains="/issue")
    with pytest.raises(JiraUnavailable):
        await adapter.create_issue(DRAFT, "x-1")
    with pytest.raises(JiraRejected) as rejected:
        await adapter.create_issue(IssueDraft(**{**DRAFT.__dict__, "project": "NOPE"}), "x-1")
    assert rejected.value.status == 400
    assert jira.issues == {}


async def test_a_timed_out_create_may_have_happened_and_is_found(jira: JiraSandbox) -> None:
    adapter = adapter_for(jira, timeout=0.5)
    await adapter.connect()
    jira.inject_timeout_after_commit(path_contains="/issue")
    with pytest.raises(JiraUnavailable) as timed_out:
        await adapter.create_issue(DRAFT, "t-1")
    assert timed_out.value.reason == "timeout"
    assert len(jira.issues) == 1
    assert (await adapter.find_by_oneteam_id("t-1")).key == next(iter(jira.issues))


async def test_members_issues_are_found_by_email(jira: JiraSandbox) -> None:
    jira.create_issue("OPS", "mine", assignee_email="priya@acme.example")
    jira.create_issue("OPS", "done already", assignee_email="priya@acme.example", status="Done")
    jira.create_issue("OPS", "someone else's", assignee_email="sam@acme.example")
    adapter = adapter_for(jira)
    user = await adapter.find_user("priya@acme.example")
    pages = [p async for p in adapter.search(f'assignee = "{user}" AND statusCategory != Done')]
    assert [i.summary for p in pages for i in p] == ["mine"]


async def test_typed_text_reaches_jira_as_text_in_both_formats(jira: JiraSandbox) -> None:
    """ADF text nodes are data as they are; in wiki markup every markup character is escaped."""
    typed = "[click|https://evil.example] *b* _i_ {code} <!here> & -s-"
    draft = IssueDraft(project="OPS", issue_type="Task", summary=typed, description=typed,
                       link_url="https://slack.example/p1", link_text="Open [in] Slack")
    await adapter_for(jira).create_issue(draft, "abc-esc-2")
    create = next(r for r in jira.requests if r.method == "POST" and r.path.endswith("/issue"))
    description = create.body["fields"]["description"]
    if jira.cloud:
        first, link = description["content"]
        assert first["content"] == [{"type": "text", "text": typed}]  # no mark: no link, no bold
        assert [n["marks"] for n in link["content"]] == [[{"type": "link", "attrs": {"href": "https://slack.example/p1"}}]]
    else:
        assert description.startswith(r"\[click\|https://evil.example\] \*b\* \_i\_ \{code\} <\!here> & \-s\-")
        assert description.endswith(r"[Open \[in\] Slack|https://slack.example/p1]")  # only the bot's own link


async def test_the_adapter_speaks_rest_without_the_jira_library(jira: JiraSandbox,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Jira's REST API through aiohttp: no private attributes of a client library, and no thread per call."""
    monkeypatch.setitem(sys.modules, "jira", None)  # importing it now fails
    monkeypatch.delitem(sys.modules, "bot.jira.adapter")
    adapter_module = importlib.import_module("bot.jira.adapter")
    adapter = adapter_module.JiraAdapter(jira.url, user=jira.bot.email if jira.cloud else None, token=jira.token)
    ref = await adapter.create_issue(DRAFT, "no-lib-1")
    assert (await adapter.get_issue(ref.key)).summary == "Payments down"
