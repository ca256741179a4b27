"""The two renderings of a `Digest`: Markdown for the terminal, Block Kit for Slack."""

from __future__ import annotations

from collections.abc import Callable

from bot import blocks
from bot.digest.model import Bundle, Digest, Item, Section


def _line(item: Item, bold: str, esc: Callable[[str], str] = str) -> str:
    note = f" ({esc(item.note)})" if item.note else ""
    return f"{bold}{esc(item.label)}{bold}: {esc(item.value)}{note}"


def markdown(digest: Digest) -> str:
    out = [f"# {digest.title}", "", digest.period, ""]
    if not digest.sections:
        out += [digest.empty_note, ""]
    for section in digest.sections:
        out += [f"## {section.title}", ""]
        out += [f"- {_line(item, '**')}" for item in section.items]
        out += [f"  > {quote}" for quote in section.quotes]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _section_blocks(section: Section) -> list[blocks.Block]:
    # Blocker quotes are what people typed, and KPI names and statements come from the org file: escaped.
    lines = [f"• {_line(item, '*', blocks.escape)}" for item in section.items]
    lines += [f">{blocks.escape(quote)}" for quote in section.quotes]
    return [blocks.section(f"*{blocks.escape(section.title)}*\n" + "\n".join(lines))]


def _digest_blocks(digest: Digest) -> list[blocks.Block]:
    out = [blocks.header(digest.title), blocks.context(blocks.escape(digest.period))]
    if not digest.sections:
        out.append(blocks.section(digest.empty_note))
    for section in digest.sections:
        out += _section_blocks(section)
    return out


def slack(digest: Digest) -> blocks.Rendered:
    return blocks.Rendered(text=digest.title, blocks=_digest_blocks(digest))


def slack_bundle(bundle: Bundle) -> blocks.Rendered:
    """One message for a reader's week, a part per team (a manager of two teams gets one DM, not two)."""
    if len(bundle.parts) == 1:
        return slack(bundle.parts[0])
    out: list[blocks.Block] = []
    for digest in bundle.parts:
        part = ([blocks.divider()] if out else []) + _digest_blocks(digest)
        if len(out) + len(part) > blocks.MESSAGE_BLOCKS_MAX:
            break  # Slack's limit; the parts left out are still in `oneteam digest` and in their charts
        out += part
    return blocks.Rendered(text=bundle.title, blocks=out)
