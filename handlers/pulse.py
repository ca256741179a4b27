"""`/pulse` (answer the current survey), `/pulse results [team]`, the survey modal and "you said, we did".

Never logs view state: it holds pulse answers.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.caller import caller
from bot.errors import UserFacingError
from bot.pulse import blocks, flows, service
from bot.pulse.ids import Action, Block, Callback, block_question, question_block

COMMANDS = ("/pulse",)


def register(app: AsyncApp) -> None:
    app.command("/pulse")(pulse_command)
    app.action(Action.OPEN)(open_from_button)
    app.view(Callback.ANSWER)(submit_answers)
    app.action(Action.FOLLOW_UP)(open_follow_up)
    app.view(Callback.FOLLOW_UP)(submit_follow_up)


def _survey_id(value: object) -> int:
    """A survey id from a button value or `private_metadata`; the service checks who may use it."""
    text = str(value or "")
    if not text.isdigit():
        raise UserFacingError("pulse.errors.not_found")
    return int(text)


def _selected(state: dict[str, Any]) -> str | None:
    """The value one input block reports, whatever its element type."""
    for element in state.values():
        option = element.get("selected_option")
        if option is not None:
            return option.get("value")
        if element.get("value") is not None:
            return element["value"]
    return None


async def pulse_command(ack: AsyncAck, command: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    await ack()
    words = (command.get("text") or "").split()
    services, t = context["services"], context["t"]
    if words and words[0].lower() == "results":
        page = await service.results_page(services, context.user_id or "", words[1] if len(words) > 1 else None)
        member = await caller(context)
        view = blocks.results_view(t, page, member.timezone if member else None)
        await respond(text=view.text, blocks=view.blocks, response_type="ephemeral")
    elif words:
        await respond(text=t("pulse.usage"), response_type="ephemeral")
    else:
        ballot = await service.ballot(services, context.user_id or "")
        await context.client.views_open(trigger_id=command["trigger_id"], view=blocks.survey_modal(t, ballot))


async def open_from_button(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    ballot = await service.ballot(context["services"], context.user_id or "", _survey_id(action.get("value")))
    await context.client.views_open(trigger_id=body["trigger_id"], view=blocks.survey_modal(context["t"], ballot))


async def submit_answers(ack: AsyncAck, view: dict, context: AsyncBoltContext) -> None:
    t = context["t"]
    raw: dict[str, str | None] = {}
    for block_id, state in (view.get("state") or {}).get("values", {}).items():
        qid = block_question(block_id)
        if qid is not None:
            raw[qid] = _selected(state)
    comment = raw.pop("comment", None)
    try:
        outcome = await service.submit(context["services"], context.user_id or "",
                                       _survey_id(view.get("private_metadata")), raw, comment)
    except service.InvalidAnswers as bad:
        await ack(response_action="errors", errors={
            (Block.COMMENT if qid == "comment" else question_block(qid)): t(key) for qid, key in bad.errors.items()})
        return
    except UserFacingError as err:
        await ack(response_action="update", view=blocks.notice_view(t, t(err.key, **err.params)))
        return
    await ack(response_action="update", view=blocks.notice_view(t, t(f"pulse.outcome.{outcome}")))


async def open_follow_up(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    survey_id, _, question_id = (action.get("value") or "").partition(":")
    target = await service.follow_up_target(context["services"], context.user_id or "", _survey_id(survey_id),
                                            question_id)
    await context.client.views_open(trigger_id=body["trigger_id"],
                                    view=blocks.follow_up_modal(context["t"], target))


async def submit_follow_up(ack: AsyncAck, view: dict, context: AsyncBoltContext) -> None:
    t, services = context["t"], context["services"]
    survey_id, _, question_id = view["private_metadata"].partition(":")
    text = _selected((view.get("state") or {}).get("values", {}).get(Block.FOLLOW_UP, {})) or ""
    try:
        await service.add_follow_up(services, context.user_id or "", _survey_id(survey_id), question_id, text)
    except UserFacingError as err:
        if err.block_id:
            await ack(response_action="errors", errors={err.block_id: t(err.key, **err.params)})
        else:
            await ack(response_action="update", view=blocks.notice_view(t, t(err.key, **err.params)))
        return
    await ack(response_action="update", view=blocks.notice_view(t, t("pulse.follow_up.sent")))
    await flows.send_follow_ups(services)
