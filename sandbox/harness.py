"""A running sandbox workspace + the real bot, wired together: what e2e tests, benchmarks and
`oneteam demo` start. Only base URLs and tokens differ from production."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from bot.clock import FakeClock
from bot.org.schema import OrgSpec
from bot.org.service import ApplyReport, apply_org
from bot.orgfile import load
from bot.server import BotServer, listener_tasks
from bot.services import Services
from bot.settings import Settings
from bot.wiring import build_services
from sandbox.driver import Ack, SlackDriver
from sandbox.jira import JiraSandbox
from sandbox.slack import RateLimits, SlackSandbox

EXAMPLE_ORG = Path(__file__).resolve().parent.parent / "examples" / "org.yml"
SIGNING_SECRET = "sandbox-signing-secret"
ONETEAM_SECRET = "sandbox-oneteam-secret"
SLACK_TIMEOUT = 2  # seconds: an injected "timeout" fault must not hold a test for Slack's 30 s
JIRA_TIMEOUT = 1.0  # seconds: a held-back Jira response times out quickly in tests
# Settings a test or bench process must not inherit from the shell that runs it (Socket Mode, another org, ...)
PROCESS_SETTINGS = ("SLACK_APP_TOKEN", "ONETEAM_ORG", "SLACK_RATE_SCALE", "JIRA_URL", "JIRA_USER", "JIRA_TOKEN")


def process_env(sandbox: SlackSandbox, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of an `oneteam run` process (HTTP mode) against `sandbox`: this one's, with the
    sandbox's tokens and `database_url`, the given `settings` (`ONETEAM_ORG="..."`), and none of the
    bot's own settings inherited that were not given (the process runs with the defaults)."""
    env = {k: v for k, v in os.environ.items() if k not in PROCESS_SETTINGS}
    return env | {"SLACK_BOT_TOKEN": sandbox.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                  "SLACK_API_URL": sandbox.base_url, "DATABASE_URL": database_url, **settings}


def populate_workspace(sandbox: SlackSandbox, spec: OrgSpec) -> dict[str, str]:
    """Creates a Slack user for every person (external orgs on their own team id) and every team
    channel; returns email -> Slack user id."""
    ids: dict[str, str] = {}
    for n, person in enumerate(spec.people, start=1):
        user_id = person.slack_id or f"U0EXT{n:03d}"
        sandbox.add_user(
            user_id, person.email.split("@")[0], email=person.email, real_name=person.name,
            tz=person.timezone or "UTC", locale=(person.locale or "en-US"),
            team_id="T0VENDOR" if person.external_org else None,
        )
        ids[person.email] = user_id
    for team in spec.teams:
        if team.channel:
            members = [ids[m.email] for m in team.members]
            sandbox.add_channel(team.channel, team.key, members=members,
                                is_ext_shared=any(spec.person(m.email).external_org for m in team.members))
    return ids


class Harness:
    """Start with `await Harness.start()`; stop with `await harness.stop()` (or `async with`)."""

    def __init__(self, *, org: OrgSpec | Path = EXAMPLE_ORG, database_url: str | None = None,
                 socket_mode: bool = False, clock: FakeClock | None = None,
                 rate_limits: RateLimits | None = None, scheduler: bool = False,
                 jira: Literal["cloud", "server"] | None = None, slack_rate_scale: float | None = None) -> None:
        self.spec = org if isinstance(org, OrgSpec) else load(org)
        self._tmp = tempfile.TemporaryDirectory(prefix="oneteam-")
        self.database_url = database_url or f"sqlite+aiosqlite:///{Path(self._tmp.name) / 'oneteam.db'}"
        self.socket_mode = socket_mode
        self.clock = clock or FakeClock()
        self.with_scheduler = scheduler
        # The bot's SLACK_RATE_SCALE: by default the limits this sandbox enforces (none: 0, not paced); a
        # benchmark whose untimed set-up runs with the limits off gives the default, 1.
        self.slack_rate_scale = slack_rate_scale
        # A sandbox Jira (on the same fake clock) with every team's `jira.project`, when asked for.
        self.jira: JiraSandbox | None = None
        if jira is not None:
            projects = sorted({t.jira.project for t in self.spec.teams if t.jira.project} or {"OPS"})
            self.jira = JiraSandbox(flavor=jira, projects=projects, clock=self.clock.now)
        self.sandbox = SlackSandbox(signing_secret=SIGNING_SECRET,
                                    rate_limits=rate_limits or RateLimits(enabled=False))
        self.users: dict[str, str] = {}
        self.services: Services | None = None
        self.server: BotServer | None = None
        self.instances: list[BotServer] = []  # added by `add_instance`
        self.driver: SlackDriver | None = None
        self.apply_report: ApplyReport | None = None

    @classmethod
    async def start_new(cls, **kwargs: Any) -> Harness:
        harness = cls(**kwargs)
        await harness.start()
        return harness

    async def __aenter__(self) -> Harness:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": self.sandbox.bot_token,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": self.sandbox.base_url,
            "database_url": self.database_url,
            "secret": ONETEAM_SECRET,
            "slack_timeout": SLACK_TIMEOUT,
            # the bot paces its background Slack calls below the limits this sandbox enforces
            "slack_rate_scale": (self.slack_rate_scale if self.slack_rate_scale is not None
                                 else self.sandbox.rate_limits.scale if self.sandbox.rate_limits.enabled else 0),
        }
        if self.socket_mode:
            values["slack_app_token"] = self.sandbox.app_token
        if self.jira is not None:
            values.update(jira_url=self.jira.url, jira_token=self.jira.token, jira_timeout=JIRA_TIMEOUT,
                          jira_user=self.jira.bot.email if self.jira.cloud else None)
        return Settings(_env_file=None, **values)

    async def start(self) -> None:
        await self.sandbox.start()
        if self.jira is not None:
            await self.jira.start()
        self.users = populate_workspace(self.sandbox, self.spec)
        await self.start_bot()
        self.apply_report = await apply_org(self.spec, self.services.sessions, self.services.directory)

    async def start_bot(self) -> None:
        """(Re)starts the bot on the same database, as a restarted process would."""
        self.services = build_services(self.settings(), clock=self.clock)
        await self.services.db.migrate()  # `oneteam migrate` on PostgreSQL; BotServer does it on SQLite
        self.server = BotServer(self.services, port=0, scheduler=self.with_scheduler)
        await self.server.start()
        if self.socket_mode:
            await self.sandbox.wait_socket_connected(timeout=5)
            self.driver = SlackDriver(self.sandbox, mode="socket")
        else:
            self.driver = SlackDriver(self.sandbox, bot_url=self.server.events_url)

    async def add_instance(self) -> tuple[Services, BotServer]:
        """One more bot process on the same database and workspace, as behind a load balancer."""
        services = build_services(self.settings(), clock=self.clock)
        server = BotServer(services, port=0, scheduler=False)
        await server.start()
        self.instances.append(server)
        return services, server

    async def stop_bot(self) -> None:
        while self.instances:
            await self.instances.pop().stop()
        if self.server is not None:
            await self.server.stop()
            self.server = None

    async def restart(self) -> None:
        await self.stop_bot()
        await self.start_bot()

    async def stop(self) -> None:
        await self.stop_bot()
        await self.sandbox.stop()
        if self.jira is not None:
            await self.jira.stop()
        self._tmp.cleanup()

    async def settle(self, limit: float = 10.0) -> None:
        """Waits until the bot has finished the work it started after acking (no sleeping on timers)."""
        while tasks := listener_tasks() + list(self.services.background):
            _, pending = await asyncio.wait(tasks, timeout=limit)
            if pending:
                raise TimeoutError(f"{len(pending)} listener task(s) still running after {limit}s")

    def user(self, email: str) -> str:
        """Slack user id of a person in the org file."""
        return self.users[email]

    async def command(self, email: str, command: str, text: str = "", **kwargs: Any) -> Ack:
        return await self.driver.slash(self.user(email), command, text, **kwargs)
