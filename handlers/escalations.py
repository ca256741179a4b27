"""`/escalate`, the escalation card's buttons, the raise and resolve modals, the rating DM."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UserFacingError
from bot.escalations import blocks, service
from bot.escalations.ids import Action, Block, View
from handlers.actors import actor

COMMANDS = ("/escalate",)


def register(app: AsyncApp) -> None:
    app.command("/escalate")(escalate)
    app.action(Action.ACK)(acknowledge)
    app.action(Action.ESCALATE_NOW)(escalate_now)
    app.action(Action.REOPEN)(reopen)
    app.action(Action.RESOLVE)(resolve_clicked)
    app.action(re.compile(rf"^{Action.WAIT}_(internal|vendor|clear)$"))(waiting)
    app.action(re.compile(rf"^{Action.RATE}_[1-5]$"))(rate)
    app.action(Action.BLOCKER)(blocker_escalate)
    app.view(View.RAISE)(raise_submitted)
    app.view(View.RESOLVE)(resolve_submitted)


async def escalate(ack: AsyncAck, body: dict, command: dict, context: AsyncBoltContext, respond: AsyncRespond,
                   client: AsyncWebClient) -> None:
    t = context["t"]
    text = (command.get("text") or "").strip()
    word = text.split(maxsplit=1)[0].lower() if text else ""
    if word == "help":
        usage = blocks.usage(t)
        await ack(text=usage.text, blocks=usage.blocks, response_type="ephemeral")
        return
    if word == "severity":
        await ack()
        parts = text.split()
        if len(parts) != 3:
            raise UserFacingError("escalations.usage.severity")
        ref = await service.change_severity(context["services"], actor(body, context), parts[1], parts[2])
        await respond(text=t("escalations.done.severity", ref=ref, severity=parts[2].upper()),
                      response_type="ephemeral")
        return
    if word == "list":
        await ack()
        listing = await service.list_open(context["services"], actor(body, context), t)
        await respond(text=listing.text, blocks=listing.blocks, response_type="ephemeral")
        return
    if not text:
        await ack()
        view = await service.raise_modal(context["services"], actor(body, context), t,
                                         channel_id=command.get("channel_id"))
        await client.views_open(trigger_id=command["trigger_id"], view=view)
        return
    try:
        severity, words = service.parse_quick(text)
    except UserFacingError as err:  # answered in the ack itself, with the usage: nothing was created
        usage = blocks.usage(t, t(err.key, **err.params))
        await ack(text=usage.text, blocks=usage.blocks, response_type="ephemeral")
        return
    await ack()
    raised = await service.raise_quick(context["services"], actor(body, context), severity, words,
                                       command.get("channel_id"))
    done = blocks.raised_confirmation(t, raised.ref, severity, raised.channel_id)
    await respond(text=done.text, blocks=done.blocks, response_type="ephemeral")


def _esc_id(body: dict) -> int:
    value = (body.get("actions") or [{}])[0].get("value") or ""
    if not value.split(":")[0].isdigit():
        raise UserFacingError("escalations.errors.not_found")
    return int(value.split(":")[0])


async def _done(respond: AsyncRespond, context: AsyncBoltContext, key: str, ref: str) -> None:
    await respond(text=context["t"](key, ref=ref), response_type="ephemeral", replace_original=False)


async def acknowledge(ack: AsyncAck, body: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    ref = await service.acknowledge(context["services"], actor(body, context), _esc_id(body))
    await _done(respond, context, "escalations.done.acknowledged", ref)


async def escalate_now(ack: AsyncAck, body: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    ref = await service.escalate_now(context["services"], actor(body, context), _esc_id(body))
    await _done(respond, context, "escalations.done.escalated", ref)


async def reopen(ack: AsyncAck, body: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    ref = await service.reopen(context["services"], actor(body, context), _esc_id(body))
    await _done(respond, context, "escalations.done.reopened", ref)


async def waiting(ack: AsyncAck, body: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    """"Waiting on internal|vendor" pauses the SLA clocks; "Clear waiting" resumes them."""
    await ack()
    side = str((body.get("actions") or [{}])[0].get("action_id") or "").rpartition("_")[2]
    side = "" if side == "clear" else side
    ref = await service.set_waiting(context["services"], actor(body, context), _esc_id(body), side or None)
    await _done(respond, context, "escalations.done.waiting" if side else "escalations.done.resumed", ref)


async def resolve_clicked(ack: AsyncAck, body: dict, context: AsyncBoltContext, client: AsyncWebClient) -> None:
    await ack()
    esc_id = _esc_id(body)
    ref = await service.check_may_resolve(context["services"], actor(body, context), esc_id)
    await client.views_open(trigger_id=body["trigger_id"], view=blocks.resolve_modal(context["t"], esc_id, ref))


async def resolve_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    note, esc_id = _value(view, Block.NOTE) or "", str(view.get("private_metadata") or "")
    if not esc_id.isdigit():  # the modal's own escalation id, tampered with
        await ack(response_action="errors", errors={Block.NOTE.value: context["t"]("escalations.errors.not_found")})
        return
    if not note.strip():
        await ack(response_action="errors", errors={Block.NOTE.value: context["t"]("escalations.errors.note_needed")})
        return
    await ack()
    await service.resolve(context["services"], actor(body, context), int(esc_id), note)


async def rate(ack: AsyncAck, body: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    value = (body.get("actions") or [{}])[0].get("value") or ""
    esc_id, _, score = value.partition(":")
    if not (esc_id.isdigit() and score.isdigit()):
        raise UserFacingError("escalations.errors.bad_rating")
    ref = await service.rate(context["services"], actor(body, context), int(esc_id), int(score))
    thanks = blocks.rated(context["t"], ref, int(score))
    await respond(text=thanks.text, blocks=thanks.blocks, replace_original=True)


async def blocker_escalate(ack: AsyncAck, body: dict, context: AsyncBoltContext, client: AsyncWebClient) -> None:
    await ack()
    view = await service.raise_modal(context["services"], actor(body, context), context["t"],
                                     blocker_id=_blocker_id((body.get("actions") or [{}])[0].get("value")))
    await client.views_open(trigger_id=body["trigger_id"], view=view)


def _blocker_id(value: object) -> int:
    """A blocker id from a button value or `private_metadata` (which prove nothing: the service checks)."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    raise UserFacingError("checkins.errors.unknown_blocker")


def _meta_blocker(view: dict) -> int | None:
    """The blocker a raise modal was opened from, as its `private_metadata` claims."""
    try:
        meta: Any = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        raise UserFacingError("checkins.errors.unknown_blocker")
    return None if meta.get("blocker_id") is None else _blocker_id(meta["blocker_id"])


def _value(view: dict, block_id: str) -> Any:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    element: dict[str, Any] = next(iter(state.values()), {})
    if "selected_option" in element:
        return (element.get("selected_option") or {}).get("value")
    return element.get("value")


async def raise_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext,
                          client: AsyncWebClient) -> None:
    t = context["t"]
    try:
        request = service.validate_request(service.RaiseRequest(
            severity=_value(view, Block.SEVERITY) or "", summary=_value(view, Block.SUMMARY) or "",
            details=_value(view, Block.DETAILS) or "", category=_value(view, Block.CATEGORY) or "",
            team_key=_value(view, Block.TEAM) or "", blocker_id=_meta_blocker(view)))
        if request.blocker_id is not None:  # rare: the modal came from a blocker's button; refused in the modal
            await service.check_blocker(context["services"], actor(body, context), request.blocker_id)
    except UserFacingError as err:
        await ack(response_action="errors", errors={err.block_id or Block.SUMMARY.value: t(err.key, **err.params)})
        return
    await ack()
    raised = await service.raise_escalation(context["services"], actor(body, context), request)
    done = blocks.raised_confirmation(t, raised.ref, request.severity, raised.channel_id)
    await client.chat_postMessage(channel=context.user_id or "", text=done.text, blocks=done.blocks)
