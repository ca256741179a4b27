"""One message catalog for every user-facing string, in English and Korean.

Catalogs are YAML files, one per feature and locale (`bot/i18n/<locale>/<feature>.yml`); a key is
`<feature>.<path>`. Placeholders use `str.format` names. A member's Slack locale picks the language,
else the team's default, else English.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_datetime, get_timezone
from babel.numbers import format_decimal
from ruamel.yaml import YAML

SUPPORTED = ("en", "ko")
DEFAULT_LOCALE = "en"
_DIR = Path(__file__).parent


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = str(node)


@cache
def load_catalog(locale: str) -> dict[str, str]:
    """All messages of one locale, keyed `feature.path`."""
    yaml = YAML(typ="safe")
    messages: dict[str, str] = {}
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

    def __call__(self, key: str, **params: Any) -> str:
        template = load_catalog(self.locale).get(key) or load_catalog(DEFAULT_LOCALE).get(key)
        if template is None:
            raise KeyError(f"no message {key!r} in the catalog")
        return template.format(**params) if params else template

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
