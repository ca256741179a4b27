"""`oneteam jira list|retry|drop`: an admin's hands on the Jira outbox. The running bot's outbox job does
the actual retry; these commands only change the queue in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bot.services import Services


def _run(action: Callable[[Services], Awaitable[Any]]) -> Any:
    """Runs `action` with the services the `oneteam` group built at the composition root (its click context
    object): a feature does not import that root itself."""
    build_services: Callable[[], Services] = click.get_current_context().find_root().obj

    async def go() -> Any:
        services = build_services()
        await services.db.migrate()
        try:
            return await action(services)
        finally:
            if (adapter := services.extras.get("jira")) is not None:
                await adapter.close()
            await services.db.dispose()

    return asyncio.run(go())


@click.group("jira")
def jira_cli() -> None:
    """Jira writes that have not reached Jira yet (pending, failed): list, retry or drop them."""


@jira_cli.command("list")
def list_items() -> None:
    """Show queued Jira writes with their state, attempts and last error."""
    from bot.jira import outbox

    rows = _run(outbox.listing)
    for item, link in rows:
        click.echo(f"{item.id}\t{item.state}\t{link.origin} {link.origin_ref or link.origin_id}\t"
                   f"attempts={item.attempts}\tnext={item.next_at:%Y-%m-%d %H:%M}Z\t{item.last_error or ''}")
    if not rows:
        click.echo("the Jira outbox is empty")


@jira_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "everything", is_flag=True, help="Retry every pending or failed write.")
def retry(ids: tuple[int, ...], everything: bool) -> None:
    """Make the given writes (or --all) due now, failed ones included."""
    from bot.jira import outbox

    if not ids and not everything:
        raise click.UsageError("give the ids to retry (see `oneteam jira list`) or --all")
    done = _run(lambda s: outbox.retry(s, None if everything else list(ids)))
    click.echo(f"due now: {', '.join(map(str, done))}" if done else "nothing to retry")


@jira_cli.command("drop")
@click.argument("ids", nargs=-1, type=int, required=True)
def drop(ids: tuple[int, ...]) -> None:
    """Give up on the given writes: they will never be sent."""
    from bot.jira import outbox

    done = _run(lambda s: outbox.drop(s, list(ids)))
    click.echo(f"dropped: {', '.join(map(str, done))}" if done else "nothing dropped")
