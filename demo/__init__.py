"""`oneteam demo`: a scripted week against the local sandbox, printing what each person saw.

Each feature adds a scene (`async def scene(stage)`) to `SCENES`; a scene drives the real bot through
the signed-request driver, moves the fake clock, prints screens and checks that they are right.
"""

from __future__ import annotations

import textwrap
from collections.abc import Awaitable, Callable
from typing import Any

import click

from bot.blocks import as_seen
from demo.checkins import scene as checkins_scene
from demo.digest import scene as digest_scene
from demo.escalations import scene as escalations_scene
from demo.jira import scene as jira_scene
from demo.pulse import scene as pulse_scene
from demo.sla import scene as sla_scene
from demo.sync import scene as sync_scene
from sandbox.harness import Harness
from sandbox.slack import text_of


class Stage:
    """What a scene works with: the harness (sandbox, bot, driver, clock) and printing helpers."""

    def __init__(self, harness: Any) -> None:
        self.h = harness
        self.failures: list[str] = []
        self._shown: set[tuple[str, str, bool]] = set()  # messages already printed, or older than the scene

    def title(self, text: str) -> None:
        """Starts a scene: what people received before it is not news any more."""
        self._shown |= {self._key(m) for m in self._everything()}
        click.secho(f"\n== {text} ==", bold=True)

    def narrate(self, text: str) -> None:
        click.echo(textwrap.fill(text, 100))

    def screen(self, who: str, what: str, body: str) -> None:
        click.secho(f"  [{who} sees {what}]", fg="cyan")
        click.echo(textwrap.indent(as_seen(body).strip() or "(empty)", "    "))

    def check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
            click.secho(f"  ✗ {what}", fg="red")
        else:
            click.secho(f"  ✓ {what}", fg="green")
        return ok

    def name(self, email: str) -> str:
        person = self.h.spec.person(email)
        return person.name if person else email

    @staticmethod
    def visible(message: Any) -> str:
        """What a person reads: the blocks when there are any (the `text` is only their fallback)."""
        blocks = message.get("blocks")
        return text_of({"blocks": blocks} if blocks else {"text": message.get("text") or ""})

    def show(self, who: str, what: str, message: Any) -> None:
        """Prints one message as `who` sees it, once."""
        self._shown.add(self._key(message))
        self.screen(who, what, self.visible(message))

    def show_new(self, email: str) -> list[Any]:
        """Prints the DMs and ephemerals this person got that this scene has not shown yet; returns them."""
        user = self.h.user(email)
        new: list[Any] = []
        for kind, messages in (("a DM", self.h.sandbox.dms(user)),
                               ("an ephemeral message", self.h.sandbox.ephemerals(user))):
            for message in messages:
                if self._key(message) not in self._shown:
                    self.show(self.name(email), kind, message)
                    new.append(message)
        return new

    @staticmethod
    def _key(message: Any) -> tuple[str, str, bool]:
        return message.channel, message.ts, message.ephemeral

    def _everything(self) -> list[Any]:
        sandbox = self.h.sandbox
        return [m for user in self.h.users.values() for m in (*sandbox.dms(user), *sandbox.ephemerals(user))]


Scene = Callable[[Stage], Awaitable[None]]


async def help_scene(stage: Stage) -> None:
    stage.title("The org is loaded and people ask OneTeam for help")
    report = stage.h.apply_report
    stage.narrate(f"`oneteam org apply examples/org.yml` created {len(report.created)} records "
                  f"({len(stage.h.spec.teams)} teams, {len(stage.h.spec.people)} people); "
                  f"vendor staff were found in Slack by email.")
    stage.check(not report.warnings, "every person in the org file was found in Slack")
    for email, expect in (("sam@acme.example", "OneTeam: one rhythm"), ("minji@hanabpo.example", "내부 팀")):
        ack = await stage.h.command(email, "/oneteam", "help")
        stage.screen(stage.name(email), "an ephemeral answer to /oneteam help", stage.visible(ack.body or {}))
        stage.check(ack.status == 200 and expect in text_of(ack.body),
                    f"{stage.name(email)} got help in their language")


# The digest stays last.
SCENES: tuple[Scene, ...] = (help_scene, checkins_scene, escalations_scene, sla_scene, jira_scene, pulse_scene,
                             sync_scene, digest_scene)


async def run_demo() -> int:
    """Runs every scene; 0 when all checks passed."""
    from bot import logs

    logs.configure("ERROR")  # the scenes inject faults on purpose; their warnings would only be noise here
    async with Harness(jira="cloud") as harness:
        click.secho("OneTeam demo: a local sandbox Slack workspace, the real bot over loopback, a fake clock.",
                    bold=True)
        stage = Stage(harness)
        for scene in SCENES:
            await scene(stage)
    if stage.failures:
        click.secho(f"\n{len(stage.failures)} check(s) failed: " + "; ".join(stage.failures), fg="red")
        return 1
    click.secho("\nDemo finished: every check passed.", fg="green", bold=True)
    return 0
