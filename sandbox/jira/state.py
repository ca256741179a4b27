"""The emulator's in-memory Jira: projects, users and issues, shared by the HTTP handlers and seeding helpers.

Issues are stored in a compact internal shape (rendered to Jira JSON per API version by `render.py`) so tests
can assert on them directly::

    issues["OPS-1"] == {
        "id": "10000", "key": "OPS-1", "project": "OPS",
        "fields": {"summary": str, "description": ADF doc | None, "issuetype": "Task", "priority": "Medium",
                   "labels": [str], "status": "To Do", "assignee": email | None, "reporter": email,
                   "resolution": None | "Done", "resolutiondate": datetime | None, "duedate": "YYYY-MM-DD" | None,
                   "customfield_NNNNN": raw JSON ...},
        "properties": {key: JSON}, "comments": [{"id", "body" (ADF), "author" (email), "created", "updated"}],
        "transitions": [{"id", "from", "to", "at", "by"}], "remotelinks": [{"id", "globalId", "object", ...}],
        "created": datetime, "updated": datetime,
    }
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import JiraError, not_found_issue


@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: str  # StatusCategory.key


CATEGORIES = {
    "new": StatusCategory(2, "new", "To Do", "blue-gray"),
    "indeterminate": StatusCategory(4, "indeterminate", "In Progress", "yellow"),
    "done": StatusCategory(3, "done", "Done", "green"),
}
STATUSES = {
    "To Do": Status("10000", "To Do", "new"),
    "In Progress": Status("3", "In Progress", "indeterminate"),
    "Done": Status("10001", "Done", "done"),
}
# Simplified workflow: a global transition into every status, named after it (like a team-managed project).
TRANSITIONS = {"11": "To Do", "21": "In Progress", "31": "Done"}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
ISSUE_TYPES = {"Task": "10001", "Bug": "10002", "Story": "10003", "Epic": "10004"}
RESOLUTIONS = {"Done": "10000", "Won't Do": "10001", "Duplicate": "10002"}
DEFAULT_PRIORITY = "Medium"
DEFAULT_ISSUE_TYPE = "Task"


def status_by_name_or_id(value: str) -> Status | None:
    for s in STATUSES.values():
        if s.name.lower() == value.lower() or s.id == value:
            return s
    return None


def name_by_name_or_id(table: dict[str, str], value: str) -> str | None:
    """Look `value` up in a {name: id} table by name (case-insensitive) or id."""
    for name, ident in table.items():
        if name.lower() == value.lower() or ident == value:
            return name
    return None


@dataclass(frozen=True)
class User:
    email: str
    account_id: str
    name: str  # Server/DC username
    display_name: str

    @property
    def key(self) -> str:
        return f"JIRAUSER{int(hashlib.sha1(self.email.encode()).hexdigest()[:6], 16)}"


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class JiraState:
    """All mutable data; every change to an issue goes through here so `updated` is bumped consistently."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.projects: dict[str, dict[str, Any]] = {}
        self.users: dict[str, User] = {}
        # Jira resolves a user in JQL through its index, not by scanning everyone: by account id or user key,
        # and by username; each keeps the first user added, as the scan in `find_user` did.
        self._by_id: dict[str, User] = {}
        self._by_name: dict[str, User] = {}
        self._added: dict[str, int] = {}  # email -> order added, to break a tie between the two indexes
        self.issues: dict[str, dict[str, Any]] = {}
        self._issue_ids = itertools.count(10000)
        self._comment_ids = itertools.count(10000)
        self._project_ids = itertools.count(10000)
        self._link_ids = itertools.count(10000)
        # The workflow as an admin configured it: transitions taken out (by id), and the fields a transition's
        # screen requires (by id), e.g. {"31": ["resolution"]} like Data Center's classic "Done" screen.
        self.removed_transitions: set[str] = set()
        self.required_on_transition: dict[str, list[str]] = {}

    def now(self) -> datetime:
        return _utc(self._clock())

    # --- projects and users -------------------------------------------------------------------------------

    def add_project(self, key: str, name: str | None = None) -> dict[str, Any]:
        key = key.upper()
        if key not in self.projects:
            self.projects[key] = {
                "id": str(next(self._project_ids)),
                "key": key,
                "name": name or f"{key} project",
                "next_number": 1,
            }
        elif name:
            self.projects[key]["name"] = name
        return self.projects[key]

    def find_project(self, ident: str) -> dict[str, Any] | None:
        """By key, id or name, as JQL and the project endpoint accept."""
        for p in self.projects.values():
            if ident.upper() == p["key"] or ident == p["id"] or ident.lower() == p["name"].lower():
                return p
        return None

    def add_user(self, email: str, display_name: str | None = None) -> User:
        email = email.lower()
        if email not in self.users:
            local = email.split("@", 1)[0]
            digest = hashlib.sha1(email.encode()).hexdigest()
            user = self.users[email] = User(
                email=email,
                account_id=f"5b10{digest[:20]}",
                name=local,
                display_name=display_name or local.replace(".", " ").title(),
            )
            self._added[email] = len(self._added)
            self._by_id.setdefault(user.account_id, user)
            self._by_id.setdefault(user.key, user)
            self._by_name.setdefault(user.name, user)
        return self.users[email]

    def find_user(self, ident: str) -> User | None:
        """By email, accountId, username or user key — JQL and the REST bodies use all of them. Looked up in
        indexes: a search naming 50 people costs 50 look-ups, not 50 scans of every user (which, at 5,000
        users, held the sandbox's event loop for most of a second per search)."""
        ident_l = ident.lower()
        if ident_l in self.users:
            return self.users[ident_l]
        hits = [u for u in (self._by_id.get(ident), self._by_name.get(ident_l)) if u is not None]
        return min(hits, key=lambda u: self._added[u.email]) if hits else None

    # --- issues --------------------------------------------------------------------------------------------

    def get_issue(self, id_or_key: str) -> dict[str, Any]:
        """Find by key (any case) or numeric id; 404 as Jira otherwise."""
        issue = self.issues.get(id_or_key.upper())
        if issue is None and id_or_key.isdigit():
            issue = next((i for i in self.issues.values() if i["id"] == id_or_key), None)
        if issue is None:
            raise not_found_issue()
        return issue

    def create_issue(
        self,
        project: str,
        summary: str,
        *,
        description: dict[str, Any] | None = None,
        issuetype: str = DEFAULT_ISSUE_TYPE,
        priority: str = DEFAULT_PRIORITY,
        labels: list[str] | tuple[str, ...] = (),
        status: str = "To Do",
        assignee: str | None = None,
        reporter: str | None = None,
        duedate: str | None = None,
        properties: dict[str, Any] | None = None,
        custom: dict[str, Any] | None = None,
        created: datetime | None = None,
        updated: datetime | None = None,
    ) -> dict[str, Any]:
        proj = self.find_project(project)
        if proj is None:
            raise JiraError(400, errors={"project": "Specify a valid project ID or key"})
        st = status_by_name_or_id(status)
        if st is None:
            raise ValueError(f"unknown status {status!r}; known: {list(STATUSES)}")
        now = self.now()
        updated_at = _utc(updated) if updated else now
        created_at = _utc(created) if created else min(updated_at, now)
        for email in (assignee, reporter):
            if email:
                self.add_user(email)
        key = f"{proj['key']}-{proj['next_number']}"
        proj["next_number"] += 1
        done = st.category == "done"
        issue: dict[str, Any] = {
            "id": str(next(self._issue_ids)),
            "key": key,
            "project": proj["key"],
            "fields": {
                "summary": summary,
                "description": description,
                "issuetype": issuetype,
                "priority": priority,
                "labels": list(labels),
                "status": st.name,
                "assignee": assignee.lower() if assignee else None,
                "reporter": (reporter or "").lower() or None,
                "resolution": "Done" if done else None,
                "resolutiondate": updated_at if done else None,
                "duedate": duedate,
                **(custom or {}),
            },
            "properties": dict(properties or {}),
            "comments": [],
            "transitions": [],
            "remotelinks": [],
            "created": created_at,
            "updated": updated_at,
            "status_changed": updated_at,
        }
        self.issues[key] = issue
        return issue

    def touch(self, issue: dict[str, Any]) -> None:
        issue["updated"] = self.now()

    def set_status(
        self,
        issue: dict[str, Any],
        status: str,
        *,
        by: str | None = None,
        transition_id: str | None = None,
        resolution: str | None = None,
    ) -> None:
        """Move to `status`; entering a done status sets a resolution, leaving one clears it (as Jira's
        default workflows do with their post functions)."""
        st = status_by_name_or_id(status)
        if st is None:
            raise ValueError(f"unknown status {status!r}; known: {list(STATUSES)}")
        f = issue["fields"]
        now = self.now()
        issue["transitions"].append(
            {"id": transition_id, "from": f["status"], "to": st.name, "at": now, "by": by}
        )
        if f["status"] != st.name:
            issue["status_changed"] = now
        f["status"] = st.name
        if st.category == "done":
            if resolution or not f["resolution"]:
                f["resolution"] = resolution or "Done"
                f["resolutiondate"] = now
        else:
            f["resolution"] = None
            f["resolutiondate"] = None
        issue["updated"] = now

    def set_assignee(self, issue: dict[str, Any], email: str | None) -> None:
        if email:
            self.add_user(email)
        issue["fields"]["assignee"] = email.lower() if email else None
        self.touch(issue)

    def add_comment(self, issue: dict[str, Any], body: dict[str, Any], author: str) -> dict[str, Any]:
        now = self.now()
        comment = {"id": str(next(self._comment_ids)), "body": body, "author": author, "created": now,
                   "updated": now}
        issue["comments"].append(comment)
        issue["updated"] = now
        return comment

    def next_link_id(self) -> int:
        return next(self._link_ids)
