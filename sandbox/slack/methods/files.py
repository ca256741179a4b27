"""files.* (the v2 external upload flow) and auth.test."""

from __future__ import annotations

from typing import Any

from ..state import SlackError, Workspace
from .common import as_int, require


def get_upload_url(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "filename", "length")
    file_id = ws.new_id("F")
    ws.uploads[file_id] = {"id": file_id, "name": str(args["filename"]), "title": str(args["filename"]),
                           "length": as_int(args["length"], 0), "bytes": None, "channels": [],
                           "initial_comment": None, "thread_ts": None, "completed": False}
    return {"upload_url": f"{ws.url}/upload/{file_id}", "file_id": file_id}


def receive_upload(ws: Workspace, file_id: str, data: bytes) -> bool:
    """The raw-bytes POST to an upload_url (no auth, as on files.slack.com)."""
    record = ws.uploads.get(file_id)
    if record is None or record["completed"]:
        return False
    record["bytes"] = data
    return True


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "name": record["name"], "title": record["title"],
            "size": len(record["bytes"] or b""), "channels": list(record["channels"]),
            "permalink": f"files/{record['id']}"}


def complete_upload(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "files")
    items = args["files"]
    if not isinstance(items, list) or not items:
        raise SlackError("invalid_arguments")
    channels: list[str] = []
    if args.get("channel_id"):
        channels.append(ws.resolve_channel(args["channel_id"], allow_user=False))
    for cid in str(args.get("channels") or "").split(","):
        if cid.strip():
            channels.append(ws.resolve_channel(cid.strip(), allow_user=False))
    records = []
    for item in items:
        record = ws.uploads.get(str(item.get("id")))
        if record is None or record["bytes"] is None or record["completed"]:
            raise SlackError("file_not_found")
        records.append((record, item))
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    for record, item in records:
        record.update(completed=True, title=item.get("title") or record["name"], channels=channels,
                      initial_comment=args.get("initial_comment"), thread_ts=thread_ts)
    for cid in channels:
        ws.post(cid, text=str(args.get("initial_comment") or ""), thread_ts=thread_ts,
                files=[_public(r) for r, _ in records])
    return {"files": [_public(r) for r, _ in records]}


def auth_test(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"url": f"{ws.url}/", "team": "Sandbox", "user": "oneteam", "team_id": ws.team_id,
            "user_id": ws.bot_user_id, "bot_id": ws.bot_id, "is_enterprise_install": False}


METHODS = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "auth.test": auth_test,
}
