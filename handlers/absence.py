"""`/oneteam away|back` (people set their own absence) and `/oneteam oncall|cover` (rotations); the rest of
`/oneteam` is help."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.absence.service import run_command
from bot.caller import caller

COMMANDS: tuple[str, ...] = ()  # `/oneteam` is declared by handlers.help
SUBCOMMANDS = ("away", "back", "oncall", "cover")


async def _is_absence(command: dict) -> bool:
    words = (command.get("text") or "").split()
    return bool(words) and words[0].lower() in SUBCOMMANDS


def register(app: AsyncApp) -> None:
    app.command("/oneteam", matchers=[_is_absence])(oneteam_away)


async def oneteam_away(ack: AsyncAck, command: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    answer = await run_command(context["services"], await caller(context), (command.get("text") or "").split(),
                               context["t"])
    await respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral", replace_original=False)
