"""The one class that talks to Jira: its REST API called directly with aiohttp, the HTTP client the project
already has. The `jira` library was dropped: its calls block (a thread each), it reached OneTeam only through
private attributes (`_session` for raw REST calls, `_options` to pick the API version), and the adapter already
spoke REST itself for everything but connecting.

Cloud and Data Center/Server differ in ways that matter here, decided once from `serverInfo.deploymentType`:
- Cloud: API token (Basic user:token), REST v3, descriptions in Atlassian Document Format, search through
  `/search/jql` paged by `nextPageToken` (no `total`).
- Server/DC: personal access token (Bearer), REST v2, wiki-text descriptions, `/search` paged by `startAt`.

Nothing here retries: `Retry-After` goes to the outbox, which owns retrying. Errors come out as
`JiraUnavailable` (try again later: 429, 5xx, timeouts, no connection) or `JiraRejected` (Jira said no;
retrying won't help). Only the status is kept of a failed response: its body and headers are never logged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

log = logging.getLogger("oneteam.jira")

PROPERTY = "oneteam"  # issue property carrying OneTeam's id: {"id": "..."}
SYNC_FIELDS = ("summary", "status", "assignee", "resolution", "updated", "created", "resolutiondate", "duedate",
               "project", "priority")
RETRYABLE = {408, 409, 425, 429, 500, 502, 503, 504}


class JiraUnavailable(Exception):
    """Jira did not take the request (or we cannot tell whether it did); try again later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class JiraRejected(Exception):
    """Jira answered with a client error (bad project, field, auth): an admin must fix something.
    `fields` names the fields Jira complained about (`errors` keys), never their messages."""

    def __init__(self, status: int, reason: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason + (f" ({', '.join(fields)})" if fields else "")
        self.fields = fields


@dataclass(frozen=True)
class IssueDraft:
    project: str
    issue_type: str
    summary: str
    description: str
    labels: tuple[str, ...] = ()
    priority: str | None = None
    link_url: str | None = None  # back to the Slack message
    link_text: str = "Slack"


@dataclass(frozen=True)
class Transition:
    """One of an issue's available transitions, with the fields its screen requires."""

    id: str
    name: str
    to_status: str
    to_category: str  # new | indeterminate | done
    required: tuple[tuple[str, str], ...] = ()  # (field, value name to send): e.g. ("resolution", "Done")


@dataclass(frozen=True)
class Comment:
    id: str
    author_id: str  # Cloud accountId, Server username
    author_name: str
    text: str  # plain text (ADF flattened on Cloud; wiki source on Data Center)
    created: datetime | None


@dataclass(frozen=True)
class IssueRef:
    id: str
    key: str


@dataclass(frozen=True)
class IssueState:
    """What OneTeam reads of an issue, free of the REST shape (and of the API version)."""

    id: str
    key: str
    summary: str
    status: str
    status_category: str  # new | indeterminate | done
    assignee: str | None  # display name
    assignee_email: str | None
    resolution: str | None
    updated: datetime
    created: datetime | None
    resolved: datetime | None
    due: date | None
    project: str | None
    priority: str | None = None
    assignee_id: str | None = None  # Cloud accountId, Server username: what `find_user` answers


def parse_time(value: str | None) -> datetime | None:
    """Jira's `2024-01-15T10:30:00.000+0000`."""
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, fmt).astimezone(UTC)
        except ValueError:
            continue
    return None


def issue_state(raw: dict[str, Any]) -> IssueState:
    f = raw.get("fields") or {}
    status = f.get("status") or {}
    assignee = f.get("assignee") or {}
    due = f.get("duedate")
    project = f.get("project") or {}
    return IssueState(
        id=str(raw.get("id", "")), key=str(raw.get("key", "")), summary=f.get("summary") or "",
        status=status.get("name") or "", status_category=(status.get("statusCategory") or {}).get("key") or "new",
        assignee=assignee.get("displayName"), assignee_email=(assignee.get("emailAddress") or None),
        resolution=(f.get("resolution") or {}).get("name"),
        updated=parse_time(f.get("updated")) or datetime.now(UTC),
        created=parse_time(f.get("created")), resolved=parse_time(f.get("resolutiondate")),
        due=date.fromisoformat(due) if due else None, project=project.get("key"),
        priority=(f.get("priority") or {}).get("name"),
        assignee_id=assignee.get("accountId") or assignee.get("name") or None,
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        try:
            return max((parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds(), 0.0)
        except (TypeError, ValueError):
            return None


def _error_fields(content: bytes) -> tuple[str, ...]:
    """The field names of Jira's `{"errors": {field: message}}` answer (a missing required field)."""
    try:
        errors = json.loads(content).get("errors")
    except (ValueError, AttributeError):
        return ()
    return tuple(sorted(str(k)[:40] for k in errors)[:5]) if isinstance(errors, dict) else ()


def _required(fields: Any) -> list[tuple[str, str]]:
    """A transition screen's required fields we can fill: its first allowed value (a resolution: "Done"
    when offered). A required field without allowed values is left out; Jira's 400 then names it."""
    out = []
    for name, meta in (fields or {}).items() if isinstance(fields, dict) else ():
        if not isinstance(meta, dict) or not meta.get("required"):
            continue
        values = [str(v.get("name")) for v in meta.get("allowedValues") or [] if isinstance(v, dict) and v.get("name")]
        if values:
            out.append((str(name), "Done" if "Done" in values else values[0]))
    return out


def adf_text(node: Any) -> str:
    """The plain text of an ADF document (a Cloud comment body); wiki text on Data Center is returned as is."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text") or "")
    parts = [adf_text(child) for child in node.get("content") or []]
    return ("\n\n" if node.get("type") == "doc" else "").join(parts)


def _basic(user: str, token: str) -> str:
    """Cloud's API-token auth: HTTP Basic with the account's email and token."""
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode("ascii")


_WIKI_SPECIALS = re.compile(r"([\\\[\]{}|*_+^~?!#\-])")


def wiki_escape(text: str) -> str:
    """Text for Jira wiki markup: each markup character backslash-escaped (Jira shows it as typed)."""
    return _WIKI_SPECIALS.sub(r"\\\1", text)


def jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JiraAdapter:
    """One per process (on `services.extras["jira"]`); connects lazily on first use."""

    def __init__(self, url: str, *, user: str | None, token: str, timeout: float = 10.0,
                 page_size: int = 100) -> None:
        self.url = url.rstrip("/")
        self._user = user
        self._token = token
        self.timeout = timeout
        self.page_size = page_size
        self._connected = False
        self._connecting = asyncio.Lock()
        self.cloud = False
        self.tz: ZoneInfo = ZoneInfo("UTC")  # JQL dates are read in the API user's time zone
        self.me: frozenset[str] = frozenset()  # our account's ids, to recognise our own changes
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    # --- plumbing ----------------------------------------------------------------------------------------

    @property
    def api_version(self) -> int:
        return 3 if self.cloud else 2

    def browse_url(self, key: str) -> str:
        return f"{self.url}/browse/{key}"

    async def connect(self) -> None:
        """Learns the deployment type (Cloud or Server/DC) and our own account, once."""
        if self._connected:
            return
        async with self._connecting:
            if self._connected:
                return
            info = await self._request("GET", f"{self.url}/rest/api/2/serverInfo")
            self.cloud = (info or {}).get("deploymentType") == "Cloud"
            me = await self._request("GET", f"{self.url}/rest/api/{self.api_version}/myself") or {}
            self.me = frozenset(str(me[k]) for k in ("accountId", "name", "key", "emailAddress") if me.get(k))
            try:
                self.tz = ZoneInfo(me.get("timeZone") or "UTC")
            except (ZoneInfoNotFoundError, ValueError):
                self.tz = ZoneInfo("UTC")
            self._connected = True

    async def _request(self, method: str, url: str, body: dict[str, Any] | None = None,
                       params: dict[str, Any] | None = None) -> Any:
        """One REST call on the adapter's shared session; failures become the two errors callers handle."""
        headers = {"Accept": "application/json", "Authorization": (
            _basic(self._user, self._token) if self._user else f"Bearer {self._token}")}
        try:
            async with self._http().request(method, url, json=body, params=params, headers=headers) as response:
                content = await response.read()
                if response.status >= 400:
                    if response.status in RETRYABLE:
                        raise JiraUnavailable(f"HTTP {response.status}", _retry_after(response.headers))
                    raise JiraRejected(response.status, f"HTTP {response.status}", _error_fields(content))
                return json.loads(content) if content else None
        except TimeoutError:
            raise JiraUnavailable("timeout") from None
        except (aiohttp.ClientError, ValueError):  # no connection, or not JSON
            raise JiraUnavailable("connection") from None

    def _http(self) -> aiohttp.ClientSession:
        """One session (kept-alive connections) per adapter: a fan-out asks Jira a hundred times in a round, and a
        new session per call paid a TCP (and TLS) handshake each. Bound to the running event loop: a one-off
        command's `asyncio.run` gets its own."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._session_loop = loop
        return self._session

    async def close(self) -> None:
        """Closes the shared session (on shutdown)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
                    params: dict[str, Any] | None = None) -> Any:
        await self.connect()
        return await self._request(method, f"{self.url}/rest/api/{self.api_version}/{path}", body, params)

    # --- writes ------------------------------------------------------------------------------------------

    async def create_issue(self, draft: IssueDraft, oneteam_id: str) -> IssueRef:
        """Creates the issue with OneTeam's id as issue property and label in the same request, so an issue
        that exists is always findable by `find_by_oneteam_id`."""
        await self.connect()
        fields: dict[str, Any] = {
            "project": {"key": draft.project}, "issuetype": {"name": draft.issue_type},
            "summary": " ".join(draft.summary.split())[:250],
            "description": self._description(draft),
            "labels": list(dict.fromkeys((*draft.labels, self.id_label(oneteam_id)))),
        }
        if draft.priority:
            fields["priority"] = {"name": draft.priority}
        body = {"fields": fields, "properties": [{"key": PROPERTY, "value": {"id": oneteam_id}}]}
        raw = await self._call("POST", "issue", body)
        return IssueRef(id=str(raw["id"]), key=str(raw["key"]))

    @staticmethod
    def id_label(oneteam_id: str) -> str:
        """Labels are searchable without any app-declared index (issue properties need one on real Jira)."""
        return "oneteam-" + oneteam_id.replace(" ", "-")

    def _description(self, draft: IssueDraft) -> Any:
        """ADF on Cloud (text nodes are data as they are); wiki markup on Data Center, where what people
        typed is escaped so that it cannot form links, macros or formatting."""
        paragraphs = [p.strip() for p in draft.description.split("\n\n") if p.strip()]
        if not self.cloud:
            text = "\n\n".join(wiki_escape(p) for p in paragraphs)
            if draft.link_url:
                text += f"\n\n[{wiki_escape(draft.link_text)}|{draft.link_url.replace('|', '%7C')}]"
            return text
        content: list[dict[str, Any]] = [
            {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs
        ]
        if draft.link_url:
            content.append({"type": "paragraph", "content": [{
                "type": "text", "text": draft.link_text, "marks": [{"type": "link", "attrs": {"href": draft.link_url}}],
            }]})
        return {"type": "doc", "version": 1, "content": content}

    def _rich(self, text: str, link_url: str | None, link_text: str) -> Any:
        """A comment body: ADF on Cloud (text nodes are data), escaped wiki markup on Data Center."""
        return self._description(IssueDraft(project="", issue_type="", summary="", description=text,
                                             link_url=link_url, link_text=link_text))

    async def add_comment(self, key: str, text: str, link_url: str | None = None, link_text: str = "Slack") -> str:
        """Adds a comment; returns its id."""
        raw = await self._call("POST", f"issue/{key}/comment", {"body": self._rich(text, link_url, link_text)})
        return str((raw or {}).get("id", ""))

    async def recent_comments(self, key: str, limit: int = 20) -> list[Comment]:
        """The newest comments, newest first: ours already added by an earlier attempt, people's for the thread."""
        raw = await self._call("GET", f"issue/{key}/comment", params={"orderBy": "-created", "maxResults": limit})
        out = []
        for c in (raw or {}).get("comments") or []:
            author = c.get("author") or {}
            out.append(Comment(
                id=str(c.get("id", "")), author_id=str(author.get("accountId") or author.get("name") or ""),
                author_name=str(author.get("displayName") or ""), text=adf_text(c.get("body")),
                created=parse_time(c.get("created"))))
        return out

    async def transitions(self, key: str) -> list[Transition]:
        """The transitions available to us on this issue now, with the fields each one requires."""
        raw = await self._call("GET", f"issue/{key}/transitions", params={"expand": "transitions.fields"})
        out = []
        for tr in (raw or {}).get("transitions") or []:
            to = tr.get("to") or {}
            fields = tr.get("fields") or {}
            out.append(Transition(
                id=str(tr.get("id", "")), name=str(tr.get("name") or ""), to_status=str(to.get("name") or ""),
                to_category=str((to.get("statusCategory") or {}).get("key") or "new"),
                required=tuple(sorted(_required(fields)))))
        return out

    async def transition(self, key: str, transition_id: str, fields: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {"transition": {"id": transition_id}}
        if fields:
            body["fields"] = fields
        await self._call("POST", f"issue/{key}/transitions", body)

    async def set_priority(self, key: str, priority: str) -> None:
        await self._call("PUT", f"issue/{key}", {"fields": {"priority": {"name": priority}}})

    # --- reads -------------------------------------------------------------------------------------------

    async def find_by_oneteam_id(self, oneteam_id: str) -> IssueRef | None:
        jql = (f"issue.property[{PROPERTY}].id = {jql_string(oneteam_id)} OR "
               f"labels = {jql_string(self.id_label(oneteam_id))}")
        async for page in self.search(jql, fields=("summary",), page_size=2):
            for issue in page:
                return IssueRef(issue.id, issue.key)
        return None

    async def find_user(self, email: str) -> str | None:
        """The id JQL takes for a person (Cloud accountId, Server username), looked up by email."""
        await self.connect()
        users = await self._call("GET", "user/search", params={"query": email} if self.cloud else {"username": email})
        for user in users or []:
            if (user.get("emailAddress") or "").lower() == email.lower() or len(users) == 1:
                return user.get("accountId") if self.cloud else user.get("name")
        return None

    async def get_issue(self, key: str) -> IssueState:
        """By key: consistent right after a write (Cloud's search is only eventually consistent)."""
        return issue_state(await self._call("GET", f"issue/{key}", params={"fields": ",".join(SYNC_FIELDS)}))

    async def search(self, jql: str, *, fields: tuple[str, ...] = SYNC_FIELDS,
                     page_size: int | None = None) -> AsyncIterator[list[IssueState]]:
        """Yields pages. Never trusts `total`: Cloud has none, and it changes under a paging client."""
        after: str | None = None
        while True:
            issues, after = await self.search_page(jql, fields=fields, size=page_size or self.page_size, after=after)
            if issues:
                yield issues
            if after is None:
                return

    async def search_page(self, jql: str, *, fields: tuple[str, ...], size: int,
                          after: str | None = None) -> tuple[list[IssueState], str | None]:
        """One page of a search and the cursor of the next (None: it was the last). Cloud pages by
        `nextPageToken`; Server/DC by `startAt` (the cursor is that offset). Jira may answer fewer than `size`."""
        await self.connect()
        if self.cloud:
            body: dict[str, Any] = {"jql": jql, "maxResults": size, "fields": list(fields)}
            if after:
                body["nextPageToken"] = after
            raw = await self._call("POST", "search/jql", body)
            issues = raw.get("issues") or []
            token = raw.get("nextPageToken")
            nxt = None if raw.get("isLast", True) or not token or not issues else str(token)
        else:
            start = int(after or 0)
            raw = await self._call("POST", "search", {"jql": jql, "startAt": start, "maxResults": size,
                                                     "fields": list(fields)})
            issues = raw.get("issues") or []
            nxt = None if not issues or len(issues) < int(raw.get("maxResults") or size) else str(start + len(issues))
        return [issue_state(i) for i in issues], nxt

    async def count(self, jql: str) -> int:
        """Issues matching `jql`, counted without fetching them where Jira allows."""
        await self.connect()
        if self.cloud:
            return int((await self._call("POST", "search/approximate-count", {"jql": jql}))["count"])
        raw = await self._call("POST", "search", {"jql": jql, "startAt": 0, "maxResults": 0, "fields": ["key"]})
        return int(raw.get("total") or 0)

    def jql_time(self, when: datetime) -> str:
        """A JQL date literal (minute precision, the API user's time zone)."""
        return '"' + when.astimezone(self.tz).strftime("%Y/%m/%d %H:%M") + '"'
