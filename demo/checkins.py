"""Demo scene: a check-in round in two time zones, answers, a reminder and a blocker reaching the liaison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

MINJI, JISOO, PRIYA, SAM = "minji@hanabpo.example", "jisoo@hanabpo.example", "priya@acme.example", "sam@acme.example"


def _next_thursday_noon(now: datetime) -> datetime:
    day = now.astimezone(UTC).date() + timedelta(days=1)
    while day.weekday() != 3:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


async def _answer(stage: Any, email: str, **inputs: Any) -> Any:
    h = stage.h
    prompt = next(m for m in reversed(h.sandbox.dms(h.user(email))) if "checkin_start" in str(m.blocks))
    await h.driver.block_action(h.user(email), "checkin_start", message=prompt)
    await h.settle()
    view = h.sandbox.open_views(h.user(email))[-1]
    ack = await h.driver.submit_view(h.user(email), view, inputs={f"q_{k}": v for k, v in inputs.items()})
    await h.settle()
    return ack


async def scene(stage: Any) -> None:
    from schedules.checkins import tick

    h = stage.h
    thursday = _next_thursday_noon(h.clock.now())
    friday = thursday + timedelta(days=1)
    stage.title("Weekly check-in: 16:00 on Friday, in each member's own time zone")
    h.clock.set(thursday)
    await tick(h.services)
    h.clock.set(friday.replace(hour=7))
    await tick(h.services)
    stage.narrate("07:00 UTC is 16:00 in Seoul: the Hana BPO team is prompted; New York is still at 02:00.")
    stage.show_new(MINJI)
    stage.check(bool(stage.show_new(JISOO)) and not h.sandbox.dms(h.user(PRIYA)),
                "Seoul members prompted at their 16:00, New York not yet")

    bad = await _answer(stage, MINJI, done="FAQ 배포", next="", mood=9)
    stage.screen(stage.name(MINJI), "errors in the form", "\n".join((bad.body or {}).get("errors", {}).values()))
    stage.check((bad.body or {}).get("response_action") == "errors", "a mood of 9 and a missing answer are refused")
    await _answer(stage, MINJI, done="FAQ 배포 완료", next="신규 상담원 교육", mood=4,
                  blockers="환불 정책 문서 접근 권한을 기다리는 중",
                  other_side="새 환불 매크로 초안을 금요일까지 검토해 주세요")
    stage.show_new(MINJI)
    sam = stage.show_new(SAM)
    stage.check(any("blocker_escalate" in str(m.blocks) for m in sam), "the blocker reached the liaison, Sam")
    stage.check(any("새 환불 매크로" in stage.visible(m) for m in sam),
                "Min-ji's note for the other side reached Sam, the internal liaison")

    h.clock.set(friday.replace(hour=21))
    await tick(h.services)
    stage.narrate("21:00 UTC is 16:00 in New York: Priya is prompted now.")
    stage.check(bool(stage.show_new(PRIYA)), "New York member prompted at her 16:00")
    await _answer(stage, PRIYA, done="Closed 40 tickets", next="Quality review with Hana", mood=5)

    h.clock.set(friday.replace(hour=23))
    await tick(h.services)
    h.clock.set(friday.replace(hour=23) + timedelta(days=2))
    await tick(h.services)
    stage.narrate("Ji-soo has not answered; 16:00 + 4 h is 20:00 in Seoul, outside 08:00-20:00, and the weekend "
                  "is not a working day, so the reminder waits for 08:00 Monday (23:00 UTC on Sunday).")
    stage.check(any("checkin_snooze_hour" in str(m.blocks) for m in stage.show_new(JISOO)),
                "one reminder, with snooze buttons, at 08:00 local")
    parent = h.sandbox.channel_messages("C0HANA")
    thread = h.sandbox.channel_messages("C0HANA", thread_ts=parent[-1].ts) if parent else []
    if parent:
        stage.show("#care-hana", "the check-in summary", parent[-1])
        for reply in thread:
            stage.show("#care-hana", "a reply in the thread", reply)
    stage.check(len(thread) == 1, "the summary thread in the team channel holds Min-ji's answers")
