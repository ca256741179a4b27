"""The two renderings of a `Digest`: Markdown for the terminal, Block Kit for Slack."""

from __future__ import annotations

from bot import blocks
from bot.digest.model import Digest, Item, Section


def _line(item: Item, bold: str) -> str:
    note = f" ({item.note})" if item.note else ""
    return f"{bold}{item.label}{bold}: {item.value}{note}"


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
    lines = [f"• {_line(item, '*')}" for item in section.items]
    lines += [f">{quote}" for quote in section.quotes]
    return [blocks.section(f"*{section.title}*\n" + "\n".join(lines))]


def slack(digest: Digest) -> blocks.Rendered:
    out = [blocks.header(digest.title), blocks.context(digest.period)]
    if not digest.sections:
        out.append(blocks.section(digest.empty_note))
    for section in digest.sections:
        out += _section_blocks(section)
    return blocks.Rendered(text=digest.title, blocks=out)
