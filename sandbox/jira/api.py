"""The REST handlers: the endpoints OneTeam (through the `jira` library or plain HTTP) calls.

Each handler reads the API version (2 or 3), the authenticated user and the parsed JSON body, set by the
middleware in `server.py` under `keys.*`, and raises `JiraError` for Jira-shaped errors.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from aiohttp import web

from . import keys
from .adf import is_adf, text_to_adf
from .errors import JiraError
from .query import Search
from .render import FIELD_META, Renderer, jira_time
from .state import (
    ISSUE_TYPES,
    PRIORITIES,
    RESOLUTIONS,
    STATUSES,
    TRANSITIONS,
    JiraState,
    User,
    name_by_name_or_id,
)

MAX_PROPERTY_BYTES = 32768
MAX_PROPERTY_KEY = 255
_CREATE_ONLY = {"project"}
_EDITABLE = {"summary", "description", "issuetype", "priority", "labels", "assignee", "reporter", "duedate"}


def _cannot_set(name: str) -> str:
    return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."


class JiraApi:
    def __init__(
        self,
        state: JiraState,
        renderer: Renderer,
        *,
        cloud: bool,
        indexed_properties: frozenset[str] | None,
        search_cap: int,
    ) -> None:
        self.state = state
        self.r = renderer
        self.cloud = cloud
        self.indexed_properties = indexed_properties
        self.search_cap = search_cap

    def routes(self) -> list[web.RouteDef]:
        p = "/rest/api/{v}"
        issue = p + "/issue/{key}"
        return [
            web.get(p + "/serverInfo", self.server_info),
            web.get(p + "/myself", self.myself),
            web.get(p + "/field", self.fields),
            web.get(p + "/project", self.projects),
            web.get(p + "/project/{key}", self.project),
            web.get(p + "/priority", self.priorities),
            web.get(p + "/issuetype", self.issue_types),
            web.get(p + "/status", self.statuses),
            web.get(p + "/resolution", self.resolutions),
            web.get(p + "/user", self.user),
            web.get(p + "/user/search", self.user_search),
            web.get(p + "/issue/createmeta", self.createmeta),
            web.get(p + "/issue/createmeta/{project}/issuetypes", self.createmeta_issuetypes),
            web.post(p + "/issue", self.create_issue),
            web.get(issue, self.get_issue),
            web.put(issue, self.edit_issue),
            web.delete(issue, self.delete_issue),
            web.put(issue + "/assignee", self.assign),
            web.get(issue + "/comment", self.comments),
            web.post(issue + "/comment", self.add_comment),
            web.get(issue + "/transitions", self.transitions),
            web.post(issue + "/transitions", self.do_transition),
            web.get(issue + "/properties", self.property_keys),
            web.get(issue + "/properties/{prop}", self.get_property),
            web.put(issue + "/properties/{prop}", self.put_property),
            web.delete(issue + "/properties/{prop}", self.delete_property),
            web.get(issue + "/remotelink", self.remote_links),
            web.post(issue + "/remotelink", self.add_remote_link),
            web.get(p + "/search", self.search),
            web.post(p + "/search", self.search),
            web.get(p + "/search/jql", self.search_jql),
            web.post(p + "/search/jql", self.search_jql),
            web.post(p + "/search/approximate-count", self.approximate_count),
        ]

    # --- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def _v(request: web.Request) -> int:
        return int(request[keys.API_VERSION])

    @staticmethod
    def _me(request: web.Request) -> User:
        return request[keys.ME]

    @staticmethod
    def _body(request: web.Request) -> dict[str, Any]:
        body = request.get(keys.JSON)
        if not isinstance(body, dict):
            raise JiraError(400, "No content to map to Object due to end of input")
        return body

    @staticmethod
    def _list_param(request: web.Request, name: str) -> list[str] | None:
        """Query parameters repeated (`fields=a&fields=b`) or comma-joined (`fields=a,b`)."""
        raw = request.query.getall(name, [])
        if not raw:
            return None
        return [part.strip() for item in raw for part in item.split(",") if part.strip()]

    @staticmethod
    def _int(value: Any, name: str, default: int) -> int:
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise JiraError(400, f"The value '{value}' is not a valid number for '{name}'.") from None

    def _issue(self, request: web.Request) -> dict[str, Any]:
        return self.state.get_issue(request.match_info["key"])

    def _user_ref(self, value: Any, field: str) -> str | None:
        """A user as a REST body names one: `{"accountId"}` on Cloud, `{"name"}`/`{"key"}` on Server."""
        if value is None:
            return None
        if not isinstance(value, dict):
            raise JiraError(400, errors={field: f"Could not find user for {field}."})
        if self.cloud:
            ident = value.get("accountId") or value.get("id")
        else:
            ident = value.get("name") or value.get("key")
        if ident in (None, "-1"):
            if self.cloud and "name" in value:
                raise JiraError(400, errors={field: "Specify the user by accountId; name is not supported."})
            return None
        user = self.state.find_user(str(ident))
        if user is None or (self.cloud and user.account_id != ident):
            raise JiraError(400, errors={field: f"User '{ident}' does not exist."})
        return user.email

    def _named(self, value: Any, table: dict[str, str], field: str, message: str) -> str:
        if isinstance(value, dict):
            ident = value.get("name") or value.get("id")
            name = name_by_name_or_id(table, str(ident)) if ident is not None else None
            if name:
                return name
        raise JiraError(400, errors={field: message})

    def _parse_fields(self, fields: dict[str, Any], v: int, *, creating: bool) -> dict[str, Any]:
        """Validate a `fields` object; returns internal values. Collects all errors like Jira does."""
        out: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, value in fields.items():
            try:
                out[name] = self._parse_field(name, value, v, creating)
            except JiraError as e:
                errors.update(e.errors or {name: "; ".join(e.messages)})
        if errors:
            raise JiraError(400, errors=errors)
        return out

    def _parse_field(self, name: str, value: Any, v: int, creating: bool) -> Any:
        if name.startswith("customfield_"):
            return value
        if name == "project" and creating:
            if isinstance(value, dict):
                proj = self.state.find_project(str(value.get("key") or value.get("id") or ""))
                if proj:
                    return proj["key"]
            raise JiraError(400, errors={"project": "Specify a valid project ID or key"})
        if name not in _EDITABLE:
            raise JiraError(400, errors={name: _cannot_set(name)})
        if name == "summary":
            if not isinstance(value, str) or not value.strip():
                raise JiraError(400, errors={"summary": "You must specify a summary of the issue."})
            if "\n" in value or "\r" in value:
                raise JiraError(400, errors={"summary": "The summary is invalid because it contains newline "
                                             "characters."})
            if len(value) > 255:
                raise JiraError(400, errors={"summary": "Summary must be less than 255 characters."})
            return value
        if name == "description":
            if value is None:
                return None
            if v == 3:
                if not is_adf(value):
                    raise JiraError(400, errors={"description": "Operation value must be an Atlassian Document "
                                                 "(see the Atlassian Document Format)"})
                return value
            if not isinstance(value, str):
                raise JiraError(400, errors={"description": "Operation value must be a string"})
            return text_to_adf(value)
        if name == "issuetype":
            return self._named(value, ISSUE_TYPES, "issuetype", "Specify a valid issue type")
        if name == "priority":
            return self._named(value, PRIORITIES, "priority", "Specify the Priority (id or name) in the string "
                               "format")
        if name == "labels":
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise JiraError(400, errors={"labels": "Operation value must be an array of strings"})
            for label in value:
                if " " in label or not label:
                    raise JiraError(400, errors={"labels": f"The label '{label}' contains spaces which is "
                                                 "invalid."})
            return list(dict.fromkeys(value))
        if name in ("assignee", "reporter"):
            return self._user_ref(value, name)
        # duedate
        if value is not None and not (isinstance(value, str) and len(value) == 10):
            raise JiraError(400, errors={"duedate": "Error parsing date string: " + str(value)})
        return value

    def _apply_update_ops(self, issue: dict[str, Any], update: dict[str, Any], me: User, v: int) -> None:
        """The `update` verbs (set/add/remove) Jira accepts next to `fields`."""
        f = issue["fields"]
        for name, ops in update.items():
            if not isinstance(ops, list):
                raise JiraError(400, errors={name: "Operation value must be a list of operations"})
            for op in ops:
                if not isinstance(op, dict) or len(op) != 1:
                    raise JiraError(400, errors={name: "Each operation must have exactly one verb"})
                verb, arg = next(iter(op.items()))
                if name == "comment" and verb == "add":
                    body = arg.get("body") if isinstance(arg, dict) else None
                    self.state.add_comment(issue, self._comment_body(body, v), me.email)
                elif name == "labels" and verb in ("add", "remove"):
                    if verb == "add" and arg not in f["labels"]:
                        f["labels"].append(self._parse_field("labels", [arg], v, False)[0])
                    elif verb == "remove" and arg in f["labels"]:
                        f["labels"].remove(arg)
                elif verb == "set":
                    value = self._parse_field(name, arg, v, False)
                    if name == "assignee" and value:
                        self.state.add_user(value)
                    f[name] = value
                else:
                    raise JiraError(400, errors={name: _cannot_set(name)})

    def _comment_body(self, body: Any, v: int) -> dict[str, Any]:
        if v == 3:
            if not is_adf(body):
                raise JiraError(400, errors={"comment": "Comment body is not valid!"})
            return body
        if not isinstance(body, str) or not body.strip():
            raise JiraError(400, errors={"comment": "Comment body can not be empty!"})
        return text_to_adf(body)

    def _search(self, request: web.Request) -> Search:
        return Search(self.state, self._me(request), self.indexed_properties)

    # --- metadata --------------------------------------------------------------------------------------------

    async def server_info(self, request: web.Request) -> web.Response:
        if self.cloud:
            version, numbers, deployment = "1001.0.0-SNAPSHOT", [1001, 0, 0], "Cloud"
        else:
            version, numbers, deployment = "9.12.2", [9, 12, 2], "Server"
        base = self.r.api(2, "")[: -len("/rest/api/2/")]
        return web.json_response({
            "baseUrl": base, "version": version, "versionNumbers": numbers, "deploymentType": deployment,
            "buildNumber": 100300, "buildDate": "2024-01-01T00:00:00.000+0000",
            "serverTime": jira_time(self.state.now()), "scmInfo": "sandbox", "serverTitle": "Jira sandbox",
        })

    async def myself(self, request: web.Request) -> web.Response:
        return web.json_response(self.r.user(self._me(request), self._v(request)))

    async def fields(self, request: web.Request) -> web.Response:
        return web.json_response(FIELD_META)

    async def projects(self, request: web.Request) -> web.Response:
        v = self._v(request)
        return web.json_response([self.r.project(k, v) for k in self.state.projects])

    async def project(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        proj = self.state.find_project(key)
        if proj is None:
            raise JiraError(404, f"No project could be found with key '{key}'.")
        return web.json_response(self.r.project(proj["key"], self._v(request), full=True))

    async def priorities(self, request: web.Request) -> web.Response:
        v = self._v(request)
        return web.json_response([self.r.priority(n, v) for n in PRIORITIES])

    async def issue_types(self, request: web.Request) -> web.Response:
        v = self._v(request)
        return web.json_response([self.r.issuetype(n, v) for n in ISSUE_TYPES])

    async def statuses(self, request: web.Request) -> web.Response:
        v = self._v(request)
        return web.json_response([self.r.status(n, v) for n in STATUSES])

    async def resolutions(self, request: web.Request) -> web.Response:
        v = self._v(request)
        return web.json_response([self.r.resolution(n, v) for n in RESOLUTIONS])

    async def user(self, request: web.Request) -> web.Response:
        ident = request.query.get("accountId") or request.query.get("username") or request.query.get("key")
        user = self.state.find_user(ident) if ident else None
        if user is None:
            raise JiraError(404, "Specified user does not exist or you do not have access to it.")
        return web.json_response(self.r.user(user, self._v(request)))

    async def user_search(self, request: web.Request) -> web.Response:
        """Cloud: `query` matched against the start of the email address or of a word of the display name,
        or `accountId`; Server/DC: `username` against the start of the username, name or email address.
        Paged by `startAt` / `maxResults` (default 50, at most 1000), as both document."""
        q = request.query
        term = (q.get("query") or q.get("username") or "").lower()
        account = q.get("accountId")
        if not term and not account:
            raise JiraError(400, "The query parameter 'query' is required.")
        v = self._v(request)

        def matches(u: User) -> bool:
            if account:
                return u.account_id == account
            words = [u.email, u.name.lower(), *u.display_name.lower().split()]
            return any(w.startswith(term) for w in words)

        hits = [u for u in self.state.users.values() if matches(u)]
        start = max(self._int(q.get("startAt"), "startAt", 0), 0)
        size = min(max(self._int(q.get("maxResults"), "maxResults", 50), 0), 1000)
        return web.json_response([self.r.user(u, v) for u in hits[start:start + size]])

    async def createmeta(self, request: web.Request) -> web.Response:
        v = self._v(request)
        keys = self._list_param(request, "projectKeys")
        projects = [p for k, p in self.state.projects.items() if not keys or k in {x.upper() for x in keys}]
        return web.json_response({"expand": "projects", "projects": [
            {**self.r.project(p["key"], v), "issuetypes": [self.r.issuetype(n, v) for n in ISSUE_TYPES]}
            for p in projects
        ]})

    async def createmeta_issuetypes(self, request: web.Request) -> web.Response:
        if self.state.find_project(request.match_info["project"]) is None:
            raise JiraError(404, "Project not found")
        v = self._v(request)
        types = [self.r.issuetype(n, v) for n in ISSUE_TYPES]
        return web.json_response({"maxResults": 50, "startAt": 0, "total": len(types), "isLast": True,
                                  "values": types})

    # --- issues ----------------------------------------------------------------------------------------------

    async def create_issue(self, request: web.Request) -> web.Response:
        body = self._body(request)
        v = self._v(request)
        me = self._me(request)
        fields = body.get("fields")
        if not isinstance(fields, dict):
            raise JiraError(400, "Issue must have a 'fields' object")
        missing: dict[str, str] = {}
        if "project" not in fields:
            missing["project"] = "Specify a valid project ID or key"
        if "issuetype" not in fields:
            missing["issuetype"] = "Specify an issue type"
        if not fields.get("summary"):
            missing["summary"] = "You must specify a summary of the issue."
        try:
            values = self._parse_fields(fields, v, creating=True)
        except JiraError as e:
            raise JiraError(400, errors={**missing, **e.errors}) from None
        if missing:
            raise JiraError(400, errors=missing)
        props = body.get("properties") or []
        properties = {}
        for p in props:
            if not isinstance(p, dict) or "key" not in p:
                raise JiraError(400, "Property must have a key")
            self._check_property(str(p["key"]), json.dumps(p.get("value")).encode())
            properties[str(p["key"])] = p.get("value")
        custom = {k: val for k, val in values.items() if k.startswith("customfield_")}
        issue = self.state.create_issue(
            values["project"],
            values["summary"],
            description=values.get("description"),
            issuetype=values["issuetype"],
            priority=values.get("priority") or "Medium",
            labels=values.get("labels") or [],
            assignee=values.get("assignee"),
            reporter=values.get("reporter") or me.email,
            duedate=values.get("duedate"),
            properties=properties,
            custom=custom,
        )
        update = body.get("update")
        if isinstance(update, dict) and update:
            self._apply_update_ops(issue, update, me, v)
        return web.json_response({"id": issue["id"], "key": issue["key"], "self": self.r.api(
            v, f"issue/{issue['id']}")}, status=201)

    async def get_issue(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        return web.json_response(self.r.issue(
            issue, self._v(request), fields=self._list_param(request, "fields"),
            properties=self._list_param(request, "properties"),
        ))

    async def edit_issue(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        body = self._body(request)
        v = self._v(request)
        fields = body.get("fields") or {}
        update = body.get("update") or {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise JiraError(400, "Can not deserialize 'fields' or 'update'")
        both = set(fields) & set(update)
        if both:
            name = sorted(both)[0]
            raise JiraError(400, errors={name: f"Field '{name}' cannot be set in both 'fields' and 'update'."})
        values = self._parse_fields(fields, v, creating=False)
        for name, value in values.items():
            if name in ("assignee", "reporter") and value:
                self.state.add_user(value)
            issue["fields"][name] = value
        self._apply_update_ops(issue, update, self._me(request), v)
        for p in body.get("properties") or []:
            if isinstance(p, dict) and "key" in p:
                issue["properties"][str(p["key"])] = p.get("value")
        self.state.touch(issue)
        if request.query.get("returnIssue") == "true":
            return web.json_response(self.r.issue(issue, v))
        return web.Response(status=204)

    async def delete_issue(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        del self.state.issues[issue["key"]]
        return web.Response(status=204)

    async def assign(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        body = self._body(request)
        self.state.set_assignee(issue, self._user_ref(body, "assignee"))
        return web.Response(status=204)

    async def comments(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        start = self._int(request.query.get("startAt"), "startAt", 0)
        limit = min(self._int(request.query.get("maxResults"), "maxResults", 5000), 5000)
        newest = request.query.get("orderBy", "").lstrip("+") == "-created"
        return web.json_response(self.r.comments_page(issue, self._v(request), start, limit, newest))

    async def add_comment(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        body = self._body(request)
        v = self._v(request)
        comment = self.state.add_comment(issue, self._comment_body(body.get("body"), v), self._me(request).email)
        return web.json_response(self.r.comment(issue, comment, v), status=201)

    async def transitions(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        v = self._v(request)
        only = request.query.get("transitionId")
        expand = "transitions.fields" in (request.query.get("expand") or "").split(",")
        ids = [t for t in self._available(issue) if not only or t == only]
        return web.json_response({"expand": "transitions", "transitions": [
            self.r.transition(t, v, with_fields=expand) for t in ids]})

    def _available(self, issue: dict[str, Any]) -> list[str]:
        """Transitions offered from the issue's status: not to itself, not those an admin took out."""
        return [t for t, to in TRANSITIONS.items()
                if to != issue["fields"]["status"] and t not in self.state.removed_transitions]

    async def do_transition(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        body = self._body(request)
        v = self._v(request)
        me = self._me(request)
        tr = body.get("transition")
        tid = str(tr.get("id")) if isinstance(tr, dict) and tr.get("id") is not None else None
        if tid is None or tid not in self._available(issue):
            raise JiraError(400, f"Transition id '{tid}' is not valid for this issue.")
        fields = dict(body.get("fields") or {})
        missing = [f for f in self.state.required_on_transition.get(tid, []) if not fields.get(f)]
        if missing:
            raise JiraError(400, errors={f: f"{f.capitalize()} is required." for f in missing})
        resolution = None
        if "resolution" in fields:
            resolution = self._named(fields.pop("resolution"), RESOLUTIONS, "resolution",
                                     "Specify a valid resolution")
        values = self._parse_fields(fields, v, creating=False)
        update = body.get("update") or {}
        issue["fields"].update(values)
        self.state.set_status(issue, TRANSITIONS[tid], by=me.email, transition_id=tid, resolution=resolution)
        if isinstance(update, dict):
            self._apply_update_ops(issue, update, me, v)
        return web.Response(status=204)

    # --- properties ------------------------------------------------------------------------------------------

    @staticmethod
    def _check_property(key: str, raw: bytes) -> None:
        if len(key) > MAX_PROPERTY_KEY:
            raise JiraError(400, f"The property key cannot be longer than {MAX_PROPERTY_KEY} characters.")
        if len(raw) > MAX_PROPERTY_BYTES:
            raise JiraError(400, f"The property value cannot be longer than {MAX_PROPERTY_BYTES} bytes.")

    async def property_keys(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        v = self._v(request)
        return web.json_response({"keys": [
            {"self": self.r.api(v, f"issue/{issue['id']}/properties/{k}"), "key": k} for k in issue["properties"]
        ]})

    async def get_property(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        key = request.match_info["prop"]
        if key not in issue["properties"]:
            raise JiraError(404, f"The property with key '{key}' does not exist.")
        return web.json_response({"key": key, "value": issue["properties"][key]})

    async def put_property(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        key = request.match_info["prop"]
        raw = await request.read()
        self._check_property(key, raw)
        if request.get(keys.JSON_INVALID) or not raw.strip():
            raise JiraError(400, "The property value must be a valid JSON.")
        existed = key in issue["properties"]
        issue["properties"][key] = request[keys.JSON]
        return web.Response(status=200 if existed else 201)

    async def delete_property(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        key = request.match_info["prop"]
        if key not in issue["properties"]:
            raise JiraError(404, f"The property with key '{key}' does not exist.")
        del issue["properties"][key]
        return web.Response(status=204)

    # --- remote links ----------------------------------------------------------------------------------------

    async def remote_links(self, request: web.Request) -> web.Response:
        issue = self._issue(request)
        v = self._v(request)
        gid = request.query.get("globalId")
        links = [lk for lk in issue["remotelinks"] if not gid or lk.get("globalId") == gid]
        return web.json_response([
            {"id": lk["id"], "self": self.r.api(v, f"issue/{issue['key']}/remotelink/{lk['id']}"),
             **{k: val for k, val in lk.items() if k != "id"}} for lk in links
        ])

    async def add_remote_link(self, request: web.Request) -> web.Response:
        """POSTing a known `globalId` updates that link instead of adding one (Jira's idempotency hook)."""
        issue = self._issue(request)
        body = self._body(request)
        obj = body.get("object")
        if not isinstance(obj, dict) or not obj.get("url") or not obj.get("title"):
            raise JiraError(400, errors={"object": "'url' and 'title' are required for a remote link object."})
        gid = body.get("globalId")
        existing = next((lk for lk in issue["remotelinks"] if gid and lk.get("globalId") == gid), None)
        data = {k: body[k] for k in ("globalId", "application", "relationship", "object") if k in body}
        if existing:
            existing.update(data)
            link, status = existing, 200
        else:
            link = {"id": self.state.next_link_id(), **data}
            issue["remotelinks"].append(link)
            status = 201
        self.state.touch(issue)
        v = self._v(request)
        return web.json_response({"id": link["id"], "self": self.r.api(
            v, f"issue/{issue['key']}/remotelink/{link['id']}")}, status=status)

    # --- search ----------------------------------------------------------------------------------------------

    def _search_args(self, request: web.Request) -> dict[str, Any]:
        if request.method == "POST":
            body = self._body(request)

            def as_list(x: Any) -> list[str] | None:
                if x is None:
                    return None
                items = x if isinstance(x, list) else [x]
                return [p.strip() for i in items for p in str(i).split(",") if p.strip()]

            return {"jql": body.get("jql") or "", "startAt": body.get("startAt"),
                    "maxResults": body.get("maxResults"), "fields": as_list(body.get("fields")),
                    "properties": as_list(body.get("properties")), "nextPageToken": body.get("nextPageToken")}
        q = request.query
        return {"jql": q.get("jql", ""), "startAt": q.get("startAt"), "maxResults": q.get("maxResults"),
                "fields": self._list_param(request, "fields"), "properties": self._list_param(request, "properties"),
                "nextPageToken": q.get("nextPageToken")}

    async def search(self, request: web.Request) -> web.Response:
        """Server/DC search with startAt/total. On Cloud this endpoint is gone (410)."""
        if self.cloud:
            raise JiraError(410, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql "
                            "API. A full migration guideline is available at "
                            "https://developer.atlassian.com/changelog/#CHANGE-2046")
        args = self._search_args(request)
        hits = self._search(request).run(args["jql"])
        start = max(self._int(args["startAt"], "startAt", 0), 0)
        limit = min(max(self._int(args["maxResults"], "maxResults", 50), 0), self.search_cap)
        v = self._v(request)
        page = hits[start:start + limit]
        return web.json_response({
            "expand": "schema,names", "startAt": start, "maxResults": limit, "total": len(hits),
            "issues": [self.r.issue(i, v, fields=args["fields"], default_fields="*navigable",
                                    properties=args["properties"]) for i in page],
        })

    @staticmethod
    def _token(offset: int, jql: str) -> str:
        raw = json.dumps({"o": offset, "q": hashlib.sha1(jql.encode()).hexdigest()[:12]})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def _untoken(token: str, jql: str) -> int:
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if data["q"] != hashlib.sha1(jql.encode()).hexdigest()[:12]:
                raise ValueError
            return int(data["o"])
        except (ValueError, KeyError, TypeError):
            raise JiraError(400, "The provided next page token is invalid or expired.") from None

    async def search_jql(self, request: web.Request) -> web.Response:
        """Cloud's enhanced search: nextPageToken/isLast, no total, only ids unless `fields` is given."""
        if not self.cloud:
            raise web.HTTPNotFound()
        args = self._search_args(request)
        jql = args["jql"]
        hits = self._search(request).run(jql, require_bound=True)
        limit = self._int(args["maxResults"], "maxResults", 50)
        limit = 50 if limit <= 0 else min(limit, self.search_cap)
        offset = self._untoken(args["nextPageToken"], jql) if args["nextPageToken"] else 0
        page = hits[offset:offset + limit]
        v = self._v(request)
        fields = [f for f in (args["fields"] or []) if f not in ("id", "issuekey", "key")]
        if not fields and not args["properties"]:
            issues = [{"id": i["id"]} for i in page]
        else:
            # only properties asked for: a field list that selects nothing
            issues = [self.r.issue(i, v, fields=fields or ["-*"], default_fields="*navigable",
                                   properties=args["properties"]) for i in page]
        out: dict[str, Any] = {"issues": issues}
        if offset + limit < len(hits):
            out["nextPageToken"] = self._token(offset + limit, jql)
            out["isLast"] = False
        else:
            out["isLast"] = True
        return web.json_response(out)

    async def approximate_count(self, request: web.Request) -> web.Response:
        if not self.cloud:
            raise web.HTTPNotFound()
        body = self._body(request)
        hits = self._search(request).run(str(body.get("jql") or ""), require_bound=True)
        return web.json_response({"count": len(hits)})
