"""`/oneteam help`: what OneTeam can do, in the caller's language."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.caller import caller
from bot.help import help_view
from handlers import jira

COMMANDS = ("/oneteam",)


def register(app: AsyncApp) -> None:
    app.command("/oneteam")(oneteam)


async def oneteam(ack: AsyncAck, command: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    text = (command.get("text") or "").strip()
    if text.split()[:1] == ["jira"]:
        await jira.oneteam_jira(ack, command, context, respond)
        return
    view = help_view(context["t"], await caller(context), unknown=None if text in ("", "help") else text)
    await ack(text=view.text, blocks=view.blocks, response_type="ephemeral")
