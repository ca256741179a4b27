"""views.* methods: modal stacks per user and App Home."""

from __future__ import annotations

from typing import Any

from ..state import SlackError, Workspace
from ..validate import validate_view
from .common import require

MAX_STACK = 3


def build_view(ws: Workspace, spec: dict[str, Any], *, view_id: str | None = None,
               root_view_id: str | None = None, previous_view_id: str | None = None) -> dict[str, Any]:
    """A stored view as Slack returns it: the spec plus id, hash, state and stack links."""
    vid = view_id or ws.new_id("V")
    view = {
        "id": vid, "team_id": ws.team_id, "type": spec["type"], "blocks": spec.get("blocks") or [],
        "private_metadata": spec.get("private_metadata") or "", "callback_id": spec.get("callback_id") or "",
        "state": {"values": {}}, "hash": f"{ws.new_ts()}.{ws.new_id('h')}",
        "title": spec.get("title"), "clear_on_close": bool(spec.get("clear_on_close")),
        "notify_on_close": bool(spec.get("notify_on_close")), "close": spec.get("close"),
        "submit": spec.get("submit"), "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or vid, "app_id": ws.app_id,
        "external_id": spec.get("external_id") or "", "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }
    return view


def find_view(ws: Workspace, *, view_id: Any = None,
              external_id: Any = None) -> tuple[list[dict] | None, int, str]:
    """Locate a view: (its modal stack or None for a Home view, index in the stack, owner user id)."""
    def match(v: dict[str, Any]) -> bool:
        if view_id:
            return v["id"] == str(view_id)
        return bool(external_id) and v.get("external_id") == str(external_id)

    for uid, stack in ws.view_stacks.items():
        for i, v in enumerate(stack):
            if match(v):
                return stack, i, uid
    for uid, home in ws.homes.items():
        if match(home):
            return None, 0, uid
    raise SlackError("not_found" if external_id and not view_id else "view_not_found")


def views_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "trigger_id", "view")
    spec = validate_view(args["view"])
    user_id = ws.use_trigger(args["trigger_id"])
    view = build_view(ws, spec)
    ws.view_stacks[user_id] = [view]
    return {"view": view}


def views_push(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "trigger_id", "view")
    spec = validate_view(args["view"])
    user_id = ws.use_trigger(args["trigger_id"])
    stack = ws.view_stacks.setdefault(user_id, [])
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    prev = stack[-1] if stack else None
    view = build_view(ws, spec, root_view_id=prev["root_view_id"] if prev else None,
                      previous_view_id=prev["id"] if prev else None)
    stack.append(view)
    return {"view": view}


def views_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "view")
    if not args.get("view_id") and not args.get("external_id"):
        raise SlackError("invalid_arguments",
                         response_metadata={"messages": ["[ERROR] view_id or external_id"]})
    stack, index, user_id = find_view(ws, view_id=args.get("view_id"), external_id=args.get("external_id"))
    old = stack[index] if stack is not None else ws.homes[user_id]
    if args.get("hash") and str(args["hash"]) != old["hash"]:
        raise SlackError("hash_conflict")
    spec = validate_view(args["view"])
    view = build_view(ws, spec, view_id=old["id"], root_view_id=old["root_view_id"],
                      previous_view_id=old["previous_view_id"])
    if stack is not None:
        stack[index] = view
    else:
        ws.homes[user_id] = view
    return {"view": view}


def views_publish(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "user_id", "view")
    user_id = str(args["user_id"])
    ws.require_user(user_id)
    spec = validate_view(args["view"])
    if spec["type"] != "home":
        raise SlackError("invalid_arguments",
                         response_metadata={"messages": ["[ERROR] view type must be home"]})
    old = ws.homes.get(user_id)
    if old and args.get("hash") and str(args["hash"]) != old["hash"]:
        raise SlackError("hash_conflict")
    view = build_view(ws, spec, view_id=old["id"] if old else None)
    ws.homes[user_id] = view
    return {"view": view}


METHODS = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
