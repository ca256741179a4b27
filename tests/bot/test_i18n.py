import string
from datetime import UTC, datetime

from bot.blocks import Mrkdwn
from bot.i18n import SUPPORTED, Message, load_catalog, pick_locale, translator


def _fields(message: Message) -> set[str]:
    forms = message.values() if isinstance(message, dict) else [message]
    return {f for form in forms for _, f, _, _ in string.Formatter().parse(form) if f}


def _forms(message: Message) -> list[str]:
    return list(message.values()) if isinstance(message, dict) else [message]


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


def test_no_catalog_string_holds_an_angle_bracket_slack_would_swallow() -> None:
    """Slack reads `<...>` as a link or mention even inside backticks; links and mentions come from the
    helpers in bot/blocks.py, so catalogs never need one."""
    swallowed = [f"{locale}:{key}: {form}" for locale in SUPPORTED for key, message in load_catalog(locale).items()
                 for form in _forms(message) if "<" in form]
    assert not swallowed, "\n".join(swallowed)
    usage = translator("ko")("kpi.errors.set_usage")
    assert "/kpi set ‹kpi› ‹값› [팀] [주]" in usage
    assert "/escalate P2 ‹summary›" in translator("en")("core.help.commands")


def test_plural_forms_follow_each_languages_rules() -> None:
    en, ko = translator("en"), translator("ko")
    assert en("escalations.list.title", count=1) == "1 open escalation in your teams"
    assert en("escalations.list.title", count=3) == "3 open escalations in your teams"
    assert en("kpi.last_weeks", count=1, values="W47 4") == "Last week: W47 4"
    assert "answer," in en("pulse.results.side_vendor", count=1, enps="+5")
    assert "answers," in en("pulse.results.side_vendor", count=5, enps="+5")
    assert ko("escalations.list.title", count=1) == "내 팀의 열린 에스컬레이션 1건"  # Korean has one form
    assert ko("escalations.list.title", count=3) == "내 팀의 열린 에스컬레이션 3건"
    plural_keys = {k for k, m in load_catalog("en").items() if isinstance(m, dict)}
    assert {"escalations.list.title", "pulse.results.summary", "kpi.last_weeks"} <= plural_keys
    assert all("count" in _fields(load_catalog(loc)[k]) for loc in SUPPORTED for k in plural_keys)
    no_parenthesised_plural = [f"{loc}:{k}" for loc in SUPPORTED for k, m in load_catalog(loc).items()
                               for form in _forms(m) if "(s)" in form]
    assert not no_parenthesised_plural


def test_messages_escape_their_parameters_once_and_plain_gives_the_text_back() -> None:
    t = translator("en")
    hostile = "<!channel> & <@U0X>"
    message = t("core.help.footer", teams=hostile)
    assert isinstance(message, Mrkdwn) and message == "Your teams: &lt;!channel&gt; &amp; &lt;@U0X&gt;"
    assert t("core.help.footer", teams=Mrkdwn("<#C1>")) == "Your teams: <#C1>"  # trusted markup passes through
    assert t.plain("core.help.footer", teams=hostile) == "Your teams: <!channel> & <@U0X>"


def test_dates_read_naturally_without_seconds_in_both_languages() -> None:
    when = datetime(2026, 11, 30, 7, 0, 31, tzinfo=UTC)
    assert translator("ko").when(when, "Asia/Seoul") == "11월 30일 (월) 16:00"
    assert translator("en").when(when, "Asia/Seoul") == "Mon 30 Nov 16:00"
    token = translator("ko").date_token(when, "Asia/Seoul")
    assert token == f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|11월 30일 (월) 16:00>"
