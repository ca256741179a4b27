import string

from bot.i18n import SUPPORTED, load_catalog, pick_locale, translator


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_locale_has_every_key_with_the_same_placeholders() -> None:
    english = load_catalog("en")
    assert english, "the English catalog is empty"
    for locale in SUPPORTED:
        catalog = load_catalog(locale)
        assert set(catalog) == set(english), f"{locale} differs: {set(catalog) ^ set(english)}"
        for key, template in catalog.items():
            assert _fields(template) == _fields(english[key]), f"{locale}:{key} placeholders differ"


def test_slack_locale_wins_then_team_default_then_english() -> None:
    assert pick_locale("ko-KR", "en") == "ko"
    assert pick_locale(None, "ko") == "ko"
    assert pick_locale("fr-FR", None) == "en"
    assert translator("ko-KR")("core.help.footer", teams="A") == "소속 팀: A"
