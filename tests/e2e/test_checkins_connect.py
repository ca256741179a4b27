"""Slack Connect staff of another workspace are on no `users.list` page: their profiles are read ahead of
their prompts' due time, paced below `users.info`'s limit, so the fan-out at the due time reads none (issue 14)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench.checkin_fanout import FRIDAY_1600_UTC
from bot.checkins.fanout import PROFILE_FRESH, USERS_INFO_PER_MINUTE, open_rounds, read_profiles_ahead, send_due_prompts
from bot.orgfile import OrgFile
from sandbox.harness import Harness
from sandbox.slack import text_of

VENDOR_WORKSPACE = "T0VENDOR"


def connect_org(n: int) -> OrgFile:
    """One UTC team of `n` vendor staff (default check-in settings: Slack status checked)."""
    people = [{"email": f"c{i:05d}@vendor.example", "name": f"Agent {i}", "slack_id": f"U2{i:06d}",
               "timezone": "UTC", "external_org": "Vendor"} for i in range(n)]
    return OrgFile.model_validate({
        "organisation": {"name": "Connect"},
        "people": people,
        "teams": [{"key": "care", "name": "Care", "kind": "vendor", "vendor": "Vendor", "timezone": "UTC",
                   "members": [p["email"] for p in people], "checkins": {"time": "16:00"}}],
    })


def prompts_to(h: Harness, email: str) -> list:
    return [m for m in h.sandbox.dms(h.user(email)) if "checkin_start" in str(m.blocks)]


def away_notes_to(h: Harness, email: str) -> list:
    return [m for m in h.sandbox.dms(h.user(email)) if "away" in text_of(m).lower()]


async def read_ahead_until_due(h: Harness) -> list[int]:
    """The read-ahead job's ticks, once a minute, from 90 minutes before 16:00 to 15:59: how many each read."""
    read = []
    for minutes in range(90, 0, -1):
        h.clock.set(FRIDAY_1600_UTC - timedelta(minutes=minutes))
        read.append(await read_profiles_ahead(h.services))
    return read


@pytest.fixture
async def connect_h(clock, database_url):
    """Makes a harness with `n` vendor staff (Slack Connect ones unless `connect` is False) whose round is open."""
    opened: list[Harness] = []

    async def make(n: int, *, connect: bool = True) -> Harness:
        clock.set(FRIDAY_1600_UTC - timedelta(hours=4))
        h = Harness(org=connect_org(n), clock=clock, database_url=database_url)
        await h.__aenter__()
        opened.append(h)
        for i in range(n if connect else 0):  # staff of a Slack Connect workspace: on no users.list page
            h.sandbox.change_user(h.user(f"c{i:05d}@vendor.example"), team_id=VENDOR_WORKSPACE)
        # the bot paces itself at Slack's documented limits (scale 1) on the fake clock; the sandbox's limits
        # run on the real clock, so they stay off here and the test checks the pace per fake minute
        h.services.settings = h.services.settings.model_copy(update={"slack_rate_scale": 1.0})
        await open_rounds(h.services)
        return h

    yield make
    for h in opened:
        await h.__aexit__(None, None, None)


async def test_connect_profiles_are_read_ahead_so_the_fanout_makes_no_users_info_call(connect_h):
    h = await connect_h(150)
    away = "c00000@vendor.example"
    h.sandbox.change_user(h.user(away), status_emoji=":palm_tree:")  # before the read-ahead, no event
    before = len(h.sandbox.calls_to("users.info"))  # the org set-up's
    per_minute = await read_ahead_until_due(h)

    reads = h.sandbox.calls_to("users.info")[before:]
    assert {c.args["user"] for c in reads} == {h.user(f"c{i:05d}@vendor.example") for i in range(150)}
    assert len(reads) == sum(per_minute) == 150 and all(c.status == 200 for c in reads)
    assert max(per_minute) <= USERS_INFO_PER_MINUTE < 100  # below users.info's 100 a minute
    assert per_minute[-1] == 0  # all read before 16:00 (and as late as their number allows)

    h.clock.set(FRIDAY_1600_UTC)
    await send_due_prompts(h.services)
    assert len(h.sandbox.calls_to("users.info")) == before + 150  # the fan-out read none
    assert not prompts_to(h, away) and away_notes_to(h, away)
    assert all(len(prompts_to(h, f"c{i:05d}@vendor.example")) == 1 for i in range(1, 150))


async def test_a_stale_snapshot_falls_back_to_users_info_at_send_time(connect_h):
    h = await connect_h(5)
    await read_ahead_until_due(h)
    reads = len(h.sandbox.calls_to("users.info"))
    away = "c00001@vendor.example"
    h.sandbox.change_user(h.user(away), status_emoji=":palm_tree:")  # after the read-ahead, no event
    h.clock.set(FRIDAY_1600_UTC + PROFILE_FRESH + timedelta(minutes=1))  # the bot was down past the window
    await send_due_prompts(h.services)
    assert len(h.sandbox.calls_to("users.info")) == reads + 5
    assert not prompts_to(h, away) and away_notes_to(h, away)
    assert all(len(prompts_to(h, f"c{i:05d}@vendor.example")) == 1 for i in (0, 2, 3, 4))


async def test_a_user_change_event_refreshes_the_snapshot(connect_h):
    h = await connect_h(5)
    await read_ahead_until_due(h)
    reads = len(h.sandbox.calls_to("users.info"))
    away = "c00002@vendor.example"
    ack = await h.driver.user_change(h.user(away), status_emoji=":palm_tree:")
    await h.settle()
    assert ack.ok
    h.clock.set(FRIDAY_1600_UTC)
    await send_due_prompts(h.services)
    assert len(h.sandbox.calls_to("users.info")) == reads
    assert not prompts_to(h, away) and away_notes_to(h, away)
    assert all(len(prompts_to(h, f"c{i:05d}@vendor.example")) == 1 for i in (0, 1, 3, 4))


async def test_a_zone_move_seen_in_the_snapshot_moves_the_prompt_to_the_new_local_time(connect_h):
    h = await connect_h(5)
    moved = "c00003@vendor.example"
    h.sandbox.change_user(h.user(moved), tz="America/Los_Angeles")  # no event reaches the bot
    await read_ahead_until_due(h)
    reads = len(h.sandbox.calls_to("users.info"))
    h.clock.set(FRIDAY_1600_UTC)
    await send_due_prompts(h.services)
    assert len(h.sandbox.calls_to("users.info")) == reads
    assert not prompts_to(h, moved) and all(len(prompts_to(h, f"c{i:05d}@vendor.example")) == 1 for i in (0, 1, 2, 4))

    h.clock.set(FRIDAY_1600_UTC + timedelta(hours=8))  # 16:00 in Los Angeles
    await send_due_prompts(h.services)
    assert len(prompts_to(h, moved)) == 1


async def test_vendor_staff_with_accounts_in_the_workspace_are_read_ahead_once_only(connect_h):
    """Their pages serve at send time: one read tells the read-ahead they are listed, and it stops."""
    h = await connect_h(5, connect=False)
    before = len(h.sandbox.calls_to("users.info"))
    assert sum(await read_ahead_until_due(h)) == 5
    h.clock.set(FRIDAY_1600_UTC)
    await send_due_prompts(h.services)
    assert len(h.sandbox.calls_to("users.info")) == before + 5
    assert all(len(prompts_to(h, f"c{i:05d}@vendor.example")) == 1 for i in range(5))
