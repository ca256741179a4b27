"""Wire-level behaviour of the Jira sandbox with a plain HTTP client: status codes, headers, bodies."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from sandbox.jira import JiraSandbox

USER, TOKEN = "bot@example.com", "jira-sandbox-token"
ADF = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}]}


def basic(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


@pytest.fixture
async def cloud() -> AsyncIterator[JiraSandbox]:
    async with JiraSandbox(flavor="cloud", projects=("OPS", "ENG")) as sb:
        yield sb


@pytest.fixture
async def server() -> AsyncIterator[JiraSandbox]:
    async with JiraSandbox(flavor="server") as sb:
        yield sb


@pytest.fixture
async def http(cloud: JiraSandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cloud.url, headers=basic(USER, TOKEN)) as s:
        yield s


@pytest.fixture
async def server_http(server: JiraSandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(server.url, headers={"Authorization": f"Bearer {TOKEN}"}) as s:
        yield s


async def call(s: aiohttp.ClientSession, method: str, path: str, **kw: Any) -> tuple[int, Any, Any]:
    async with s.request(method, path, **kw) as r:
        text = await r.text()
        return r.status, (json.loads(text) if text else None), r.headers


async def test_old_search_is_gone_on_cloud(http: aiohttp.ClientSession) -> None:
    for method, path in [("GET", "/rest/api/3/search"), ("POST", "/rest/api/3/search"),
                         ("GET", "/rest/api/2/search")]:
        kw = {"json": {"jql": "project = OPS"}} if method == "POST" else {"params": {"jql": "project = OPS"}}
        status, body, _ = await call(http, method, path, **kw)
        assert status == 410, path
        assert "search/jql" in body["errorMessages"][0]


async def test_server_serves_v2_only(server_http: aiohttp.ClientSession) -> None:
    assert (await call(server_http, "GET", "/rest/api/2/serverInfo"))[0] == 200
    assert (await call(server_http, "GET", "/rest/api/3/serverInfo"))[0] == 404
    assert (await call(server_http, "GET", "/rest/api/2/search/jql", params={"jql": "project = OPS"}))[0] == 404
    status, body, _ = await call(server_http, "GET", "/rest/api/2/search", params={"jql": "project = OPS"})
    assert status == 200 and body["total"] == 0 and body["startAt"] == 0


async def test_auth_failures(cloud: JiraSandbox) -> None:
    async with aiohttp.ClientSession(cloud.url, headers=basic(USER, "wrong")) as bad:
        status, body, headers = await call(bad, "GET", "/rest/api/3/myself")
    assert status == 401
    assert body == {"errorMessages": ["You are not authenticated. Authentication required to perform this "
                                      "operation."], "errors": {}}
    assert headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    async with aiohttp.ClientSession(cloud.url, headers={"Authorization": f"Bearer {TOKEN}"}) as bearer:
        assert (await call(bearer, "GET", "/rest/api/3/myself"))[0] == 401  # Cloud API tokens are Basic only
    async with aiohttp.ClientSession(cloud.url) as anon:
        assert (await call(anon, "GET", "/rest/api/3/serverInfo"))[0] == 200  # anonymous like real Jira
        assert (await call(anon, "GET", "/rest/api/3/myself"))[0] == 401


async def test_v3_requires_adf_and_v2_renders_text(http: aiohttp.ClientSession, cloud: JiraSandbox) -> None:
    fields = {"project": {"key": "OPS"}, "summary": "s", "issuetype": {"name": "Task"}, "description": "plain"}
    status, body, _ = await call(http, "POST", "/rest/api/3/issue", json={"fields": fields})
    assert status == 400 and "Atlassian Document" in body["errors"]["description"]
    assert cloud.issues == {}

    status, body, _ = await call(http, "POST", "/rest/api/3/issue", json={"fields": {**fields, "description": ADF}})
    assert status == 201 and body["key"] == "OPS-1" and body["self"].endswith(f"/rest/api/3/issue/{body['id']}")
    _, v2, _ = await call(http, "GET", "/rest/api/2/issue/OPS-1", params={"fields": "description"})
    _, v3, _ = await call(http, "GET", "/rest/api/3/issue/OPS-1", params={"fields": "description"})
    assert v2["fields"] == {"description": "hi"}
    assert v3["fields"] == {"description": ADF}


async def test_create_validation_errors(http: aiohttp.ClientSession, cloud: JiraSandbox) -> None:
    status, body, _ = await call(http, "POST", "/rest/api/3/issue",
                                 json={"fields": {"project": {"key": "NOPE"}, "issuetype": {"name": "Task"}}})
    assert status == 400
    assert set(body["errors"]) == {"project", "summary"}
    status, body, _ = await call(http, "POST", "/rest/api/3/issue", json={"fields": {
        "project": {"key": "OPS"}, "summary": "s", "issuetype": {"name": "Task"}, "labels": ["has space"]}})
    assert status == 400 and "spaces" in body["errors"]["labels"]
    assert cloud.issues == {}


async def test_issue_properties_crud_and_limits(http: aiohttp.ClientSession, cloud: JiraSandbox) -> None:
    key = cloud.create_issue("OPS", "props")
    base = f"/rest/api/3/issue/{key}/properties"
    assert (await call(http, "PUT", f"{base}/oneteam", json={"id": "ESC-1"}))[0] == 201
    assert (await call(http, "PUT", f"{base}/oneteam", json={"id": "ESC-2"}))[0] == 200
    status, body, _ = await call(http, "GET", f"{base}/oneteam")
    assert (status, body) == (200, {"key": "oneteam", "value": {"id": "ESC-2"}})
    status, body, _ = await call(http, "GET", base)
    assert [k["key"] for k in body["keys"]] == ["oneteam"]

    too_big = {"blob": "x" * 32768}
    status, body, _ = await call(http, "PUT", f"{base}/big", json=too_big)
    assert status == 400 and "32768" in body["errorMessages"][0]
    assert (await call(http, "PUT", f"{base}/{'k' * 256}", json={}))[0] == 400
    assert (await call(http, "PUT", f"{base}/bad", data=b"{not json",
                       headers={"Content-Type": "application/json"}))[0] == 400
    assert set(cloud.issues[key]["properties"]) == {"oneteam"}

    assert (await call(http, "DELETE", f"{base}/oneteam"))[0] == 204
    status, body, _ = await call(http, "GET", f"{base}/oneteam")
    assert status == 404 and "oneteam" in body["errorMessages"][0]


async def test_injected_429_carries_retry_after_then_recovers(http: aiohttp.ClientSession,
                                                              cloud: JiraSandbox) -> None:
    cloud.inject(429, times=2, path_contains="/myself", retry_after=3)
    other = await call(http, "GET", "/rest/api/3/serverInfo")
    assert other[0] == 200  # a non-matching path is unaffected
    for _ in range(2):
        status, body, headers = await call(http, "GET", "/rest/api/3/myself")
        assert status == 429 and headers["Retry-After"] == "3"
        assert body["errorMessages"]
    status, body, _ = await call(http, "GET", "/rest/api/3/myself")
    assert status == 200 and body["emailAddress"] == USER
    assert [r.status for r in cloud.requests if r.path.endswith("/myself")] == [429, 429, 200]
    ats = [r.at for r in cloud.requests]
    assert ats == sorted(ats)


async def test_search_jql_shapes(http: aiohttp.ClientSession, cloud: JiraSandbox) -> None:
    cloud.create_issue("OPS", "a", labels=["x"])
    cloud.create_issue("OPS", "b")
    status, body, _ = await call(http, "GET", "/rest/api/3/search/jql", params={"jql": "labels = x"})
    assert status == 200
    assert body == {"issues": [{"id": cloud.issues["OPS-1"]["id"]}], "isLast": True}

    status, body, _ = await call(http, "POST", "/rest/api/3/search/jql", json={
        "jql": "project = OPS ORDER BY key DESC", "fields": ["summary", "status"], "maxResults": 1,
        "properties": ["nothing"]})
    assert [i["key"] for i in body["issues"]] == ["OPS-2"]
    assert set(body["issues"][0]["fields"]) == {"summary", "status"}
    assert body["isLast"] is False
    status, body2, _ = await call(http, "POST", "/rest/api/3/search/jql", json={
        "jql": "project = OPS ORDER BY key DESC", "fields": ["summary"], "maxResults": 1,
        "nextPageToken": body["nextPageToken"]})
    assert [i["key"] for i in body2["issues"]] == ["OPS-1"] and body2["isLast"] is True

    status, body, _ = await call(http, "GET", "/rest/api/3/search/jql", params={"jql": "order by key"})
    assert status == 400 and "Unbounded" in body["errorMessages"][0]
    status, body, _ = await call(http, "GET", "/rest/api/3/search/jql", params={"jql": "colour = red"})
    assert status == 400
    assert body["errorMessages"] == ["Field 'colour' does not exist or you do not have permission to view it."]
    status, body, _ = await call(http, "GET", "/rest/api/3/search/jql",
                                 params={"jql": "project = OPS", "nextPageToken": "garbage"})
    assert status == 400


async def test_timeout_after_commit_with_property_tag(http: aiohttp.ClientSession, cloud: JiraSandbox) -> None:
    """OneTeam's idempotent create: tag with an issue property in the create body, on timeout look it up."""
    cloud.inject_timeout_after_commit()
    create = {"fields": {"project": {"key": "OPS"}, "summary": "Escalation", "issuetype": {"name": "Task"}},
              "properties": [{"key": "oneteam", "value": {"id": "ESC-7"}}]}
    with pytest.raises(asyncio.TimeoutError):
        await call(http, "POST", "/rest/api/3/issue", json=create, timeout=aiohttp.ClientTimeout(total=0.3))
    status, body, _ = await call(http, "POST", "/rest/api/3/search/jql",
                                 json={"jql": 'issue.property[oneteam].id = "ESC-7"'})
    assert status == 200 and len(body["issues"]) == 1
    assert len(cloud.issues) == 1
    assert cloud.issues["OPS-1"]["properties"] == {"oneteam": {"id": "ESC-7"}}
    # the fault was used up: the next write answers normally
    status, _, _ = await call(http, "PUT", "/rest/api/3/issue/OPS-1/properties/x", json=1)
    assert status == 201


async def test_transitions_set_and_clear_resolution(http: aiohttp.ClientSession, cloud: JiraSandbox) -> None:
    key = cloud.create_issue("OPS", "t")
    path = f"/rest/api/3/issue/{key}/transitions"
    _, body, _ = await call(http, "GET", path)
    ids = {t["to"]["name"]: t["id"] for t in body["transitions"]}
    assert set(ids) == {"In Progress", "Done"}
    status, body, _ = await call(http, "POST", path, json={"transition": {"id": "999"}})
    assert status == 400 and "not valid" in body["errorMessages"][0]

    status, _, _ = await call(http, "POST", path, json={"transition": {"id": ids["Done"]},
                                                        "fields": {"resolution": {"name": "Won't Do"}}})
    assert status == 204
    assert cloud.issues[key]["fields"]["resolution"] == "Won't Do"
    assert cloud.issues[key]["fields"]["resolutiondate"] is not None
    await call(http, "POST", path, json={"transition": {"id": "11"}})
    assert cloud.issues[key]["fields"]["status"] == "To Do"
    assert cloud.issues[key]["fields"]["resolution"] is None
    assert [(t["from"], t["to"]) for t in cloud.issues[key]["transitions"]] == [("To Do", "Done"), ("Done", "To Do")]


async def test_remote_link_global_id_upserts(http: aiohttp.ClientSession, cloud: JiraSandbox) -> None:
    key = cloud.create_issue("OPS", "links")
    link = {"globalId": "oneteam:esc:1", "object": {"url": "https://slack.example/x", "title": "Thread"}}
    first = await call(http, "POST", f"/rest/api/3/issue/{key}/remotelink", json=link)
    link["object"]["title"] = "Thread (renamed)"
    second = await call(http, "POST", f"/rest/api/3/issue/{key}/remotelink", json=link)
    assert (first[0], second[0]) == (201, 200)
    assert first[1]["id"] == second[1]["id"]
    _, links, _ = await call(http, "GET", f"/rest/api/3/issue/{key}/remotelink")
    assert [lk["object"]["title"] for lk in links] == ["Thread (renamed)"]


async def test_comments_endpoint_and_v3_body(http: aiohttp.ClientSession, cloud: JiraSandbox) -> None:
    key = cloud.create_issue("OPS", "c")
    status, body, _ = await call(http, "POST", f"/rest/api/3/issue/{key}/comment", json={"body": "plain"})
    assert status == 400
    status, body, _ = await call(http, "POST", f"/rest/api/3/issue/{key}/comment", json={"body": ADF})
    assert status == 201 and body["body"] == ADF and body["author"]["emailAddress"] == USER
    _, page, _ = await call(http, "GET", f"/rest/api/2/issue/{key}/comment")
    assert page["total"] == 1 and page["comments"][0]["body"] == "hi"


async def test_unknown_issue_is_404(http: aiohttp.ClientSession) -> None:
    status, body, _ = await call(http, "GET", "/rest/api/3/issue/OPS-99")
    assert status == 404
    assert body["errorMessages"] == ["Issue does not exist or you do not have permission to see it."]


async def test_updated_bumps_on_edits_not_on_properties() -> None:
    now = [datetime(2024, 5, 1, 9, 0, tzinfo=UTC)]
    async with JiraSandbox(clock=lambda: now[0]) as sb:
        key = sb.create_issue("OPS", "clocked")
        assert sb.issues[key]["updated"] == now[0]
        async with aiohttp.ClientSession(sb.url, headers=basic(USER, TOKEN)) as s:
            now[0] += timedelta(minutes=5)
            await call(s, "PUT", f"/rest/api/2/issue/{key}/properties/p", json={"a": 1})
            assert sb.issues[key]["updated"] == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
            await call(s, "POST", f"/rest/api/2/issue/{key}/comment", json={"body": "hello"})
            assert sb.issues[key]["updated"] == now[0]
            _, body, _ = await call(s, "GET", f"/rest/api/2/issue/{key}", params={"fields": "updated,created"})
        assert body["fields"] == {"updated": "2024-05-01T09:05:00.000+0000", "created": "2024-05-01T09:00:00.000+0000"}


async def test_data_center_transition_screens_and_workflow_errors(server_http: aiohttp.ClientSession,
                                                                   server: JiraSandbox) -> None:
    """v2 as Data Center documents it: `expand=transitions.fields` shows a screen's required fields; a POST
    without them is 400 with `errors` naming each; a transition the workflow lacks is 400 with errorMessages."""
    key = server.create_issue("OPS", "t")
    server.require_on_transition("Done", "resolution")
    server.remove_transition("In Progress")
    path = f"/rest/api/2/issue/{key}/transitions"
    _, body, _ = await call(server_http, "GET", path, params={"expand": "transitions.fields"})
    offered = {t["to"]["name"]: t for t in body["transitions"]}
    assert set(offered) == {"Done"}
    resolution = offered["Done"]["fields"]["resolution"]
    assert resolution["required"] is True and resolution["allowedValues"][0]["name"] == "Done"
    status, body, _ = await call(server_http, "POST", path, json={"transition": {"id": offered["Done"]["id"]}})
    assert status == 400 and body["errors"] == {"resolution": "Resolution is required."}
    status, body, _ = await call(server_http, "POST", path, json={"transition": {"id": "21"}})
    assert status == 400 and "not valid" in body["errorMessages"][0]
    status, _, _ = await call(server_http, "POST", path, json={"transition": {"id": offered["Done"]["id"]},
                                                              "fields": {"resolution": {"name": "Done"}}})
    assert status == 204 and server.status_of(key) == "Done"
    status, _, _ = await call(server_http, "POST", f"/rest/api/2/issue/{key}/comment", json={"body": "a \\[b\\]"})
    assert status == 201 and server.comments_of(key) == ["a \\[b\\]"]
    priority = {"fields": {"priority": {"name": "High"}}}
    status, _, _ = await call(server_http, "PUT", f"/rest/api/2/issue/{key}", json=priority)
    assert status == 204 and server.issues[key]["fields"]["priority"] == "High"


async def test_user_search_matches_prefixes_and_assignee_in_takes_account_ids(
        http: aiohttp.ClientSession, cloud: JiraSandbox) -> None:
    ann = cloud.state.add_user("ann.lee@acme.example", "Ann Lee")
    bo = cloud.state.add_user("bo@acme.example", "Bo Kim")
    cloud.state.add_user("joanne@acme.example", "Joanne Park")
    status, body, _ = await call(http, "GET", "/rest/api/3/user/search", params={"query": "ann.lee@acme.example"})
    assert status == 200 and [u["accountId"] for u in body] == [ann.account_id]
    _, body, _ = await call(http, "GET", "/rest/api/3/user/search", params={"query": "lee"})  # a name's word
    assert [u["accountId"] for u in body] == [ann.account_id]
    _, body, _ = await call(http, "GET", "/rest/api/3/user/search", params={"query": "anne"})  # not inside a word
    assert body == []
    _, body, _ = await call(http, "GET", "/rest/api/3/user/search", params={"accountId": bo.account_id})
    assert [u["emailAddress"] for u in body] == ["bo@acme.example"]
    _, body, _ = await call(http, "GET", "/rest/api/3/user/search", params={"query": "acme", "maxResults": "1"})
    assert body == []  # no email or name starts with "acme"

    cloud.create_issue("OPS", "ann's", assignee_email=ann.email)
    cloud.create_issue("OPS", "bo's", assignee_email=bo.email)
    cloud.create_issue("OPS", "nobody's")
    _, body, _ = await call(http, "POST", "/rest/api/3/search/jql", json={
        "jql": f'assignee in ("{ann.account_id}", "{bo.account_id}") ORDER BY key', "fields": ["assignee"]})
    assert [i["fields"]["assignee"]["accountId"] for i in body["issues"]] == [ann.account_id, bo.account_id]
