"""Small Block Kit builders shared by every feature (Slack's limits are enforced here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SECTION_MAX = 3000
MESSAGE_BLOCKS_MAX = 50

Block = dict[str, Any]


@dataclass
class Rendered:
    """A message: fallback `text` (notifications, screen readers) plus its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.blocks) > MESSAGE_BLOCKS_MAX:
            raise ValueError(f"{len(self.blocks)} blocks; Slack allows {MESSAGE_BLOCKS_MAX} per message")


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def escape(text: str) -> str:
    """Text from elsewhere (a Jira summary) shown in mrkdwn: Slack reads &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(markdown: str, **extra: Any) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(markdown)}, **extra}


def context(*markdown: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(m)} for m in markdown[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", *, style: str | None = None) -> Block:
    b: Block = {"type": "button", "text": {"type": "plain_text", "text": text[:75], "emoji": True},
                "action_id": action_id}
    if value:
        b["value"] = value[:2000]
    if style:
        b["style"] = style
    return b


def actions(*elements: Block, block_id: str | None = None) -> Block:
    b: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        b["block_id"] = block_id
    return b


def _clip(text: str) -> str:
    return text if len(text) <= SECTION_MAX else text[: SECTION_MAX - 1] + "…"
