"""The `oneteam` command line."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import click

from bot import __version__
from bot.jira.cli import jira_cli
from bot.org.loader import OrgFileError
from bot.orgfile import load, parse_file
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("oneteam.cli")

NO_TOKENS = (
    "OneTeam needs Slack credentials to connect to a real workspace. Set SLACK_BOT_TOKEN (xoxb-...) and "
    "either SLACK_APP_TOKEN (xapp-..., Socket Mode, no public URL needed) or SLACK_SIGNING_SECRET (HTTP "
    "mode, Slack posts to https://<your host>/slack/events), in the environment or in a .env file; "
    "README.md shows how to create the Slack app from manifest.yml. To try OneTeam without Slack, run "
    "`oneteam demo`: it starts a local sandbox workspace and plays a short scenario."
)

NO_DEMO = (
    "`oneteam demo` runs from a source checkout: the installed package ships neither the demo nor the local "
    "sandbox it plays against. Clone the repository and run `pip install -e '.[dev]'` there, then `oneteam demo`."
)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _build_services() -> Services:
    """The services for a one-off command (`digest`, `jira`), built at the composition root: a feature's
    sub-command gets this from the click context instead of importing the root itself."""
    from bot.wiring import build_services

    return build_services(_settings())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="oneteam")
@click.pass_context
def main(ctx: click.Context) -> None:
    """OneTeam: weekly check-ins, escalations, KPIs and pulse surveys for an outsourced team, in Slack.

    Configuration comes from the environment or a .env file (see README.md).
    """
    ctx.obj = _build_services


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="HTTP mode: address to listen on.")
@click.option("--port", default=3000, show_default=True, type=int, help="HTTP mode: port to listen on.")
@click.option("--apply-org", is_flag=True, help="Apply the org file even if it is unchanged since the last apply.")
def run(host: str, port: int, apply_org: bool) -> None:
    """Connect to Slack and run the bot until SIGTERM or Ctrl-C.

    Socket Mode when SLACK_APP_TOKEN is set, otherwise an HTTP server taking Slack's signed requests at
    /slack/events (health check at /healthz). The org file in ONETEAM_ORG is applied at start when it
    changed since it was last applied (or with --apply-org).
    """
    from bot import logs
    from bot.memory import limit_malloc_arenas

    settings = _settings()
    if settings.slack_bot_token is None or not (settings.slack_app_token or settings.slack_signing_secret):
        click.echo(NO_TOKENS, err=True)
        sys.exit(2)
    logs.configure(settings.log_level)
    limit_malloc_arenas()  # before aiosqlite's connection threads exist (bot/memory.py says why)
    try:
        asyncio.run(_run(settings, host, port, force_org=apply_org))
    except OrgFileError as exc:
        raise click.ClickException(str(exc)) from None


async def _run(settings: Settings, host: str, port: int, *, force_org: bool = False) -> None:
    from bot.server import BotServer
    from bot.wiring import build_services

    org_file = settings.org_file
    content = org_file.read_bytes() if org_file else None  # a missing file stops us before we connect
    services = build_services(settings)
    server = BotServer(services, host=host, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        if org_file is not None and content is not None:
            await _apply_org_on_start(services, org_file, content, force=force_org)
    except OrgFileError:
        await server.stop()  # a bad file stops us
        raise
    await stop.wait()
    await server.stop()


async def _apply_org_on_start(services: Services, org_file: Path, content: bytes, *, force: bool) -> None:
    """Applies the org file unless the same file was applied last (`--apply-org` forces it)."""
    from bot.org.service import apply_on_start

    report = await apply_on_start(services, content, lambda: load(org_file), force=force)
    if report is not None:
        log.info("org applied", extra={"records_created": len(report.created), "records_changed": len(report.changed),
                                       "records_removed": len(report.removed), "warnings": report.warnings})


@main.command()
def demo() -> None:
    """Play a scripted week against a local sandbox Slack and Jira: no credentials needed.

    Starts the sandbox and the real bot over loopback, runs the scenario on a temporary database,
    prints what each person saw, and exits 0 when every step behaved.
    """
    run_demo = load_demo()
    sys.exit(asyncio.run(run_demo()))


def load_demo() -> Callable[[], Coroutine[Any, Any, int]]:
    """The dev-only demo and sandbox, loaded only when asked: they sit beside bot/ in a source checkout
    (an editable install maps only the shipped packages), and a wheel ships neither."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "demo" / "__init__.py").is_file() and str(checkout) not in sys.path:
        sys.path.append(str(checkout))
    try:
        from demo import run_demo
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("demo", "sandbox"):
            raise
        raise click.ClickException(NO_DEMO) from None
    return run_demo


@main.command()
def migrate() -> None:
    """Apply database migrations to DATABASE_URL (done automatically on start for SQLite)."""
    from storage.db import Database

    async def go() -> None:
        db = Database(_settings().database_url)
        await db.migrate()
        await db.dispose()

    asyncio.run(go())
    click.echo("database is up to date")


@main.group()
def org() -> None:
    """Validate or apply the org file (teams, vendors, people, roles, schedules, policies)."""


@org.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def org_validate(file: Path) -> None:
    """Check FILE and report every problem with its line number."""
    spec, problems = parse_file(file)
    for problem in problems:
        note = "deprecated: " if problem.deprecated else ""
        click.echo(f"{file}:{problem.line}: {note}{problem.message}", err=True)
    if spec is None:
        errors = [p for p in problems if not p.deprecated]
        raise click.ClickException(f"{len(errors)} problem(s) in {file}")
    click.echo(f"{file} is valid: {len(spec.teams)} teams, {len(spec.people)} people")


@org.command("schema")
def org_schema() -> None:
    """Print the org file's JSON Schema, for editors to autocomplete and check org.yml (see README)."""
    import json

    from bot.orgfile import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@org.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def org_apply(file: Path) -> None:
    """Apply FILE to the database: idempotent; prints what was created, changed and removed.

    People given only by email are looked up in Slack (users.lookupByEmail) when SLACK_BOT_TOKEN is set.
    """
    from bot.org.service import apply_file
    from bot.wiring import build_services

    try:
        content = file.read_bytes()
        spec = load(file)
    except OrgFileError as exc:
        raise click.ClickException(str(exc)) from None
    settings = _settings()

    async def go() -> None:
        services = build_services(settings)
        await services.db.migrate()
        report = await apply_file(services, spec, content)
        await services.db.dispose()
        for label, items in (("created", report.created), ("changed", report.changed),
                             ("removed", report.removed), ("warning", report.warnings)):
            for item in items:
                click.echo(f"{label}: {item}")
        if report.nothing_changed:
            click.echo("nothing changed")

    asyncio.run(go())


@main.command()
@click.option("--team", "team_key", required=True, help="Team key from the org file, e.g. care-hana.")
@click.option("--week", default=None, help="ISO week such as 2026-W47 (default: the week the last digest reviewed).")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the digest's chart (KPI and mood trends) to this PNG file.")
def digest(team_key: str, week: str | None, png: Path | None) -> None:
    """Print a team's weekly manager digest as Markdown: the same content managers get in Slack."""
    from bot.digest.cli import print_digest

    asyncio.run(print_digest(_build_services, team_key, week, png))


main.add_command(jira_cli)  # the `oneteam jira` group lives with its feature
