"""User text is data: the builders escape plain `str`, pass `Mrkdwn` through, and never escape twice."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import blocks
from bot.blocks import Mrkdwn
from bot.i18n import translator

HOSTILE = "<!channel> <@U0X> <https://evil.example|click> & *b*"
ESCAPED = "&lt;!channel&gt; &lt;@U0X&gt; &lt;https://evil.example|click&gt; &amp; *b*"


def test_every_builder_escapes_plain_text_and_passes_markup_through() -> None:
    built = [blocks.section(HOSTILE)["text"]["text"], blocks.context(HOSTILE)["elements"][0]["text"],
             blocks.header(HOSTILE)["text"]["text"], blocks.button(HOSTILE, "a")["text"]["text"],
             blocks.option(HOSTILE, "v", HOSTILE)["text"]["text"], blocks.plain(HOSTILE)["text"],
             blocks.mrkdwn(HOSTILE)["text"], blocks.Rendered(HOSTILE).text]
    assert built == [ESCAPED] * len(built)
    assert blocks.section(Mrkdwn("<@U0SAM> *bold*"))["text"]["text"] == "<@U0SAM> *bold*"


def test_escaping_twice_is_impossible() -> None:
    once = Mrkdwn.of(HOSTILE)
    assert Mrkdwn.of(once) is once and blocks.section(once)["text"]["text"] == ESCAPED
    message = translator("en")("core.help.footer", teams=HOSTILE)
    assert blocks.Rendered(message, [blocks.section(message)]).text == "Your teams: " + ESCAPED
    assert translator("en")("core.help.footer", teams=message) == "Your teams: Your teams: " + ESCAPED


def test_combining_markup_with_plain_text_escapes_only_the_plain_part() -> None:
    bold = Mrkdwn("*{}*").format(HOSTILE)
    assert bold == f"*{ESCAPED}*" and isinstance(bold, Mrkdwn)
    assert Mrkdwn("<@U1> ") + HOSTILE == "<@U1> " + ESCAPED
    assert HOSTILE + Mrkdwn(" <@U1>") == ESCAPED + " <@U1>"  # str + Mrkdwn is Mrkdwn too
    assert Mrkdwn("\n").join([HOSTILE, Mrkdwn("<#C1>")]) == ESCAPED + "\n<#C1>"
    assert Mrkdwn("{:>3}").format(7) == "  7"
    assert isinstance(bold.replace("*", ""), Mrkdwn) and isinstance(bold[:5], Mrkdwn)


def test_the_bots_own_tokens_escape_what_they_carry() -> None:
    assert blocks.mention("U0SAM") == "<@U0SAM>" and blocks.channel_link("C0HANA") == "<#C0HANA>"
    assert blocks.mentions(["U1", "", "U2"]) == "<@U1>, <@U2>"
    assert blocks.link("https://x.example/a b|c", "<b> & co") == "<https://x.example/a%20b%7Cc|&lt;b&gt; &amp; co>"
    when = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert blocks.date(when, "<soon>") == f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|&lt;soon&gt;>"


def test_clipping_never_cuts_an_escape_in_half() -> None:
    text = blocks.section("x" * 2996 + "<<<<")["text"]["text"]
    assert len(text) <= blocks.SECTION_MAX and text.endswith("x…")


def test_the_demo_prints_markup_as_people_read_it() -> None:
    assert blocks.as_seen(Mrkdwn("Due <!date^1^{date_short_pretty} {time}|Mon 30 Nov 16:00> &lt;b&gt;")) == \
        "Due Mon 30 Nov 16:00 <b>"
