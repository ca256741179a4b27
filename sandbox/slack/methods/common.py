"""Argument helpers shared by the method modules."""

from __future__ import annotations

from typing import Any

from ..state import SlackError


def require(args: dict[str, Any], *names: str) -> None:
    """Slack answers a missing required argument with invalid_arguments."""
    missing = [n for n in names if args.get(n) in (None, "")]
    if missing:
        messages = [f"[ERROR] missing required field: {n}" for n in missing]
        raise SlackError("invalid_arguments", response_metadata={"messages": messages})


def truthy(value: Any) -> bool:
    """Form and query booleans arrive as "true"/"1"; JSON ones as bools."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def paginate(items: list[Any], cursor: Any, limit: int) -> tuple[list[Any], str]:
    """One page of `items` from an opaque cursor ("dXNlcjo" + offset); "" when it is the last page."""
    start = 0
    if cursor:
        text = str(cursor)
        if not text.startswith("dXNlcjo"):
            raise SlackError("invalid_cursor")
        start = as_int(text[len("dXNlcjo"):], -1)
        if start < 0:
            raise SlackError("invalid_cursor")
    page = items[start:start + limit]
    end = start + len(page)
    return page, (f"dXNlcjo{end}" if end < len(items) else "")
