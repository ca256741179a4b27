"""The real `jira` library (blocking, so run in a thread) against the sandbox, Cloud and Server flavors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
import requests
from jira import JIRA, JIRAError, resilientsession

from sandbox.jira import JiraSandbox

T = TypeVar("T")
USER, TOKEN = "bot@example.com", "jira-sandbox-token"


async def run(fn: Callable[[], T]) -> T:
    return await asyncio.to_thread(fn)


@pytest.fixture
async def cloud() -> AsyncIterator[JiraSandbox]:
    async with JiraSandbox(flavor="cloud") as sb:
        yield sb


@pytest.fixture
async def server() -> AsyncIterator[JiraSandbox]:
    async with JiraSandbox(flavor="server") as sb:
        yield sb


def cloud_client(sb: JiraSandbox, **kw: Any) -> JIRA:
    return JIRA(server=sb.url, basic_auth=(USER, TOKEN), **kw)


def server_client(sb: JiraSandbox, **kw: Any) -> JIRA:
    return JIRA(server=sb.url, token_auth=TOKEN, **kw)


async def test_client_construction_reads_server_info_and_detects_cloud(cloud: JiraSandbox) -> None:
    j = await run(lambda: cloud_client(cloud))
    assert j._is_cloud
    assert cloud.requests[0].path == "/rest/api/2/serverInfo"
    assert cloud.requests[0].status == 200


async def test_server_flavor_is_not_cloud(server: JiraSandbox) -> None:
    j = await run(lambda: server_client(server))
    assert j.deploymentType == "Server"
    assert not j._is_cloud


async def test_create_get_comment_transition_property_roundtrip(cloud: JiraSandbox) -> None:
    def work() -> dict[str, Any]:
        j = cloud_client(cloud)
        issue = j.create_issue(fields={
            "project": {"key": "OPS"}, "summary": "Printer on fire", "description": "Smoke\n\nLots of it",
            "issuetype": {"name": "Task"}, "priority": {"name": "High"}, "labels": ["oneteam"],
        })
        j.add_comment(issue.key, "Looking into it")
        names = [t["name"] for t in j.transitions(issue.key)]
        j.transition_issue(issue.key, "Done")
        j.add_issue_property(issue.key, "oneteam", {"id": "ESC-1", "v": 1})
        again = j.issue(issue.key)
        return {
            "key": issue.key, "status": again.fields.status.name,
            "category": again.fields.status.statusCategory.key, "resolution": again.fields.resolution.name,
            "priority": again.fields.priority.name, "labels": again.fields.labels,
            "description": again.fields.description, "comments": [c.body for c in j.comments(issue.key)],
            "transitions": names, "prop": j.issue_property(issue.key, "oneteam").raw["value"],
        }

    out = await run(work)
    assert out["key"] == "OPS-1"
    assert out["transitions"] == ["In Progress", "Done"]  # not the one to the current status
    assert (out["status"], out["category"], out["resolution"]) == ("Done", "done", "Done")
    assert out["priority"] == "High" and out["labels"] == ["oneteam"]
    assert out["description"] == "Smoke\n\nLots of it"
    assert out["comments"] == ["Looking into it"]
    assert out["prop"] == {"id": "ESC-1", "v": 1}
    stored = cloud.issues["OPS-1"]
    assert stored["fields"]["status"] == "Done"
    assert stored["fields"]["reporter"] == USER
    assert stored["transitions"][-1]["to"] == "Done" and stored["transitions"][-1]["id"] == "31"
    assert stored["fields"]["description"]["type"] == "doc"  # stored as ADF


async def test_v3_speaks_adf_for_descriptions_and_comments(cloud: JiraSandbox) -> None:
    key = cloud.create_issue("OPS", "ADF please", description="first line\nsecond line")
    cloud.add_comment(key, "a human comment")

    def work() -> tuple[Any, Any]:
        j = cloud_client(cloud, options={"rest_api_version": "3"})
        issue = j.issue(key)
        return issue.raw["fields"]["description"], j.comments(key)[0].raw["body"]

    desc, body = await run(work)
    assert desc["type"] == "doc" and desc["version"] == 1
    para = desc["content"][0]["content"]
    assert [n["type"] for n in para] == ["text", "hardBreak", "text"]
    assert body["content"][0]["content"][0]["text"] == "a human comment"


async def test_search_by_issue_property(cloud: JiraSandbox) -> None:
    a = cloud.create_issue("OPS", "tagged", properties={"oneteam": {"id": "ESC-1"}})
    cloud.create_issue("OPS", "other", properties={"oneteam": {"id": "ESC-2"}})
    cloud.create_issue("OPS", "untagged")

    def work() -> list[str]:
        j = cloud_client(cloud)
        hits = j.enhanced_search_issues('issue.property[oneteam].id = "ESC-1"', fields="summary")
        return [i.key for i in hits]

    assert await run(work) == [a]


async def test_enhanced_search_pages_with_next_page_token(cloud: JiraSandbox) -> None:
    for n in range(250):
        cloud.create_issue("OPS", f"issue {n}")

    def work() -> list[str]:
        j = cloud_client(cloud)
        return [i.key for i in j.enhanced_search_issues("project = OPS ORDER BY key ASC", maxResults=0,
                                                        fields="summary")]

    keys = await run(work)
    assert keys == [f"OPS-{n}" for n in range(1, 251)]
    pages = [r for r in cloud.requests if r.path.endswith("/search/jql")]
    assert len(pages) == 3
    assert "nextPageToken" not in pages[0].query
    assert all("nextPageToken" in p.query for p in pages[1:])
    assert {p.query["maxResults"] for p in pages} == {"100"}


async def test_enhanced_search_json_pages_report_is_last_and_no_total(cloud: JiraSandbox) -> None:
    for n in range(250):
        cloud.create_issue("OPS", f"issue {n}")

    def work() -> list[dict[str, Any]]:
        j = cloud_client(cloud)
        pages, token = [], None
        while True:
            page = j.enhanced_search_issues("project = OPS", nextPageToken=token, maxResults=100, fields="",
                                            json_result=True)
            pages.append(page)
            token = page.get("nextPageToken")
            if page["isLast"]:
                return pages

    pages = await run(work)
    assert [len(p["issues"]) for p in pages] == [100, 100, 50]
    assert [p["isLast"] for p in pages] == [False, False, True]
    assert all("total" not in p for p in pages)
    assert pages[0]["issues"][0] == {"id": cloud.issues["OPS-1"]["id"]}  # ids only without fields
    assert "nextPageToken" not in pages[-1]


async def test_max_results_is_capped_at_100_on_cloud(cloud: JiraSandbox) -> None:
    for n in range(120):
        cloud.create_issue("OPS", f"issue {n}")

    def work() -> dict[str, Any]:
        return cloud_client(cloud).enhanced_search_issues("project = OPS", maxResults=500, json_result=True)

    page = await run(work)
    assert len(page["issues"]) == 100 and page["isLast"] is False


async def test_server_search_pages_with_start_at_and_total(server: JiraSandbox) -> None:
    for n in range(250):
        server.create_issue("OPS", f"issue {n}")

    def work() -> tuple[list[str], list[str], int | None]:
        j = server_client(server)
        everything = j.search_issues("project = OPS ORDER BY key ASC", maxResults=False, fields="summary")
        middle = j.search_issues("project = OPS ORDER BY key ASC", startAt=100, maxResults=100)
        return [i.key for i in everything], [i.key for i in middle], middle.total

    everything, middle, total = await run(work)
    assert everything == [f"OPS-{n}" for n in range(1, 251)]
    assert middle == [f"OPS-{n}" for n in range(101, 201)]
    assert total == 250
    starts = [r.query.get("startAt", "0") for r in server.requests if r.path == "/rest/api/2/search"]
    assert starts[:3] == ["0", "100", "200"]


async def test_server_search_post(server: JiraSandbox) -> None:
    server.create_issue("OPS", "one", labels=["x"])
    server.create_issue("OPS", "two")

    def work() -> list[str]:
        j = server_client(server)
        return [i.key for i in j.search_issues("labels = x", use_post=True)]

    assert await run(work) == ["OPS-1"]


async def test_wrong_token_gets_401(cloud: JiraSandbox) -> None:
    with pytest.raises(JIRAError) as err:
        await run(lambda: JIRA(server=cloud.url, basic_auth=(USER, "wrong")))
    assert err.value.status_code == 401
    assert "not authenticated" in err.value.text
    assert cloud.requests[-1].status == 401


async def test_server_rejects_wrong_bearer(server: JiraSandbox) -> None:
    with pytest.raises(JIRAError) as err:
        await run(lambda: JIRA(server=server.url, token_auth="nope"))
    assert err.value.status_code == 401


async def test_injected_503_retry_after_is_honoured_by_the_client(
    cloud: JiraSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(resilientsession, "time", SimpleNamespace(sleep=slept.append))
    key = cloud.create_issue("OPS", "flaky")
    cloud.inject(503, retry_after=7, path_contains=f"/issue/{key}")

    issue = await run(lambda: cloud_client(cloud).issue(key))

    assert issue.fields.summary == "flaky"
    hits = [r for r in cloud.requests if r.path.endswith(f"/issue/{key}")]
    assert [(r.status, r.injected) for r in hits] == [(503, True), (200, False)]
    assert len(slept) == 1 and 7 <= slept[0] <= 14  # the library waits 2 * Retry-After * U(0.5, 1)


async def test_timeout_after_commit_leaves_exactly_one_issue(cloud: JiraSandbox) -> None:
    cloud.inject_timeout_after_commit(path_contains="/issue", times=1)

    def work() -> list[str]:
        j = cloud_client(cloud, timeout=0.3)
        fields = {"project": {"key": "OPS"}, "summary": "Escalation ESC-9", "issuetype": {"name": "Task"},
                  "labels": ["oneteam-esc-9"]}
        with pytest.raises(requests.exceptions.ReadTimeout):
            j.create_issue(fields=fields)
        # the idempotent caller looks before retrying, finds the committed issue and does not create again
        found = j.enhanced_search_issues("labels = oneteam-esc-9", fields="summary")
        if not found:
            j.create_issue(fields=fields)
        return [i.key for i in found]

    found = await run(work)
    assert found == ["OPS-1"]
    assert list(cloud.issues) == ["OPS-1"]
    creates = [r for r in cloud.requests if r.method == "POST" and r.path.endswith("/issue")]
    assert len(creates) == 1 and creates[0].hung and creates[0].status == 201


async def test_human_changes_are_visible_and_bump_updated(cloud: JiraSandbox) -> None:
    key = cloud.create_issue("OPS", "work", assignee_email="dev@example.com")
    before = cloud.issues[key]["updated"]
    cloud.set_status(key, "In Progress")
    cloud.set_assignee(key, "other@example.com")

    def work() -> Any:
        return cloud_client(cloud).issue(key)

    issue = await run(work)
    assert issue.fields.status.name == "In Progress"
    assert issue.fields.status.statusCategory.key == "indeterminate"
    assert issue.fields.assignee.emailAddress == "other@example.com"
    assert issue.fields.assignee.accountId == cloud.account_id("other@example.com")
    assert cloud.issues[key]["updated"] >= before


async def test_issue_update_and_assign_by_account_id(cloud: JiraSandbox) -> None:
    key = cloud.create_issue("OPS", "edit me")
    account = cloud.add_user("dev@example.com", "Dev Person")

    def work() -> Any:
        j = cloud_client(cloud)
        issue = j.issue(key)
        issue.update(fields={"summary": "edited", "assignee": {"accountId": account}},
                     update={"labels": [{"add": "a"}, {"add": "b"}]})
        return j.issue(key, fields="summary,assignee,labels")

    issue = await run(work)
    assert issue.fields.summary == "edited"
    assert issue.fields.assignee.displayName == "Dev Person"
    assert issue.fields.labels == ["a", "b"]
    assert not hasattr(issue.fields, "status")  # only the fields asked for
    assert cloud.issues[key]["fields"]["assignee"] == "dev@example.com"
