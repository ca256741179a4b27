"""`/kudos`, the "Say thanks for this" message shortcut, the give modal, and "Thank" on a resolved escalation."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UserFacingError
from bot.escalations.ids import Action as EscalationAction
from bot.kudos import blocks, service
from bot.kudos.ids import WHERE_PRIVATE, Block, Shortcut, View
from handlers.actors import actor

COMMANDS = ("/kudos",)


def register(app: AsyncApp) -> None:
    app.command("/kudos")(kudos)
    app.shortcut(Shortcut.THANK_MESSAGE)(thank_message)
    app.action(EscalationAction.THANK)(thank_resolvers)
    app.view(View.GIVE)(give_submitted)


async def kudos(ack: AsyncAck, body: dict, command: dict, context: AsyncBoltContext, respond: AsyncRespond,
                client: AsyncWebClient) -> None:
    t = context["t"]
    text = (command.get("text") or "").strip()
    if text == "help":
        await ack(text=t("kudos.usage"), response_type="ephemeral")
        return
    if not text:
        await ack()
        source = {"typed_in": str(command.get("channel_id") or "")}  # picks the team when it is a team channel
        await client.views_open(trigger_id=command["trigger_id"], view=blocks.give_modal(t, source=source))
        return
    try:
        request = service.parse_command(text, command.get("channel_id"))
    except UserFacingError as err:
        await ack(text=t(err.key, **err.params), response_type="ephemeral")
        return
    await ack()
    given = await service.give(context["services"], actor(body, context), request)
    await respond(text=blocks.confirmation(t, len(given.recipients), given.channel_id), response_type="ephemeral")


async def thank_message(ack: AsyncAck, body: dict, context: AsyncBoltContext, client: AsyncWebClient) -> None:
    await ack()
    message, channel = body.get("message") or {}, body.get("channel") or {}
    view = await service.message_modal(context["services"], actor(body, context), context["t"],
                                       str(channel.get("id") or ""), str(message.get("ts") or ""),
                                       message.get("user"))
    await client.views_open(trigger_id=body["trigger_id"], view=view)


async def thank_resolvers(ack: AsyncAck, body: dict, context: AsyncBoltContext, client: AsyncWebClient) -> None:
    await ack()
    value = str((body.get("actions") or [{}])[0].get("value") or "")
    if not value.isdigit():
        raise UserFacingError("escalations.errors.not_found")
    view = await service.resolvers_modal(context["services"], actor(body, context), context["t"], int(value))
    await client.views_open(trigger_id=body["trigger_id"], view=view)


def _state(view: dict, block_id: str) -> dict[str, Any]:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    return next(iter(state.values()), {})


def _meta(view: dict) -> dict[str, str]:
    """What the modal claims it was opened from (a message, an escalation); the server looks each up again."""
    try:
        meta: Any = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in meta.items() if isinstance(v, str)} if isinstance(meta, dict) else {}


async def give_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext,
                         client: AsyncWebClient) -> None:
    services, t = context["services"], context["t"]
    where = (_state(view, Block.WHERE).get("selected_option") or {}).get("value")
    meta = _meta(view)
    request = service.KudosRequest(
        recipients=tuple(u for u in _state(view, Block.RECIPIENTS).get("selected_users") or [] if isinstance(u, str)),
        reason=str(_state(view, Block.REASON).get("value") or ""), public=where != WHERE_PRIVATE)
    try:
        await service.check(services, actor(body, context), request)
    except UserFacingError as err:
        await ack(response_action="errors", errors={err.block_id or Block.REASON.value: t(err.key, **err.params)})
        return
    await ack()
    if meta.get("channel") and meta.get("ts"):
        request = replace(request, link=await service.permalink(services, meta["channel"], meta["ts"]),
                          channel_id=meta["channel"])
    elif meta.get("typed_in"):
        request = replace(request, channel_id=meta["typed_in"])
    elif meta.get("escalation", "").isdigit():
        request = replace(request, team_id=await service.escalation_team(services, int(meta["escalation"])))
    given = await service.give(services, actor(body, context), request)
    await client.chat_postMessage(channel=context.user_id or "",
                                  text=blocks.confirmation(t, len(given.recipients), given.channel_id))
