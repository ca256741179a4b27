"""A typo never runs something else: an unknown sub-command of every command answers with its usage,
privately, and opens or changes nothing (issue 13, item 15)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.i18n import load_catalog
from sandbox.harness import Harness
from sandbox.slack import text_of
from schedules.checkins import tick as checkin_tick
from storage.models import CheckinPrompt, Escalation, KpiValue

SAM, JISOO = "sam@acme.example", "jisoo@hanabpo.example"


def usage_of(key: str, locale: str = "en") -> str:
    """The first line of a usage text, without its placeholders."""
    return load_catalog(locale)[key].split("\n")[0].split("{")[0].split("`")[0].strip()


async def answer(h: Harness, email: str, command: str, text: str) -> list[str]:
    """What the person saw privately: the ack's own text and any ephemeral sent after it."""
    user = h.user(email)
    before = len(h.sandbox.ephemerals(user))
    ack = await h.command(email, command, text)
    await h.settle()
    assert ack.status == 200
    seen = [text_of(m) for m in h.sandbox.ephemerals(user)[before:]]
    assert all(m.ephemeral for m in h.sandbox.ephemerals(user)[before:])
    return seen


async def changed(h: Harness) -> tuple[int, ...]:
    async with h.services.sessions() as s:
        return (await s.scalar(select(func.count()).select_from(Escalation)),
                await s.scalar(select(func.count()).select_from(KpiValue)),
                await s.scalar(select(func.count()).select_from(CheckinPrompt).where(
                    CheckinPrompt.state == "skipped")))


@pytest.mark.parametrize(("email", "command", "text", "usage_key", "locale"), [
    (JISOO, "/checkin", "skp sick", "checkins.usage", "ko"),
    (SAM, "/checkin", "help", "checkins.usage", "en"),
    (SAM, "/escalate", "frobnicate the queue", "escalations.usage.text", "en"),
    (SAM, "/kpi", "frobnicate", "kpi.usage", "en"),
    (SAM, "/kpi", "sett csat 4", "kpi.usage", "en"),
    (SAM, "/pulse", "reslts", "pulse.usage", "en"),
    (SAM, "/oneteam", "hlep", "core.help.unknown", "en"),
])
async def test_an_unknown_sub_command_answers_with_usage_and_does_nothing(
        harness: Harness, email: str, command: str, text: str, usage_key: str, locale: str) -> None:
    h = harness
    for when in (datetime(2026, 11, 19, 12, 0, tzinfo=UTC), datetime(2026, 11, 20, 7, 0, tzinfo=UTC)):
        h.clock.set(when)  # a check-in round is open, so `/checkin <anything>` could open the form
        await checkin_tick(h.services)
    before = await changed(h)
    seen = await answer(h, email, command, text)
    assert any(usage_of(usage_key, locale) in s for s in seen), seen
    assert h.sandbox.open_views(h.user(email)) == []  # no form was opened
    assert await changed(h) == before
