"""`/oneteam help`: what OneTeam can do, in the caller's language."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.caller import caller
from bot.help import help_view
from bot.sync.service import list_actions
from handlers import jira
from handlers.actors import actor

COMMANDS = ("/oneteam",)


def register(app: AsyncApp) -> None:
    app.command("/oneteam")(oneteam)


async def oneteam(ack: AsyncAck, body: dict, command: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    text = (command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    if word == "jira":  # subscriptions of a team's channel
        await jira.oneteam_jira(ack, command, context, respond)
        return
    if word.lower() == "actions":  # the weekly sync's open action items
        await ack()
        listing = await list_actions(context["services"], actor(body, context),
                                     context["t"], rest.strip() or None)
        await respond(text=listing.text, blocks=listing.blocks, response_type="ephemeral")
        return
    view = help_view(context["t"], await caller(context), unknown=None if text in ("", "help") else text)
    await ack(text=view.text, blocks=view.blocks, response_type="ephemeral")
