"""The "Create Jira ticket" buttons on the escalation card and on a check-in blocker DM."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.app import tell_privately
from bot.blocks import link
from bot.caller import caller
from bot.errors import UserFacingError
from bot.jira import service
from bot.jira.ids import Action

COMMANDS: tuple[str, ...] = ()


def register(app: AsyncApp) -> None:
    app.action(Action.ESCALATION)(escalation_ticket)
    app.action(Action.BLOCKER)(blocker_ticket)


async def escalation_ticket(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    await _ticket(body, action, context, "escalation")


async def blocker_ticket(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    await _ticket(body, action, context, "blocker")


async def _ticket(body: dict, action: dict, context: AsyncBoltContext, origin: str) -> None:
    t = context["t"]
    if await caller(context) is None:
        raise UserFacingError("core.errors.not_in_org")
    try:
        origin_id = int(action.get("value") or "")
    except ValueError:
        raise UserFacingError("jira.errors.unknown") from None
    container = body.get("container") or {}
    result = await service.request_ticket(context["services"], origin, origin_id,
                                          channel_id=container.get("channel_id"),
                                          thread_ts=container.get("message_ts"))
    if result.key:
        text = t("jira.button.exists", issue=link(result.url or "", result.key))
    else:
        text = t("jira.button.requested")
    await tell_privately(context, body, text)
