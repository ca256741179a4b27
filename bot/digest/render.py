"""The two renderings of a `Digest`: Markdown for the terminal, Block Kit for Slack.

The model holds what people read: catalog messages (`Mrkdwn`, their parameters escaped for Slack) and raw
text (blocker quotes, names from the org file). Each rendering escapes for its own target: Slack's builders
escape & < >, and Markdown escapes its own specials, so a blocker cannot become a link or a heading.
"""

from __future__ import annotations

import re

from bot import blocks
from bot.blocks import Mrkdwn
from bot.digest.model import Bundle, Digest, Item, Section

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>&~|!#])")


def md(value: str) -> str:
    """`value` as Markdown text: on one line, every inline special backslash-escaped."""
    text = " ".join(blocks.text_of(value).split())
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def _md_line(item: Item) -> str:
    note = f" ({md(item.note)})" if item.note else ""
    return f"**{md(item.label)}**: {md(item.value)}{note}"


def markdown(digest: Digest) -> str:
    out = [f"# {md(digest.title)}", "", md(digest.period), ""]
    if not digest.sections:
        out += [md(digest.empty_note), ""]
    for section in digest.sections:
        out += [f"## {md(section.title)}", ""]
        out += [f"- {_md_line(item)}" for item in section.items]
        out += [f"  > {md(quote)}" for quote in section.quotes]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _slack_line(item: Item) -> Mrkdwn:
    if item.note:
        return Mrkdwn("• *{}*: {} ({})").format(item.label, item.value, item.note)
    return Mrkdwn("• *{}*: {}").format(item.label, item.value)


def _section_blocks(section: Section) -> list[blocks.Block]:
    lines = [_slack_line(item) for item in section.items]
    lines += [Mrkdwn(">{}").format(" ".join(quote.split())) for quote in section.quotes]
    return [blocks.section(Mrkdwn("*{}*\n{}").format(section.title, Mrkdwn("\n").join(lines)))]


def _digest_blocks(digest: Digest) -> list[blocks.Block]:
    out = [blocks.header(digest.title), blocks.context(digest.period)]
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
