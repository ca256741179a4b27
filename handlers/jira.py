"""The "Create Jira ticket" buttons on the escalation card and on a check-in blocker DM; Jira link unfurls."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import link
from bot.errors import UserFacingError
from bot.jira import service, shortcuts, subscriptions
from bot.jira.ids import Action, Shortcut, View
from bot.reply import tell_privately
from handlers.actors import actor

COMMANDS: tuple[str, ...] = ()
EVENTS = ("link_shared",)  # the manifest subscribes to these (tests/test_manifest.py)


def register(app: AsyncApp) -> None:
    app.action(Action.ESCALATION)(escalation_ticket)
    app.action(Action.BLOCKER)(blocker_ticket)
    app.event(EVENTS[0])(link_shared)
    app.shortcut(Shortcut.CREATE)(create_shortcut)
    app.shortcut(Shortcut.SEND)(send_shortcut)
    app.view(View.CREATE)(create_submitted)


async def create_shortcut(ack: AsyncAck, body: dict, context: AsyncBoltContext, client: AsyncWebClient) -> None:
    """"Create Jira issue" on a message: the pre-filled modal."""
    await ack()
    view = await shortcuts.create_form(context["services"], actor(body, context),
                                       str((body.get("channel") or {}).get("id") or ""), body.get("message") or {})
    await client.views_open(trigger_id=body["trigger_id"], view=view)


async def send_shortcut(ack: AsyncAck, body: dict, context: AsyncBoltContext) -> None:
    """"Send to Jira" on a message in a linked thread: a comment on the ticket."""
    await ack()
    text = await shortcuts.send_comment(context["services"], actor(body, context),
                                        str((body.get("channel") or {}).get("id") or ""), body.get("message") or {},
                                        context["t"])
    await tell_privately(context, body, text)


async def create_submitted(ack: AsyncAck, body: dict, view: dict, context: AsyncBoltContext) -> None:
    """Checked before the ack, so that a bad project or summary shows on its input."""
    values: dict[str, str] = {}
    for block, state in ((view.get("state") or {}).get("values") or {}).items():
        element: dict = next(iter(state.values()), {}) if isinstance(state, dict) else {}
        values[str(block)] = str(element.get("value") or "")
    try:
        text = await shortcuts.submit(context["services"], actor(body, context),
                                      str(view.get("private_metadata") or ""), values, context["t"])
    except UserFacingError as e:
        if e.block_id:
            await ack(response_action="errors", errors={e.block_id: context["t"](e.key, **e.params)})
            return
        await ack()
        raise
    await ack()
    user = context.user_id
    if user:
        await context.client.chat_postMessage(channel=user, text=text)


async def oneteam_jira(ack: AsyncAck, command: dict, context: AsyncBoltContext, respond: AsyncRespond) -> None:
    """`/oneteam jira subscribe|subscriptions|unsubscribe` (routed here by `/oneteam`)."""
    await ack()
    words = (command.get("text") or "").split()[1:]
    answer = await subscriptions.command(context["services"], actor(command, context),
                                         command.get("channel_id") or "", words, context["t"])
    await respond(text=answer, response_type="ephemeral", replace_original=False)


async def link_shared(event: dict, body: dict, context: AsyncBoltContext) -> None:
    """Jira issue links posted where the app is: unfurled with key, summary, status, assignee, priority."""
    links = [str(x.get("url") or "") for x in event.get("links") or [] if isinstance(x, dict)]
    shown = await service.unfurls(context["services"], actor(body, context), links)
    if not shown:
        return
    if event.get("unfurl_id") and event.get("source"):
        await context.client.chat_unfurl(unfurl_id=event["unfurl_id"], source=event["source"], unfurls=shown)
    else:
        await context.client.chat_unfurl(channel=event.get("channel"), ts=event.get("message_ts"), unfurls=shown)


async def escalation_ticket(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    await _ticket(body, action, context, "escalation")


async def blocker_ticket(ack: AsyncAck, body: dict, action: dict, context: AsyncBoltContext) -> None:
    await ack()
    await _ticket(body, action, context, "blocker")


async def _ticket(body: dict, action: dict, context: AsyncBoltContext, origin: str) -> None:
    """The clicked channel and message prove nothing: the service derives where updates go."""
    t = context["t"]
    value = action.get("value") or ""
    if not value.isdigit():
        raise UserFacingError("jira.errors.unknown")
    result = await service.request_ticket(context["services"], actor(body, context),
                                          origin, int(value))
    if result.key:
        text = t("jira.button.exists", issue=link(result.url or "", result.key))
    else:
        text = t("jira.button.requested")
    await tell_privately(context, body, text)
