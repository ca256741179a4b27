"""What Slack does with an app's answers to interactions: response_url posts, acks with bodies, view acks."""

from __future__ import annotations

from typing import Any

from .methods.views import build_view
from .state import Message, SlackError, Workspace
from .validate import MESSAGE_BLOCK_LIMIT, validate_blocks, validate_view


def post_to_response_url(ws: Workspace, rid: str, body: dict[str, Any]) -> Message | None:
    """Apply one POST to a response_url; raises SlackError (used_url / expired_url / no_text ...)."""
    ru = ws.response_urls.get(rid)
    if ru is None:
        raise SlackError("invalid_url")
    if ws.clock() - ru.created > ws.RESPONSE_URL_TTL:
        raise SlackError("expired_url")
    if ru.uses >= ws.RESPONSE_URL_USES:
        raise SlackError("used_url")
    ru.uses += 1
    original = None
    if ru.message_ts:
        original = ws.find_message(ru.channel_id, ru.message_ts) or ws.find_ephemeral(ru.message_ts)
    if body.get("delete_original") in (True, "true"):
        if original is None:
            raise SlackError("message_not_found")
        original.deleted = True
        return None
    text = str(body.get("text") or "")
    blocks = validate_blocks(body.get("blocks"), limit=MESSAGE_BLOCK_LIMIT)
    if not text and not blocks and not body.get("attachments"):
        raise SlackError("no_text")
    if body.get("replace_original") in (True, "true") and original is not None:
        original.text, original.blocks, original.updated = text, blocks, True
        return original
    return answer_user(ws, ru.user_id, ru.channel_id, body, text=text, blocks=blocks)


def answer_user(ws: Workspace, user_id: str, channel_id: str, body: dict[str, Any], *, text: str,
                blocks: list[dict]) -> Message:
    """An ephemeral (default) or in-channel answer to a person, from a response_url or a command's ack."""
    thread_ts = str(body["thread_ts"]) if body.get("thread_ts") else None
    if body.get("response_type") == "in_channel":
        channel = ws.resolve_channel(channel_id)
        msg = ws.post(channel, text=text, blocks=blocks, thread_ts=thread_ts,
                      attachments=body.get("attachments"), response_type="in_channel")
        return msg
    return ws.post_ephemeral(channel_id, user_id, text=text, blocks=blocks, thread_ts=thread_ts,
                             attachments=body.get("attachments"))


def apply_command_ack(ws: Workspace, user_id: str, channel_id: str, body: Any) -> Message | None:
    """Slack shows a slash command's ack body to the user (ephemeral unless response_type in_channel)."""
    if body is None or body == "":
        return None
    if isinstance(body, str):
        body = {"text": body}
    if not isinstance(body, dict):
        return None
    text = str(body.get("text") or "")
    blocks = body.get("blocks") or []
    if not text and not blocks:
        return None
    return answer_user(ws, user_id, channel_id, body, text=text, blocks=blocks)


def apply_view_ack(ws: Workspace, user_id: str, view_id: str, body: Any) -> None:
    """Update the user's modal stack the way Slack does after a view_submission ack."""
    stack = ws.view_stacks.get(user_id, [])
    index = next((i for i, v in enumerate(stack) if v["id"] == view_id), None)
    action = body.get("response_action") if isinstance(body, dict) else None
    if action == "errors":
        return
    if action == "clear":
        ws.view_stacks[user_id] = []
        return
    if index is None:
        return
    old = stack[index]
    if action == "update":
        spec = validate_view(body.get("view"))
        stack[index] = build_view(ws, spec, view_id=old["id"], root_view_id=old["root_view_id"],
                                  previous_view_id=old["previous_view_id"])
    elif action == "push":
        spec = validate_view(body.get("view"))
        stack.append(build_view(ws, spec, root_view_id=old["root_view_id"], previous_view_id=stack[-1]["id"]))
    else:  # empty ack: the submitted view closes, returning to the one below it
        del stack[index:]


def close_view(ws: Workspace, user_id: str, view_id: str) -> bool:
    """The user pressed Close (or X): the view and those above it go; clear_on_close clears the stack."""
    stack = ws.view_stacks.get(user_id, [])
    for i, v in enumerate(stack):
        if v["id"] == view_id:
            if v.get("clear_on_close"):
                stack.clear()
            else:
                del stack[i:]
            return True
    return False
