"""Block Kit and view checks Slack enforces, so bot bugs fail here as they would in production."""

from __future__ import annotations

from typing import Any

from .state import SlackError

MESSAGE_BLOCK_LIMIT = 50
SURFACE_BLOCK_LIMIT = 100  # modals and App Home
SECTION_TEXT_LIMIT = 3000
SECTION_FIELDS_LIMIT = 10
FIELD_TEXT_LIMIT = 2000
HEADER_TEXT_LIMIT = 150
VIEW_TITLE_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000
CALLBACK_ID_LIMIT = 255


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return ""


def _invalid(index: int, why: str) -> SlackError:
    return SlackError("invalid_blocks", errors=[f"{why} [json-pointer:/blocks/{index}]"])


def validate_blocks(blocks: Any, *, limit: int) -> list[dict]:
    """Return the blocks if Slack would accept them, else raise invalid_blocks."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if len(blocks) > limit:
        raise SlackError("invalid_blocks", errors=[f"must provide an array of no more than {limit} items"])
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        if not isinstance(block, dict) or not block.get("type"):
            raise _invalid(i, "missing required field: type")
        bid = block.get("block_id")
        if bid is not None:
            if bid in seen:
                raise _invalid(i, f"duplicate block_id {bid}")
            seen.add(bid)
        btype = block["type"]
        if btype == "section":
            if len(_text(block.get("text"))) > SECTION_TEXT_LIMIT:
                raise _invalid(i, "section text too long")
            fields = block.get("fields") or []
            if len(fields) > SECTION_FIELDS_LIMIT or any(len(_text(f)) > FIELD_TEXT_LIMIT for f in fields):
                raise _invalid(i, "invalid fields")
            if not block.get("text") and not fields:
                raise _invalid(i, "section needs text or fields")
        elif btype == "header" and len(_text(block.get("text"))) > HEADER_TEXT_LIMIT:
            raise _invalid(i, "header text too long")
    return blocks


def validate_view(view: Any) -> dict[str, Any]:
    """Check a modal / home view the way views.open/push/update/publish do."""
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] view type"]})
    blocks = validate_blocks(view.get("blocks") or [], limit=SURFACE_BLOCK_LIMIT)
    if len(str(view.get("private_metadata") or "")) > PRIVATE_METADATA_LIMIT:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] private_metadata"]})
    if len(str(view.get("callback_id") or "")) > CALLBACK_ID_LIMIT:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] callback_id"]})
    if view["type"] == "modal":
        if not _text(view.get("title")):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] missing title"]})
        for key in ("title", "submit", "close"):
            if len(_text(view.get(key))) > VIEW_TITLE_LIMIT:
                raise SlackError("invalid_arguments",
                                 response_metadata={"messages": [f"[ERROR] {key} must be at most 24 chars"]})
        if any(b.get("type") == "input" for b in blocks) and not view.get("submit"):
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": ["[ERROR] input blocks need a submit button"]})
    return view
