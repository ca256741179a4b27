"""Turn internal state into the JSON Jira sends, per flavor (Cloud/Server) and REST version (2/3).

Kept apart from the handlers so every endpoint renders users, statuses and issues the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from .adf import adf_to_text
from .state import (
    CATEGORIES,
    ISSUE_TYPES,
    PRIORITIES,
    RESOLUTIONS,
    STATUSES,
    TRANSITIONS,
    JiraState,
    User,
)

# Fields a full issue carries; "comment" is not navigable, so `*navigable` (Server search default) omits it.
ALL_FIELDS = (
    "summary", "description", "issuetype", "project", "priority", "labels", "status", "statuscategorychangedate",
    "assignee", "reporter", "creator", "resolution", "resolutiondate", "created", "updated", "duedate",
    "comment", "issuelinks", "subtasks", "components", "fixVersions", "lastViewed",
)
NOT_NAVIGABLE = {"comment"}

FIELD_META: list[dict[str, Any]] = [
    {"id": fid, "key": fid, "name": name, "custom": False, "orderable": True, "navigable": fid not in NOT_NAVIGABLE,
     "searchable": True, "clauseNames": clauses, "schema": {"type": typ, "system": fid}}
    for fid, name, clauses, typ in [
        ("summary", "Summary", ["summary"], "string"),
        ("description", "Description", ["description"], "string"),
        ("issuetype", "Issue Type", ["issuetype", "type"], "issuetype"),
        ("project", "Project", ["project"], "project"),
        ("priority", "Priority", ["priority"], "priority"),
        ("labels", "Labels", ["labels"], "array"),
        ("status", "Status", ["status"], "status"),
        ("assignee", "Assignee", ["assignee"], "user"),
        ("reporter", "Reporter", ["reporter"], "user"),
        ("creator", "Creator", ["creator"], "user"),
        ("resolution", "Resolution", ["resolution"], "resolution"),
        ("resolutiondate", "Resolved", ["resolutiondate", "resolved"], "datetime"),
        ("created", "Created", ["created", "createdDate"], "datetime"),
        ("updated", "Updated", ["updated", "updatedDate"], "datetime"),
        ("duedate", "Due date", ["due", "duedate"], "date"),
        ("comment", "Comment", ["comment"], "comments-page"),
        ("issuekey", "Key", ["id", "issue", "issuekey", "key"], "string"),
        ("statusCategory", "Status Category", ["statusCategory"], "statusCategory"),
    ]
]


def jira_time(dt: datetime | None) -> str | None:
    """Jira's timestamp format, e.g. 2024-01-15T10:30:00.000+0000."""
    if dt is None:
        return None
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def field_filter(spec: Iterable[str] | None, default: str) -> Callable[[str], bool]:
    """Jira's `fields` parameter: `*all`, `*navigable`, names, and `-name` exclusions."""
    tokens = [t.strip() for t in (spec or []) if t and t.strip()] or [default]
    include: set[str] = set()
    exclude: set[str] = set()
    everything = navigable = False
    for t in tokens:
        if t == "*all":
            everything = True
        elif t == "*navigable":
            navigable = True
        elif t.startswith("-"):
            exclude.add(t[1:])
        else:
            include.add(t)

    def wanted(name: str) -> bool:
        if name in exclude:
            return False
        if name in include or everything:
            return True
        return navigable and name not in NOT_NAVIGABLE

    return wanted


class Renderer:
    def __init__(self, state: JiraState, base_url: Callable[[], str], cloud: bool) -> None:
        self.state = state
        self._base_url = base_url
        self.cloud = cloud

    def api(self, v: int, path: str) -> str:
        return f"{self._base_url()}/rest/api/{v}/{path}"

    # --- small resources -----------------------------------------------------------------------------------

    def user(self, user: User | str | None, v: int) -> dict[str, Any] | None:
        if user is None:
            return None
        if isinstance(user, str):
            user = self.state.add_user(user)
        common = {
            "emailAddress": user.email,
            "displayName": user.display_name,
            "active": True,
            "timeZone": "UTC",
            "avatarUrls": {"48x48": f"{self._base_url()}/avatar/{user.name}.png"},
        }
        if self.cloud:
            return {"self": self.api(v, f"user?accountId={user.account_id}"), "accountId": user.account_id,
                    "accountType": "atlassian", **common}
        return {"self": self.api(v, f"user?username={user.name}"), "name": user.name, "key": user.key, **common}

    def category(self, key: str, v: int) -> dict[str, Any]:
        c = CATEGORIES[key]
        return {"self": self.api(v, f"statuscategory/{c.id}"), "id": c.id, "key": c.key, "colorName": c.color,
                "name": c.name}

    def status(self, name: str, v: int) -> dict[str, Any]:
        s = STATUSES[name]
        return {"self": self.api(v, f"status/{s.id}"), "description": "", "iconUrl": "", "name": s.name,
                "id": s.id, "statusCategory": self.category(s.category, v)}

    def priority(self, name: str, v: int) -> dict[str, Any]:
        pid = PRIORITIES[name]
        return {"self": self.api(v, f"priority/{pid}"), "iconUrl": "", "name": name, "id": pid}

    def issuetype(self, name: str, v: int) -> dict[str, Any]:
        tid = ISSUE_TYPES[name]
        return {"self": self.api(v, f"issuetype/{tid}"), "id": tid, "description": "", "iconUrl": "",
                "name": name, "subtask": False, "hierarchyLevel": 1 if name == "Epic" else 0}

    def resolution(self, name: str | None, v: int) -> dict[str, Any] | None:
        if name is None:
            return None
        rid = RESOLUTIONS.get(name, "10000")
        return {"self": self.api(v, f"resolution/{rid}"), "id": rid, "description": "", "name": name}

    def project(self, key: str, v: int, *, full: bool = False) -> dict[str, Any]:
        p = self.state.projects[key]
        out: dict[str, Any] = {"self": self.api(v, f"project/{p['id']}"), "id": p["id"], "key": p["key"],
                               "name": p["name"], "projectTypeKey": "software", "simplified": False,
                               "avatarUrls": {}}
        if full:
            out["issueTypes"] = [self.issuetype(n, v) for n in ISSUE_TYPES]
            out["description"] = ""
            out["lead"] = self.user(next(iter(self.state.users.values()), None), v)
        return out

    def transition(self, tid: str, v: int, *, with_fields: bool = False) -> dict[str, Any]:
        """`with_fields` is `expand=transitions.fields`: the screen's fields, required ones marked."""
        to = TRANSITIONS[tid]
        required = self.state.required_on_transition.get(tid, [])
        out: dict[str, Any] = {"id": tid, "name": to, "to": self.status(to, v), "hasScreen": bool(required),
                               "isGlobal": True, "isInitial": False, "isAvailable": True, "isConditional": False,
                               "isLooped": False}
        if with_fields:
            out["fields"] = {name: self._screen_field(name, v) for name in required}
        return out

    def _screen_field(self, name: str, v: int) -> dict[str, Any]:
        field: dict[str, Any] = {"required": True, "name": name.capitalize(), "key": name, "operations": ["set"],
                                 "schema": {"type": name, "system": name}, "hasDefaultValue": False}
        if name == "resolution":
            field["allowedValues"] = [self.resolution(n, v) for n in RESOLUTIONS]
        return field

    def rich(self, adf: dict[str, Any] | None, v: int) -> Any:
        """Descriptions and comment bodies: ADF on v3, text on v2."""
        if v == 3:
            return adf
        return None if adf is None else adf_to_text(adf)

    def comment(self, issue: dict[str, Any], c: dict[str, Any], v: int) -> dict[str, Any]:
        author = self.user(c["author"], v)
        return {"self": self.api(v, f"issue/{issue['id']}/comment/{c['id']}"), "id": c["id"], "author": author,
                "body": self.rich(c["body"], v), "updateAuthor": author, "created": jira_time(c["created"]),
                "updated": jira_time(c["updated"]), "jsdPublic": True}

    def comments_page(self, issue: dict[str, Any], v: int, start: int = 0, limit: int = 5000,
                      newest_first: bool = False) -> dict[str, Any]:
        items = list(reversed(issue["comments"])) if newest_first else issue["comments"]
        page = items[start:start + limit]
        return {"comments": [self.comment(issue, c, v) for c in page], "self": self.api(
            v, f"issue/{issue['id']}/comment"), "maxResults": limit, "total": len(items), "startAt": start}

    # --- issue -----------------------------------------------------------------------------------------------

    def issue(
        self,
        issue: dict[str, Any],
        v: int,
        *,
        fields: Iterable[str] | None = None,
        default_fields: str = "*all",
        properties: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        wanted = field_filter(fields, default_fields)
        f = issue["fields"]
        values: dict[str, Callable[[], Any]] = {
            "summary": lambda: f["summary"],
            "description": lambda: self.rich(f["description"], v),
            "issuetype": lambda: self.issuetype(f["issuetype"], v),
            "project": lambda: self.project(issue["project"], v),
            "priority": lambda: self.priority(f["priority"], v),
            "labels": lambda: list(f["labels"]),
            "status": lambda: self.status(f["status"], v),
            "statuscategorychangedate": lambda: jira_time(issue["status_changed"]),
            "assignee": lambda: self.user(f["assignee"], v),
            "reporter": lambda: self.user(f["reporter"], v),
            "creator": lambda: self.user(f["reporter"], v),
            "resolution": lambda: self.resolution(f["resolution"], v),
            "resolutiondate": lambda: jira_time(f["resolutiondate"]),
            "created": lambda: jira_time(issue["created"]),
            "updated": lambda: jira_time(issue["updated"]),
            "duedate": lambda: f.get("duedate"),
            "comment": lambda: self.comments_page(issue, v),
            "issuelinks": list,
            "subtasks": list,
            "components": list,
            "fixVersions": list,
            "lastViewed": lambda: None,
        }
        out_fields = {name: make() for name, make in values.items() if wanted(name)}
        for name, value in f.items():
            if name.startswith("customfield_") and wanted(name):
                out_fields[name] = value
        out: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue["id"],
            "self": self.api(v, f"issue/{issue['id']}"),
            "key": issue["key"],
            "fields": out_fields,
        }
        keys = [p.strip() for p in (properties or []) if p and p.strip()]
        if keys:
            props = issue["properties"]
            chosen = props if "*all" in keys else {k: props[k] for k in keys if k in props}
            out["properties"] = dict(chosen)
        return out
