"""The digest's two renderings keep what people typed as text, and its dates read naturally."""

from __future__ import annotations

from bot.blocks import Mrkdwn
from bot.digest import render
from bot.digest.model import Digest, Item, Section
from bot.digest.service import digest_for
from bot.i18n import translator
from bot.services import Services

TYPED = "<!here> [click](https://evil.example) *b* _i_ `x` & #1\n# not a heading"


def _digest() -> Digest:
    t = translator("en")
    section = Section("checkins", t("digest.checkins.title"),
                      (Item(t("digest.checkins.blockers"), "1", t("digest.delta", delta=TYPED)),), (TYPED,))
    return Digest("care-hana", TYPED, "2026-W47", t("digest.title", team=TYPED, week="2026-W47"), "period",
                  (section,))


def test_markdown_escapes_its_specials_and_keeps_typed_text_on_its_line() -> None:
    markdown = render.markdown(_digest())
    assert r"\<\!here\> \[click\](https://evil.example) \*b\* \_i\_ \`x\` \& \#1 \# not a heading" in markdown
    assert "\n# not" not in markdown and "&lt;" not in markdown  # Slack's escapes are undone, Markdown's applied


def test_slack_rendering_escapes_once() -> None:
    message = render.slack(_digest())
    body = message.blocks[2]["text"]["text"]
    assert isinstance(body, Mrkdwn) and "&lt;!here&gt;" in body and "&amp;lt;" not in body
    assert message.text == "Weekly digest: &lt;!here&gt; [click](https://evil.example) *b* _i_ `x` &amp; #1\n" \
                           "# not a heading, 2026-W47"


async def test_the_period_reads_naturally_in_both_languages(services: Services) -> None:
    korean, _ = await digest_for(services, "care-hana", "2026-W47", "ko")
    assert korean.period == "11월 16일 (월) ~ 11월 22일 (일) (Asia/Seoul)"
    english, _ = await digest_for(services, "care-hana", "2026-W47", "en")
    assert english.period == "Mon 16 Nov to Sun 22 Nov (Asia/Seoul)"
