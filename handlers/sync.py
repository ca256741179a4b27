"""The weekly sync's buttons and modals: add an item, the facilitator's item menu, minutes, "Done"."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UserFacingError
from bot.sync import blocks, service
from bot.sync.ids import ACTION_ROWS, Action, Block, View, due_block, owner_block, what_block
from handlers.actors import actor

COMMANDS: tuple[str, ...] = ()  # `/oneteam actions [team]` is a sub-command of /oneteam (handlers/help.py)


def register(app: AsyncApp) -> None:
    app.action(Action.ADD_ITEM)(add_clicked)
    app.action(Action.ITEM_MENU)(item_menu)
    app.action(Action.MINUTES)(minutes_clicked)
    app.action(Action.DONE)(done_clicked)
    app.view(View.ADD_ITEM)(add_submitted)
    app.view(View.MINUTES)(minutes_submitted)


def _id(value: object, key: str = "sync.errors.not_found") -> int:
    """An id from a button value or `private_metadata` (which prove nothing: the service checks)."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise UserFacingError(key)


def _clicked(body: dict) -> dict[str, Any]:
    return (body.get("actions") or [{}])[0]


def _value(view: dict, block_id: str) -> Any:
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    element: dict[str, Any] = next(iter(state.values()), {})
    for key in ("selected_user", "selected_date"):
        if key in element:
            return element[key]
    if "selected_option" in element:
        return (element.get("selected_option") or {}).get("value")
    if "selected_options" in element:
        return [o.get("value") for o in element.get("selected_options") or []]
    return element.get("value")


async def add_clicked(ack: AsyncAck, body: dict, context: AsyncBoltContext, client: AsyncWebClient) -> None:
    await ack()
    meeting_id = _id(_clicked(body).get("value"))
    await service.check_may_add(context["services"], actor(body, context), meeting_id)
    await client.views_open(trigger_id=body["trigger_id"], view=blocks.add_item_modal(context["t"], meeting_id))


async def add_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    t = context["t"]
    try:
        meeting_id = _id(view.get("private_metadata"))
        item = service.validate_item(service.NewItem(str(_value(view, Block.TOPIC) or ""),
                                                     str(_value(view, Block.DETAILS) or ""),
                                                     str(_value(view, Block.SIDE) or "")))
        await service.check_may_add(context["services"], actor(body, context), meeting_id)
    except UserFacingError as err:
        await ack(response_action="errors", errors={err.block_id or Block.TOPIC.value: t(err.key, **err.params)})
        return
    await ack()
    await service.add_item(context["services"], actor(body, context), meeting_id, item)


async def item_menu(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    await ack()
    move, _, item_id = str((_clicked(body).get("selected_option") or {}).get("value") or "").partition(":")
    if move not in ("up", "down", "drop"):
        raise UserFacingError("sync.errors.not_found")
    await service.edit_item(context["services"], actor(body, context), _id(item_id), move)


async def minutes_clicked(ack: AsyncAck, body: dict, context: AsyncBoltContext, client: AsyncWebClient) -> None:
    await ack()
    view = await service.minutes_modal(context["services"], actor(body, context), context["t"],
                                       _id(_clicked(body).get("value")))
    await client.views_open(trigger_id=body["trigger_id"], view=view)


def _minutes(view: dict) -> service.Minutes:
    jira = set(_value(view, Block.JIRA) or [])
    drafts = []
    for n in range(1, ACTION_ROWS + 1):
        due = _value(view, due_block(n))
        try:
            due_date = date.fromisoformat(due) if isinstance(due, str) and due else None
        except ValueError:
            raise UserFacingError("sync.errors.due_needed", block_id=due_block(n)) from None
        owner = _value(view, owner_block(n))
        drafts.append(service.ActionDraft(n, str(_value(view, what_block(n)) or ""),
                                          owner if isinstance(owner, str) and owner else None, due_date,
                                          str(n) in jira))
    return service.Minutes(str(_value(view, Block.DECISIONS) or ""), drafts)


async def minutes_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext,
                            client: AsyncWebClient) -> None:
    services, t = context["services"], context["t"]
    try:
        meeting_id = _id(view.get("private_metadata"))
        minutes = _minutes(view)
        await service.check_minutes(services, actor(body, context), meeting_id, minutes)
    except UserFacingError as err:
        await ack(response_action="errors", errors={err.block_id or Block.DECISIONS.value: t(err.key, **err.params)})
        return
    await ack()
    count = await service.record_minutes(services, actor(body, context), meeting_id, minutes)
    await client.chat_postMessage(channel=context.user_id or "", text=t("sync.minutes.recorded", count=count))


async def done_clicked(ack: AsyncAck, body: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    what = await service.close_action(context["services"], actor(body, context), _id(_clicked(body).get("value")))
    await respond(text=context["t"]("sync.closed", what=what), response_type="ephemeral", replace_original=False)
