"""One message catalog for every user-facing string, in English and Korean.

Catalogs are YAML files, one per feature and locale (`bot/i18n/<locale>/<feature>.yml`); a key is
`<feature>.<path>`. Placeholders use `str.format` names. A member's Slack locale picks the language,
else the team's default, else English.

Catalog strings are trusted Slack markup: `t()` returns `Mrkdwn` with every parameter escaped (unless it is
`Mrkdwn` already), so what a person typed can never become markup. `t.plain()` is the same message as text,
for surfaces that are not Slack (Jira fields, the terminal). A message whose wording depends on a number is a
mapping of CLDR plural categories (`one`, `other`, ...) picked for `count` by the locale's plural rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_decimal
from ruamel.yaml import YAML

from bot import blocks
from bot.blocks import Mrkdwn, unescape

SUPPORTED = ("en", "ko")
DEFAULT_LOCALE = "en"
_DIR = Path(__file__).parent
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
Message = str | dict[str, str]  # a template, or plural category -> template


def is_plural(node: Any) -> bool:
    return isinstance(node, dict) and "other" in node and set(node) <= PLURAL_CATEGORIES


def _flatten(prefix: str, node: Any, out: dict[str, Message]) -> None:
    if is_plural(node):
        out[prefix] = {str(k): str(v) for k, v in node.items()}
    elif isinstance(node, dict):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = str(node)


@cache
def load_catalog(locale: str) -> dict[str, Message]:
    """All messages of one locale, keyed `feature.path`."""
    yaml = YAML(typ="safe")
    messages: dict[str, Message] = {}
    for path in sorted((_DIR / locale).glob("*.yml")):
        _flatten(path.stem, yaml.load(path.read_text(encoding="utf-8")) or {}, messages)
    return messages


def pick_locale(*candidates: str | None) -> str:
    """The first candidate we have a catalog for: 'ko-KR' -> 'ko'; unknown -> English."""
    for candidate in candidates:
        if not candidate:
            continue
        found = negotiate_locale([candidate.replace("-", "_")], list(SUPPORTED))
        if found:
            return found
    return DEFAULT_LOCALE


class Translator:
    """Looks up and formats messages for one locale, falling back to English per key."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale if locale in SUPPORTED else DEFAULT_LOCALE

    def __call__(self, key: str, **params: Any) -> Mrkdwn:
        """The message as Slack markup, its parameters escaped."""
        return Mrkdwn(self._template(key, params)).format(**params)

    def plain(self, key: str, **params: Any) -> str:
        """The message as the reader sees it, for surfaces that are not Slack (Jira, the terminal)."""
        return unescape(self(key, **params))

    def _template(self, key: str, params: dict[str, Any]) -> str:
        message = load_catalog(self.locale).get(key) or load_catalog(DEFAULT_LOCALE).get(key)
        if message is None:
            raise KeyError(f"no message {key!r} in the catalog")
        if isinstance(message, str):
            return message
        form = self._babel().plural_form(params["count"])
        return message.get(form) or message["other"]

    def when(self, value: datetime, tz: str | None = None) -> str:
        """A moment as people write it: "Mon 30 Nov 16:00", "11월 30일 (월) 16:00" (no seconds)."""
        return self.datetime(value, self._template("core.formats.when", {}), tz=tz)

    def day(self, value: date) -> str:
        """A day as people write it: "Mon 30 Nov", "11월 30일 (월)"."""
        return format_date(value, self._template("core.formats.day", {}), locale=self._babel())

    def date_token(self, value: datetime, tz: str | None = None) -> Mrkdwn:
        """A moment in a Slack message: each reader sees it in their own zone and locale; `when` otherwise."""
        return blocks.date(value, self.when(value, tz))

    def number(self, value: float, fmt: str = "#,##0.#") -> str:
        return format_decimal(value, format=fmt, locale=self._babel())

    def datetime(self, value: Any, fmt: str = "medium", tz: str | None = None) -> str:
        return format_datetime(value, format=fmt, tzinfo=get_timezone(tz) if tz else None, locale=self._babel())

    def _babel(self) -> Locale:
        try:
            return Locale.parse(self.locale)
        except UnknownLocaleError:
            return Locale.parse(DEFAULT_LOCALE)


def translator(*locales: str | None) -> Translator:
    return Translator(pick_locale(*locales))


def all_keys(locales: Iterable[str] = SUPPORTED) -> dict[str, set[str]]:
    return {loc: set(load_catalog(loc)) for loc in locales}
