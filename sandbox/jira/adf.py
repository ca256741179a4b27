"""Atlassian Document Format helpers.

Cloud REST v3 speaks ADF for descriptions and comment bodies while v2 (and Server) speak plain/wiki text.
The sandbox stores ADF and converts at the edge, so a v2 reader and a v3 writer see the same issue.
"""

from __future__ import annotations

from typing import Any

_BLOCK_TYPES = {
    "paragraph",
    "heading",
    "blockquote",
    "codeBlock",
    "bulletList",
    "orderedList",
    "listItem",
    "panel",
    "rule",
    "table",
    "tableRow",
    "tableCell",
    "tableHeader",
    "mediaSingle",
    "mediaGroup",
}


def is_adf(value: Any) -> bool:
    """True for a top-level ADF document (what v3 requires for description and comment body)."""
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def text_to_adf(text: str) -> dict[str, Any]:
    """Plain text to an ADF doc: blank lines separate paragraphs, single newlines become hard breaks."""
    content: list[dict[str, Any]] = []
    for para in text.replace("\r\n", "\n").split("\n\n"):
        if not para:
            continue
        inline: list[dict[str, Any]] = []
        for i, line in enumerate(para.split("\n")):
            if i:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def adf_to_text(doc: Any) -> str:
    """Render ADF as plain text, roughly what v2 returns for a document written through v3."""
    if doc is None:
        return ""
    if isinstance(doc, str):
        return doc
    return _render(doc).strip("\n")


def _render(node: Any, depth: int = 0) -> str:
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return str(attrs.get("text") or "@" + str(attrs.get("id", "")))
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName", ""))
    if kind in ("inlineCard", "blockCard"):
        return str(attrs.get("url", ""))
    if kind == "rule":
        return "----\n\n"
    children = node.get("content") or []
    if kind == "doc":
        return "".join(_render(c, depth) for c in children)
    if kind in ("bulletList", "orderedList"):
        lines = []
        marker = ("*" if kind == "bulletList" else "#") * (depth + 1)
        for item in children:
            body = "".join(_render(c, depth + 1) for c in item.get("content") or []).strip("\n")
            lines.append(f"{marker} {body}")
        return "\n".join(lines) + ("\n\n" if depth == 0 else "\n")
    inner = "".join(_render(c, depth) for c in children)
    if kind in _BLOCK_TYPES:
        return inner.rstrip("\n") + "\n\n"
    return inner
