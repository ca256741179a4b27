"""`oneteam digest`: the same digest managers get in Slack, as Markdown in the terminal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import click

from bot import calendar
from bot.digest import render
from bot.digest.service import digest_for
from bot.i18n import translator
from bot.services import Services


async def print_digest(build_services: Callable[[], Services], team_key: str, week: str | None,
                       png: Path | None) -> None:
    """`build_services` comes from the CLI's composition root (a feature does not import it)."""
    from storage.org import active_teams

    t = translator("en")
    if week is not None and not calendar.is_week(week):
        raise click.ClickException(t.plain("digest.cli.bad_week", week=week))
    services = build_services()
    try:
        if services.db.is_sqlite:
            await services.db.migrate()
        try:
            digest, chart = await digest_for(services, team_key, calendar.normalise(week) if week else None, "en")
        except LookupError:
            async with services.sessions() as session:
                keys = ", ".join(team.key for team in await active_teams(session))
            raise click.ClickException(t.plain("digest.cli.unknown_team", team=team_key, teams=keys)) from None
    finally:
        await services.db.dispose()
    click.echo(render.markdown(digest))
    if png is not None:
        if chart is None:
            click.echo(t.plain("digest.cli.no_chart"), err=True)
        else:
            await asyncio.to_thread(png.write_bytes, chart)
            click.echo(t.plain("digest.cli.chart_written", path=png), err=True)
