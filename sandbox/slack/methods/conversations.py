"""conversations.* and users.* methods."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..state import Message, SlackError, Workspace
from .common import as_int, paginate, require, truthy


def open_conversation(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    if args.get("channel"):
        cid = ws.resolve_channel(args["channel"], allow_user=False)
        return {"no_op": True, "already_open": True, "channel": {"id": cid}}
    require(args, "users")
    users = [u.strip() for u in str(args["users"]).split(",") if u.strip()]
    for uid in users:
        ws.require_user(uid)
    if len(users) == 1:
        cid = ws.dm_id(users[0])
        already = cid in ws.channels
        ws.open_dm(users[0])
        return {"no_op": already, "already_open": already, "channel": {"id": cid}}
    members = sorted({*users, ws.bot_user_id})
    for ch in ws.channels.values():
        if ch.get("is_mpim") and ch["members"] == members:
            return {"no_op": True, "already_open": True, "channel": {"id": ch["id"]}}
    cid = ws.new_id("G")
    ws.channels[cid] = {"id": cid, "name": "mpdm-" + "--".join(members), "is_mpim": True, "members": members,
                        "is_ext_shared": False}
    return {"no_op": False, "already_open": False, "channel": {"id": cid}}


def _between(msgs: list[Message], args: dict[str, Any]) -> list[Message]:
    """The messages inside `oldest`/`latest` (bounds excluded unless `inclusive`), as history and replies read them."""
    oldest, latest = args.get("oldest"), args.get("latest")
    inclusive = truthy(args.get("inclusive"))
    if oldest:
        msgs = [m for m in msgs if float(m.ts) > float(oldest) or (inclusive and m.ts == str(oldest))]
    if latest:
        msgs = [m for m in msgs if float(m.ts) < float(latest) or (inclusive and m.ts == str(latest))]
    return msgs


def history(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "channel")
    cid = ws.resolve_channel(args["channel"], allow_user=False)
    msgs = [m for m in ws.messages.get(cid, []) if not m.deleted and not m.is_reply]
    msgs = _between(msgs, args)
    msgs.reverse()  # newest first, as Slack returns them
    limit = max(1, min(as_int(args.get("limit"), 100), 999))
    page, cursor = paginate(msgs, args.get("cursor"), limit)
    with_meta = truthy(args.get("include_all_metadata"))
    return {"messages": [m.to_slack(include_metadata=with_meta) for m in page], "has_more": bool(cursor),
            "pin_count": 0, "response_metadata": {"next_cursor": cursor}}


def replies(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """A thread, oldest first: the parent, then its replies (`ts` may name the parent or any reply)."""
    require(args, "channel", "ts")
    cid = ws.resolve_channel(args["channel"], allow_user=False)
    msg = ws.find_message(cid, args["ts"])
    if msg is None:
        raise SlackError("thread_not_found")
    root = msg.thread_ts or msg.ts
    msgs = [m for m in ws.messages.get(cid, []) if not m.deleted and (m.ts == root or m.thread_ts == root)]
    msgs = _between(msgs, args)
    limit = max(1, min(as_int(args.get("limit"), 1000), 1000))
    page, cursor = paginate(msgs, args.get("cursor"), limit)
    with_meta = truthy(args.get("include_all_metadata"))
    return {"messages": [m.to_slack(include_metadata=with_meta) for m in page], "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor}}


def info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "channel")
    cid = ws.resolve_channel(args["channel"], allow_user=False)
    ch = ws.channels[cid]
    out = {"id": cid, "name": ch["name"], "is_channel": cid.startswith("C"), "is_im": bool(ch.get("is_im")),
           "is_mpim": bool(ch.get("is_mpim")), "is_private": not cid.startswith("C"),
           "is_ext_shared": bool(ch.get("is_ext_shared")), "is_shared": bool(ch.get("is_ext_shared")),
           "is_member": True, "is_archived": False, "context_team_id": ws.team_id}
    if ch.get("is_im"):
        out["user"] = ch["user"]
    if truthy(args.get("include_num_members")):
        out["num_members"] = len(ch.get("members") or [])
    return {"channel": out}


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (KeyError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset else 0


def user_json(ws: Workspace, user: dict[str, Any], *, with_locale: bool) -> dict[str, Any]:
    """A user object shaped like users.info's."""
    out = {
        "id": user["id"], "team_id": user["team_id"], "name": user["name"],
        "deleted": user.get("deleted", False), "real_name": user["real_name"], "tz": user["tz"],
        "tz_label": user["tz"], "tz_offset": _tz_offset(user["tz"]),
        "is_bot": user["is_bot"], "is_admin": False, "is_owner": False, "is_app_user": False,
        "is_restricted": False, "is_ultra_restricted": False, "updated": 1700000000,
        "profile": {
            "email": user.get("email"), "display_name": user["name"], "real_name": user["real_name"],
            "status_text": user.get("status_text", ""), "status_emoji": user.get("status_emoji", ""),
            "team": user["team_id"],
        },
    }
    if user["is_bot"]:
        out["profile"]["bot_id"] = user.get("bot_id")
    if user["team_id"] != ws.team_id:
        out["is_stranger"] = True
    if with_locale:
        out["locale"] = user["locale"]
    return out


def users_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "user")
    user = ws.require_user(args["user"])
    return {"user": user_json(ws, user, with_locale=truthy(args.get("include_locale")))}


def users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    members = [u for u in ws.users.values() if u["team_id"] == ws.team_id]
    limit = max(1, min(as_int(args.get("limit"), 0) or 1000, 1000))
    # Pages may be short on Slack: the first page here is one short, so a client that stops on a short
    # page instead of an empty next_cursor misses people.
    if ws.users_list_short_pages and limit > 1 and not args.get("cursor"):
        limit -= 1
    page, cursor = paginate(members, args.get("cursor"), limit)
    with_locale = truthy(args.get("include_locale"))
    return {"members": [user_json(ws, u, with_locale=with_locale) for u in page], "cache_ts": 1700000000,
            "response_metadata": {"next_cursor": cursor}}


def lookup_by_email(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "email")
    email = str(args["email"]).strip().lower()
    for user in ws.users.values():
        if (user.get("email") or "").lower() == email:
            return {"user": user_json(ws, user, with_locale=False)}
    raise SlackError("users_not_found")


METHODS = {
    "conversations.open": open_conversation,
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.info": info,
    "users.info": users_info,
    "users.list": users_list,
    "users.lookupByEmail": lookup_by_email,
}
