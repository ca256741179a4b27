"""chat.* methods."""

from __future__ import annotations

import json
from typing import Any

from ..state import SlackError, Workspace
from ..validate import MESSAGE_BLOCK_LIMIT, validate_blocks
from .common import require


def _content(args: dict[str, Any]) -> tuple[str, list[dict], list[dict]]:
    text = str(args.get("text") or "")
    blocks = validate_blocks(args.get("blocks"), limit=MESSAGE_BLOCK_LIMIT)
    attachments = args.get("attachments") or []
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    return text, blocks, attachments


def _metadata(args: dict[str, Any]) -> dict | None:
    meta = args.get("metadata")
    if meta is None:
        return None
    if not isinstance(meta, dict) or "event_type" not in meta or "event_payload" not in meta:
        raise SlackError("invalid_metadata_format")
    return meta


def post_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "channel")
    channel = ws.resolve_channel(args["channel"])
    text, blocks, attachments = _content(args)
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    if thread_ts and ws.find_message(channel, thread_ts) is None:
        raise SlackError("thread_not_found")
    msg = ws.post(channel, text=text, blocks=blocks, thread_ts=thread_ts, metadata=_metadata(args),
                  attachments=attachments)
    return {"channel": channel, "ts": msg.ts, "message": msg.to_slack()}


def update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "channel", "ts")
    channel = ws.resolve_channel(args["channel"], allow_user=False)
    msg = ws.find_message(channel, args["ts"])
    if msg is None:
        raise SlackError("message_not_found")
    if "text" in args or "blocks" in args or "attachments" in args:
        text, blocks, attachments = _content(args)
        msg.text = text
        if "blocks" in args:
            msg.blocks = blocks
        if "attachments" in args:
            msg.attachments = attachments
    if args.get("metadata") is not None:
        msg.metadata = _metadata(args)
    msg.updated = True
    return {"channel": channel, "ts": msg.ts, "text": msg.text, "message": msg.to_slack()}


def post_ephemeral(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "channel", "user")
    channel = ws.resolve_channel(args["channel"])
    user_id = str(args["user"])
    ws.require_user(user_id)
    members = ws.channels[channel].get("members") or []
    if members and user_id not in members:
        raise SlackError("user_not_in_channel")
    text, blocks, attachments = _content(args)
    msg = ws.post_ephemeral(channel, user_id, text=text, blocks=blocks, attachments=attachments,
                            thread_ts=str(args["thread_ts"]) if args.get("thread_ts") else None)
    return {"message_ts": msg.ts}


def get_permalink(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "channel", "message_ts")
    channel = ws.resolve_channel(args["channel"], allow_user=False)
    msg = ws.find_message(channel, args["message_ts"])
    if msg is None:
        raise SlackError("message_not_found")
    link = f"{ws.url}/archives/{channel}/p{msg.ts.replace('.', '')}"
    if msg.is_reply:
        link += f"?thread_ts={msg.thread_ts}&cid={channel}"
    return {"channel": channel, "permalink": link}


def delete(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "channel", "ts")
    channel = ws.resolve_channel(args["channel"], allow_user=False)
    msg = ws.find_message(channel, args["ts"])
    if msg is None:
        raise SlackError("message_not_found")
    msg.deleted = True
    return {"channel": channel, "ts": msg.ts}


def unfurl(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.unfurl: `channel` + `ts` (or `unfurl_id` + `source`) and `unfurls`, a JSON object (often sent as a
    string) from each URL of the message to the blocks (or attachment) shown under it."""
    require(args, "unfurls")
    if not (args.get("channel") and args.get("ts")) and not (args.get("unfurl_id") and args.get("source")):
        raise SlackError("invalid_arguments")
    raw = args["unfurls"]
    try:
        unfurls = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise SlackError("invalid_unfurls_format") from None
    if not isinstance(unfurls, dict) or not all(isinstance(v, dict) for v in unfurls.values()):
        raise SlackError("invalid_unfurls_format")
    msg = ws.find_unfurl_target(str(args.get("channel") or ""), str(args.get("ts") or ""),
                                str(args.get("unfurl_id") or ""))
    if msg is None:
        raise SlackError("cannot_find_message")
    for url, content in unfurls.items():
        if url not in msg.text:
            raise SlackError("cannot_unfurl_url")
        if "blocks" in content:
            validate_blocks(content["blocks"], limit=MESSAGE_BLOCK_LIMIT)
        msg.unfurls[url] = content
    return {}


METHODS = {
    "chat.unfurl": unfurl,
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
    "chat.delete": delete,
}
