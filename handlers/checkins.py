"""Check-in listeners: `/checkin`, the prompt's buttons, the form, snoozes and "no longer blocked"."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.caller import caller_t
from bot.checkins import service
from bot.checkins.ids import Ids
from bot.errors import UserFacingError
from storage.ledger import AlreadyHandled, Claim

COMMANDS = ("/checkin",)


def register(app: AsyncApp) -> None:
    app.command("/checkin")(checkin_command)
    app.action(Ids.START)(start)
    app.view(Ids.FORM)(submit)
    app.action(Ids.SNOOZE_HOUR)(snooze)
    app.action(Ids.SNOOZE_TOMORROW)(snooze)
    app.action(Ids.BLOCKER_RESOLVED)(blocker_resolved)


async def checkin_command(ack: AsyncAck, command: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    """`/checkin` opens the form; `/checkin skip [reason]` sits this round out; anything else (a typo such
    as `/checkin skp sick`) gets the usage rather than the form."""
    services, t = context["services"], context["t"]
    words = (command.get("text") or "").strip().split(maxsplit=1)
    sub = words[0].lower() if words else ""
    if sub not in ("", "skip"):
        lead = "" if sub == "help" else t("checkins.unknown_command", text=" ".join(words)[:60]) + "\n"
        await ack(text=lead + t("checkins.usage"), response_type="ephemeral")
        return
    await ack()
    if sub == "skip":
        text = await service.skip(services, context.user_id or "", words[1] if len(words) > 1 else None)
        await respond(text=text, response_type="ephemeral")
        return
    view = await service.open_form(services, context.user_id or "")
    await context.client.views_open(trigger_id=command["trigger_id"], view=view)


async def start(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    round_id = _int(body["actions"][0].get("value"))
    view = await service.open_form(context["services"], context.user_id or "", round_id)
    await context.client.views_open(trigger_id=body["trigger_id"], view=view)


async def submit(ack: AsyncAck, body: dict, context: AsyncBoltContext, replay: Claim | None) -> None:
    """Validation errors go back into the modal; the rest of the work happens after the ack. Before the ack
    there is one write transaction: the submission's replay claim and the save (so the caller's language
    comes from that transaction, or from the cache, not from a read of its own)."""
    view = body["view"]
    raw = {block_id.removeprefix("q_"): _value(element) for block_id, element in view["state"]["values"].items()}
    try:
        round_id = _int(_metadata(view).get("round_id"))
        saved = await service.save_answers(context["services"], context.user_id or "", round_id, raw, replay)
    except AlreadyHandled:
        await ack()  # a replay: the first delivery was answered; this one changed nothing
        return
    except service.InvalidAnswers as exc:
        await ack(response_action="errors", errors={b: exc.t(key) for b, key in exc.errors.items()})
        return
    except UserFacingError as exc:
        t = await caller_t(context)
        await ack(response_action="errors", errors={_first_input(view): t(exc.key, **exc.params)})
        return
    await ack()
    if context.user_id:
        context["locales"].put(context.user_id, saved.locales)  # read anyway: the caller's next ack needs none
    await service.announce_answer(context["services"], saved)


async def snooze(ack: AsyncAck, body: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    action = body["actions"][0]
    choice = "tomorrow" if action["action_id"] == Ids.SNOOZE_TOMORROW else "hour"
    text = await service.snooze(context["services"], context.user_id or "", _int(action.get("value")), choice)
    await respond(text=text, response_type="ephemeral", replace_original=False)


async def blocker_resolved(ack: AsyncAck, body: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    text = await service.resolve_blocker(context["services"], context.user_id or "",
                                         _int(body["actions"][0].get("value")))
    await respond(text=text, response_type="ephemeral", replace_original=False)


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise UserFacingError("checkins.errors.not_yours") from None


def _value(element: dict[str, Any]) -> str | None:
    """The typed value of an input block's only element."""
    inner: dict[str, Any] = next(iter(element.values()), {}) or {}
    return inner.get("value")


def _metadata(view: dict) -> dict[str, Any]:
    """The form's `private_metadata`; it proves nothing (the service looks the round up for the caller)."""
    try:
        meta: Any = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        raise UserFacingError("checkins.errors.not_yours")
    return meta


def _first_input(view: dict) -> str:
    return next((b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"), "q_done")
