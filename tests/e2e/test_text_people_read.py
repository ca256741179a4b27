"""Text people read, end to end: usage placeholders stay visible, moments are Slack date tokens with a
natural fallback (no seconds; Korean as Koreans write it), and counts use the language's plural forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sandbox.harness import Harness
from sandbox.slack import text_of
from schedules.checkins import tick as checkin_tick
from schedules.pulse import tick as pulse_tick

SAM, MINJI, PRIYA = "sam@acme.example", "minji@hanabpo.example", "priya@acme.example"
DATE_TOKEN = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|([^>]+)>")
KOREAN_WHEN = re.compile(r"^\d{1,2}월 \d{1,2}일 \([월화수목금토일]\) \d{2}:\d{2}$")
SECONDS = re.compile(r"\d:\d\d:\d\d")


async def _ephemeral(h: Harness, email: str, command: str, text: str) -> str:
    await h.command(email, command, text)
    await h.settle()
    return text_of(h.sandbox.ephemerals(h.user(email))[-1])


async def test_usage_placeholders_are_visible_in_both_languages(harness: Harness) -> None:
    english = await _ephemeral(harness, SAM, "/kpi", "set")
    assert "/kpi set ‹kpi› ‹value› [team] [week]" in english
    korean = await _ephemeral(harness, MINJI, "/kpi", "set")
    assert "/kpi set ‹kpi› ‹값› [팀] [주]" in korean
    help_text = await _ephemeral(harness, SAM, "/oneteam", "help")
    assert "/escalate P2 ‹summary›" in help_text
    for text in (english, korean, help_text):
        assert not re.search(r"<(?![!@#]|https?:)", text), text  # nothing Slack would swallow as a link


async def test_moments_are_date_tokens_with_a_natural_fallback(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 11, 20, 7, 0, tzinfo=UTC))  # Friday 16:00 in Seoul: the check-in prompt
    await checkin_tick(h.services)
    prompt = next(m for m in h.sandbox.dms(h.user(MINJI)) if "checkin_start" in str(m.blocks))
    [(closes, closes_text)] = DATE_TOKEN.findall(text_of(prompt))
    assert datetime.fromtimestamp(int(closes), UTC) > h.clock.now() and KOREAN_WHEN.match(closes_text)

    h.clock.set(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))  # Tue 08:30 Seoul, Mon 18:30 New York: invitations go
    await pulse_tick(h.services)
    invite = next(m for m in h.sandbox.dms(h.user(MINJI)) if "pulse_open" in str(m.blocks))
    [(stamp, fallback)] = DATE_TOKEN.findall(text_of(invite).split("\n")[0])
    assert KOREAN_WHEN.match(fallback), fallback  # e.g. "11월 23일 (월) 09:00", not "월 23 11월"
    assert int(stamp) > h.clock.now().timestamp()  # when the survey closes
    assert not SECONDS.search(text_of(invite))
    english = next(m for m in h.sandbox.dms(h.user(PRIYA)) if "pulse_open" in str(m.blocks))
    [(_, fallback_en)] = DATE_TOKEN.findall(text_of(english).split("\n")[0])
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{2}:\d{2}", fallback_en), fallback_en


async def test_counts_use_plural_forms(harness: Harness) -> None:
    h = harness
    await h.command(SAM, "/escalate", "P3 team:care-hana Macro typo in the refund reply")
    await h.settle()
    assert "1 open escalation in your teams" in await _ephemeral(h, SAM, "/escalate", "list")
    await h.command(SAM, "/escalate", "P3 team:care-hana Second typo")
    await h.settle()
    assert "2 open escalations in your teams" in await _ephemeral(h, SAM, "/escalate", "list")
    assert "내 팀의 열린 에스컬레이션 2건" in await _ephemeral(h, MINJI, "/escalate", "list")
