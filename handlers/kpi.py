"""`/kpi`: liaisons and managers see and record a vendor team's KPIs."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.caller import caller
from bot.kpi.commands import run_kpi_command

COMMANDS = ("/kpi",)


def register(app: AsyncApp) -> None:
    app.command("/kpi")(kpi)


async def kpi(ack: AsyncAck, command: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    answer = await run_kpi_command(context["services"], await caller(context), command.get("text") or "", context["t"])
    await respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral", replace_original=False)
