"""Demo scene (last): the liaison records KPIs, the manager's Home shows them, and on Monday 09:00 in her
time zone the manager gets the weekly digest with its chart; the terminal prints the same digest."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SAM, DANA, MINJI = "sam@acme.example", "dana@acme.example", "minji@hanabpo.example"
TEAM = "care-hana"


async def scene(stage: Any) -> None:
    from bot import calendar
    from bot.digest import render
    from bot.digest.config import DigestConfig
    from bot.digest.service import digest_for, due_moment
    from sandbox.slack import text_of
    from schedules import checkins, digest

    h = stage.h
    dana_tz = h.spec.person(DANA).timezone
    moment, _ = due_moment(DigestConfig(), h.clock.now(), dana_tz)
    monday = moment + timedelta(days=7)  # Dana's next Monday 09:00
    week = calendar.week_of(monday.astimezone(moment.tzinfo).date() - timedelta(days=1))
    previous = calendar.shift(week, -1)

    stage.title("KPIs: the liaison records this week's figures")
    stage.narrate(f"Sam, the liaison for Hana BPO, records the KPIs the vendor reported for {week} (and last "
                  "week's satisfaction), then corrects a figure he typed wrong.")
    for text in (f"set csat 4.3 {TEAM} {previous}", f"set csat 4.7 {TEAM} {week}",
                 f"set first_response 34 {TEAM} {week}", f"set first_response 27 {TEAM} {week}",
                 f"set resolution_rate 81% {TEAM} {week}", "set csat eleven"):
        await h.command(SAM, "/kpi", text)
        await h.settle()  # Sam types one command after the other
    said = [text_of(m) for m in stage.show_new(SAM)]
    stage.check(any("Replaced First response time" in s and "34 min → 27 min" in s for s in said),
                "a second value for the same week replaces the first, and says so")
    stage.check(any("not a number" in s for s in said), "a value that is not a number is refused with usage")
    await h.command(MINJI, "/kpi")
    await h.settle()
    refused = [text_of(m) for m in stage.show_new(MINJI)]
    stage.check(any("담당자와 관리자만" in s for s in refused), "the vendor lead cannot use /kpi (in Korean)")
    await h.command(SAM, "/kpi")
    await h.settle()
    table = [text_of(m) for m in stage.show_new(SAM)]
    stage.check(any("Latest 4.7/5" in s and "on track" in s and "off track" in s for s in table),
                "/kpi shows latest values, targets and on/off-track status")

    stage.title("App Home: the manager's view")
    await h.driver.event({"type": "app_home_opened", "user": h.user(DANA), "tab": "home"})
    await h.settle()
    home = h.sandbox.home(h.user(DANA))
    stage.screen(stage.name(DANA), "her App Home", stage.visible(home) if home else "")
    stage.check(home is not None and "Resolution rate" in text_of(home), "Dana's Home shows Hana BPO's KPIs")

    stage.title(f"Monday 09:00 in {dana_tz}: the weekly digest")
    h.clock.set(monday)
    await digest.tick(h.services)
    await digest.tick(h.services)  # again: nothing is sent twice
    dms = [m for m in h.sandbox.dms(h.user(DANA)) if not m.is_reply and f"{week}" in text_of(m)]
    hana = [m for m in dms if "Hana BPO" in text_of(m)]
    for message in hana:
        stage.show(stage.name(DANA), "a DM", message)
    charts = [f for f in h.sandbox.files() if TEAM in f["name"] and week in f["name"]]
    stage.check(len(hana) == 1 and len(charts) == 1, "Dana got the Hana BPO digest once, with its chart")

    digest_model, png = await digest_for(h.services, TEAM, week, "en")
    path = Path(tempfile.gettempdir()) / f"oneteam-digest-{TEAM}-{week}.png"
    if png is not None:
        await asyncio.to_thread(path.write_bytes, png)
    stage.screen("the terminal", f"`oneteam digest --team {TEAM} --week {week} --png {path}`",
                 render.markdown(digest_model))
    stage.narrate(f"Chart written to {path}")
    stage.check(png is not None and path.exists(), "the digest's chart was written as a PNG")

    stage.title("Christmas in Seoul: a public holiday in Hana BPO's calendar")
    christmas = datetime(2026, 12, 25, 7, 0, tzinfo=UTC)  # Friday 16:00 in Seoul, check-in time
    seen = len(h.sandbox.dms(h.user(MINJI)))
    for when in (christmas - timedelta(hours=19), christmas):
        h.clock.set(when)
        await checkins.tick(h.services)
    stage.narrate("Friday 25 December is Christmas, a public holiday in Korea (`calendar: {country: KR}` for the "
                  "team in the org file): Hana BPO gets no check-in that week.")
    prompts = [m for m in h.sandbox.dms(h.user(MINJI))[seen:] if "checkin_start" in str(m.blocks)]
    stage.check(not prompts, "no check-in prompt in Seoul on the Korean public holiday")
