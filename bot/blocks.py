"""Small Block Kit builders shared by every feature (Slack's limits are enforced here).

User text is data. Slack reads `&`, `<` and `>` as markup in every text field (a member's answer holding
`<!channel>` would ping the channel), so the builders escape any plain `str` they are given and pass only
`Mrkdwn` through: trusted markup from the catalogs (`t()` returns `Mrkdwn` with its parameters escaped) and
from the small helpers below (mentions, links, date tokens). A new builder or message cannot forget to
escape, and nothing is escaped twice, because escaping a `Mrkdwn` returns it unchanged.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, SupportsIndex
from urllib.parse import quote

SECTION_MAX = 3000
MESSAGE_BLOCKS_MAX = 50

Block = dict[str, Any]


def _escape(text: str) -> str:
    """Text from elsewhere shown in Slack: Slack reads &, < and > as markup (and nothing else needs escaping)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """The text a Slack reader sees, for surfaces that are not Slack (Markdown, Jira, the terminal)."""
    return str(text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Mrkdwn(str):
    """Trusted Slack markup (the markupsafe model, escaping only & < > as Slack wants).

    Combining it with a plain `str` (`+`, `join`, `format`, `replace`) escapes the plain operand; a `Mrkdwn`
    operand passes through as is. Other `str` operations (f-strings, `%`) give a plain `str`, which the
    builders escape as a whole: the failure shows as visible `&lt;`, never as live markup.
    """

    __slots__ = ()

    @classmethod
    def of(cls, value: object) -> Mrkdwn:
        """`value` as markup: a `Mrkdwn` unchanged, anything else escaped (its `str()`)."""
        return value if isinstance(value, Mrkdwn) else cls(_escape(str(value)))

    def __add__(self, other: str) -> Mrkdwn:
        if isinstance(other, str):
            return Mrkdwn(str.__add__(str(self), str(Mrkdwn.of(other))))
        return NotImplemented

    def __radd__(self, other: str) -> Mrkdwn:
        if isinstance(other, str):
            return Mrkdwn(str.__add__(str(Mrkdwn.of(other)), str(self)))
        return NotImplemented

    def __getitem__(self, key: SupportsIndex | slice) -> Mrkdwn:
        return Mrkdwn(str.__getitem__(self, key))

    def join(self, parts: Iterable[str]) -> Mrkdwn:
        return Mrkdwn(str(self).join(str(Mrkdwn.of(p)) for p in parts))

    def format(self, *args: Any, **kwargs: Any) -> Mrkdwn:
        return Mrkdwn(_FORMATTER.vformat(str(self), args, kwargs))

    def replace(self, old: str, new: str, count: SupportsIndex = -1) -> Mrkdwn:
        return Mrkdwn(str(self).replace(str(Mrkdwn.of(old)), str(Mrkdwn.of(new)), count))

    def strip(self, chars: str | None = None) -> Mrkdwn:
        return Mrkdwn(str(self).strip(chars))

    def rstrip(self, chars: str | None = None) -> Mrkdwn:
        return Mrkdwn(str(self).rstrip(chars))

    def lstrip(self, chars: str | None = None) -> Mrkdwn:
        return Mrkdwn(str(self).lstrip(chars))

    def __repr__(self) -> str:
        return f"Mrkdwn({str(self)!r})"


class _EscapingFormatter(string.Formatter):
    """`Mrkdwn.format`: each field's text is escaped unless the value is `Mrkdwn` already."""

    def format_field(self, value: Any, format_spec: str) -> str:
        text = format(value, format_spec)
        return text if isinstance(value, Mrkdwn) else _escape(text)


_FORMATTER = _EscapingFormatter()


def mention(user_id: str) -> Mrkdwn:
    """A mention of a member the bot knows (ids come from Slack or the org file, never from typed text)."""
    return Mrkdwn("<@{}>").format(user_id)


def mentions(user_ids: Iterable[str]) -> Mrkdwn:
    return Mrkdwn(", ").join(mention(u) for u in user_ids if u)


def channel_link(channel_id: str) -> Mrkdwn:
    return Mrkdwn("<#{}>").format(channel_id)


def link(url: str, label: str) -> Mrkdwn:
    """`<url|label>` with the label escaped; a `|` or space in the url is percent-encoded so it cannot end it.
    Without a url, just the label."""
    if not url:
        return Mrkdwn.of(label)
    safe_url = quote(url, safe=":/?#[]@!$&'()*+,;=%~")
    return Mrkdwn("<{}|{}>").format(safe_url, label)


def date(when: datetime, fallback: str) -> Mrkdwn:
    """Slack's date token: each reader sees the moment in their own zone and locale; `fallback` otherwise."""
    return Mrkdwn("<!date^{}^{{date_short_pretty}} {{time}}|{}>").format(int(when.timestamp()), fallback)


_TOKEN = re.compile(r"<!date\^[^|>]*\|([^>]*)>|<(https?://[^|>]*)\|([^>]*)>|<([@#!][^|>]*)>")


def as_seen(markup: str) -> str:
    """Slack markup roughly as a reader sees it, for a terminal (`oneteam demo`): dates show their fallback,
    links their label and address, and escapes are undone."""
    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return f"{m.group(3)} ({m.group(2)})"
        return m.group(4)
    return unescape(_TOKEN.sub(one, str(markup)))


def text_of(value: str) -> str:
    """What a reader of `value` sees, as plain text: trusted markup unescaped, a plain `str` as it is."""
    return unescape(value) if isinstance(value, Mrkdwn) else value


@dataclass
class Rendered:
    """A message: fallback `text` (notifications, screen readers) plus its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text = Mrkdwn.of(self.text)
        if len(self.blocks) > MESSAGE_BLOCKS_MAX:
            raise ValueError(f"{len(self.blocks)} blocks; Slack allows {MESSAGE_BLOCKS_MAX} per message")


def plain(text: str, limit: int = 3000, *, emoji: bool = True) -> dict[str, Any]:
    """A plain_text object (labels, titles, buttons, options): Slack decodes &amp; &lt; &gt; here too."""
    out: dict[str, Any] = {"type": "plain_text", "text": _clip(Mrkdwn.of(text), limit)}
    if emoji:
        out["emoji"] = True
    return out


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object (section fields, context elements)."""
    return {"type": "mrkdwn", "text": _clip(Mrkdwn.of(text))}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def section(markdown: str, **extra: Any) -> Block:
    return {"type": "section", "text": mrkdwn(markdown), **extra}


def context(*markdown: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(m) for m in markdown[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", *, style: str | None = None) -> Block:
    b: Block = {"type": "button", "text": plain(text, 75), "action_id": action_id}
    if value:
        b["value"] = value[:2000]
    if style:
        b["style"] = style
    return b


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    opt: dict[str, Any] = {"text": plain(text, 75, emoji=False), "value": value}
    if description:
        opt["description"] = plain(description, 75, emoji=False)
    return opt


def actions(*elements: Block, block_id: str | None = None) -> Block:
    b: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        b["block_id"] = block_id
    return b


def _clip(text: Mrkdwn, limit: int = SECTION_MAX) -> Mrkdwn:
    """Clipped to Slack's limit without cutting an escape (`&lt;`) in half."""
    if len(text) <= limit:
        return text
    cut = str(text)[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return Mrkdwn(cut + "…")
