"""`JiraSandbox`: a stateful Jira Cloud or Server/DC REST emulator on loopback, for tests, benchmarks and the
demo. The real `jira` library and plain HTTP clients talk to it as they would to Jira.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

from . import keys
from .adf import adf_to_text, is_adf, text_to_adf
from .api import JiraApi
from .errors import JiraError
from .faults import Fault, Faults, RequestLog
from .query import Search
from .render import Renderer
from .state import DEFAULT_ISSUE_TYPE, DEFAULT_PRIORITY, TRANSITIONS, JiraState, User

Handler = Callable[[web.Request], Any]
_MUTATING = frozenset({"POST", "PUT", "DELETE"})
_MAX_HANG_SECONDS = 300.0


class JiraSandbox:
    """A local Jira. `flavor="cloud"` serves REST v2+v3 with Basic user:token auth and `search/jql`;
    `flavor="server"` serves v2 only with Bearer PAT auth and startAt/total search.

    Seeding helpers (`create_issue`, `set_status`, ...) bypass HTTP and simulate people working in Jira;
    `inject*` make the next matching requests fail; `requests` records every request.
    """

    def __init__(
        self,
        *,
        flavor: Literal["cloud", "server"] = "cloud",
        user: str = "bot@example.com",
        token: str = "jira-sandbox-token",
        projects: Iterable[str] = ("OPS",),
        clock: Callable[[], datetime] | None = None,
        indexed_properties: Collection[str] | None = None,
        search_cap: int | None = None,
    ) -> None:
        if flavor not in ("cloud", "server"):
            raise ValueError(f"flavor must be 'cloud' or 'server', not {flavor!r}")
        self.flavor = flavor
        self.cloud = flavor == "cloud"
        self.token = token
        self.state = JiraState(clock or (lambda: datetime.now(UTC)))
        self.bot: User = self.state.add_user(user, "OneTeam Bot")
        for key in projects:
            self.state.add_project(key)
        self.url = ""
        self.requests: list[RequestLog] = []
        self.faults = Faults()
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()
        self._renderer = Renderer(self.state, lambda: self.url, self.cloud)
        self._api = JiraApi(
            self.state,
            self._renderer,
            cloud=self.cloud,
            indexed_properties=frozenset(indexed_properties) if indexed_properties is not None else None,
            search_cap=search_cap or (100 if self.cloud else 1000),
        )

    # --- lifecycle -------------------------------------------------------------------------------------------

    @property
    def issues(self) -> dict[str, dict[str, Any]]:
        return self.state.issues

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(self._api.routes())
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._release = asyncio.Event()
        self._runner = web.AppRunner(self.make_app(), handle_signals=False, access_log=None,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        self._release.set()  # let held-back responses finish so shutdown does not wait on them
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> JiraSandbox:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- seeding: what people do in Jira ---------------------------------------------------------------------

    def add_project(self, key: str, name: str | None = None) -> None:
        self.state.add_project(key, name)

    def add_user(self, email: str, display_name: str | None = None) -> str:
        """Register a Jira user; returns the accountId (Cloud) the REST API uses for them."""
        return self.state.add_user(email, display_name).account_id

    def account_id(self, email: str) -> str:
        return self.state.add_user(email).account_id

    def create_issue(
        self,
        project: str,
        summary: str,
        *,
        status: str = "To Do",
        assignee_email: str | None = None,
        reporter_email: str | None = None,
        updated: datetime | None = None,
        created: datetime | None = None,
        description: str | dict[str, Any] | None = None,
        labels: Iterable[str] = (),
        priority: str = DEFAULT_PRIORITY,
        issuetype: str = DEFAULT_ISSUE_TYPE,
        properties: dict[str, Any] | None = None,
    ) -> str:
        """Seed an issue without HTTP; returns its key. `description` may be text or an ADF doc."""
        if self.state.find_project(project) is None:
            self.state.add_project(project)
        desc = description if description is None or is_adf(description) else text_to_adf(str(description))
        issue = self.state.create_issue(
            project, summary, description=desc, issuetype=issuetype, priority=priority, labels=list(labels),
            status=status, assignee=assignee_email, reporter=reporter_email or "reporter@example.com",
            properties=properties, created=created, updated=updated,
        )
        return issue["key"]

    def set_status(self, key: str, status_name: str) -> None:
        self.state.set_status(self.state.get_issue(key), status_name, by="human@example.com")

    def remove_transition(self, to_status: str) -> None:
        """An admin takes the transition into `to_status` out of the workflow (it is no longer offered)."""
        self.state.removed_transitions |= {t for t, to in TRANSITIONS.items() if to == to_status}

    def require_on_transition(self, to_status: str, *fields: str) -> None:
        """The transition into `to_status` gets a screen requiring `fields` (Data Center's "Done" asks for
        the resolution): a POST without them is answered 400 with `errors` naming each."""
        for t, to in TRANSITIONS.items():
            if to == to_status:
                self.state.required_on_transition[t] = list(fields)

    def comments_of(self, key: str) -> list[str]:
        """The plain text of an issue's comments, oldest first (what a person reads in Jira)."""
        return [adf_to_text(c["body"]) for c in self.state.get_issue(key)["comments"]]

    def set_assignee(self, key: str, email: str | None) -> None:
        self.state.set_assignee(self.state.get_issue(key), email)

    def resolve(self, key: str, resolution: str = "Done") -> None:
        self.state.set_status(self.state.get_issue(key), "Done", by="human@example.com", resolution=resolution)

    def add_comment(self, key: str, body: str, author_email: str = "human@example.com") -> str:
        """A person comments; returns the comment id."""
        self.state.add_user(author_email)
        return self.state.add_comment(self.state.get_issue(key), text_to_adf(body), author_email.lower())["id"]

    def set_property(self, key: str, prop: str, value: Any) -> None:
        self.state.get_issue(key)["properties"][prop] = value

    def search(self, jql: str) -> list[str]:
        """Keys the JQL matches, in result order, as the bot's user sees them (no HTTP, no paging)."""
        return [i["key"] for i in Search(self.state, self.bot, self._api.indexed_properties).run(jql)]

    def status_of(self, key: str) -> str:
        return self.state.get_issue(key)["fields"]["status"]

    # --- faults ----------------------------------------------------------------------------------------------

    def inject(
        self,
        status: int,
        *,
        times: int = 1,
        path_contains: str | None = None,
        retry_after: int | None = None,
        method: str | None = None,
    ) -> None:
        """The next `times` matching requests are answered with `status` (and `Retry-After` if given)
        without touching state."""
        methods = frozenset({method.upper()}) if method else None
        self.faults.status_faults.append(Fault(status, times, path_contains, retry_after, methods))

    def inject_timeout_after_commit(
        self, path_contains: str = "/issue", times: int = 1, methods: Iterable[str] = _MUTATING
    ) -> None:
        """The next `times` matching writes are applied, but their responses are held back until the
        client gives up (or the sandbox stops): the classic "did my create happen?" case."""
        ms = frozenset(m.upper() for m in methods)
        self.faults.hang_faults.append(Fault(None, times, path_contains, None, ms))

    def count(self, path_contains: str = "", method: str | None = None) -> int:
        """How many logged requests match (for benchmarks and assertions)."""
        return sum(1 for r in self.requests
                   if path_contains in r.path and (method is None or r.method == method.upper()))

    # --- middleware ------------------------------------------------------------------------------------------

    def _authenticate(self, request: web.Request) -> User | None:
        """The bot's user, None when anonymous; 401 for wrong credentials."""
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _, cred = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(cred).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, secret = "", ""
            if user.lower() in (self.bot.email, self.bot.name) and secret == self.token:
                return self.bot
        elif scheme.lower() == "bearer" and not self.cloud and cred == self.token:
            return self.bot
        raise JiraError(
            401, "You are not authenticated. Authentication required to perform this operation.",
            headers={"WWW-Authenticate": 'Basic realm="protected-area"' if self.cloud else "Bearer",
                     "X-Seraph-LoginReason": "AUTHENTICATED_FAILED"},
        )

    def _version(self, request: web.Request) -> int:
        raw = request.match_info.get("v", "")
        allowed = {"2": 2, "latest": 2, "3": 3} if self.cloud else {"2": 2, "latest": 2}
        if raw not in allowed:
            raise JiraError(404, f"null for uri: {request.url}")
        return allowed[raw]

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                request[keys.JSON_INVALID] = True
        request[keys.JSON] = body
        entry = RequestLog(
            method=request.method,
            path=request.path,
            query={k: ",".join(request.query.getall(k)) for k in request.query},
            at=time.monotonic(),
            body=body,
            connection=peer[1] if (peer := request.transport and request.transport.get_extra_info("peername"))
            else None,
        )
        self.requests.append(entry)
        hang = False
        try:
            fault = self.faults.take(self.faults.status_faults, request.method, request.path)
            if fault is not None:
                entry.injected = True
                response: web.StreamResponse = _injected_response(fault)
            else:
                request[keys.API_VERSION] = self._version(request)
                me = self._authenticate(request)
                if me is None and not request.path.endswith("/serverInfo"):
                    raise JiraError(401, "You are not authenticated. Authentication required to perform this "
                                    "operation.")
                request[keys.ME] = me or self.bot
                hang = self.faults.take(self.faults.hang_faults, request.method, request.path) is not None
                response = await handler(request)
        except JiraError as e:
            response = e.response()
        except web.HTTPNotFound:
            response = JiraError(404, f"null for uri: {request.url}").response()
        except web.HTTPException as e:
            entry.status = e.status
            raise
        entry.status = response.status
        if hang:
            entry.hung = True
            try:
                await asyncio.wait_for(self._release.wait(), _MAX_HANG_SECONDS)
            except TimeoutError:
                pass
        return response


def _injected_response(fault: Fault) -> web.Response:
    status = fault.status or 503
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    message = {429: "Rate limit exceeded.", 503: "Service Unavailable"}.get(status, "Injected failure")
    return web.json_response({"errorMessages": [message], "errors": {}}, status=status, headers=headers)
