"""Benchmark: the weekly check-in fan-out to thousands of members, with default settings and Slack's limits.

    python bench/checkin_fanout.py            # 5,000 members (about 8 minutes: Slack's limits at scale 1)
    python bench/checkin_fanout.py --short    # 300 members (CI smoke run; one window of chat.postMessage)
    python bench/checkin_fanout.py --connect 5000   # ... of whom 5,000 are Slack Connect staff of another workspace

Everything a default install does is on: the Slack status check (profiles from `users.list`), Jira connected
(the sandbox Jira, Cloud flavour, with two open issues and one done issue for every member) and Home tabs
republished as prompts go out. The sandbox enforces Slack's documented per-method limits at scale 1 for every
method (`RateLimits()`); only the org set-up runs without them, and is not timed.

The floor is the time the tightest limit in play needs with zero latency: a sliding window of `cap` calls a
minute lets the last of `k` calls go once floor((k-1)/cap) windows have passed. Every method the fan-out
calls gets its own floor; the largest is the bench's floor (chat.postMessage's workspace cap of 600/min for
one DM per member). The Jira account ids are those an earlier round looked up (kept in the database): the
set-up looks them up, untimed, and prints what that cost; `--cold` times a first round instead.

`--connect k`: k of the members are Slack Connect staff of another workspace, on no `users.list` page. Their
profiles are read ahead of the due time by the read-ahead job (run once a minute on the fake clock from 90
minutes before; untimed, its pace is the bot's own, on that clock) and the timed fan-out reads none: the
read-ahead's floor is ceil(k/80) minutes of the bot's `users.info` pace (80 a minute, below Tier 4's 100).
The read-ahead runs at `SLACK_RATE_SCALE` 1 (the default); the timed round as in the other modes.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.instances import per_minute, window_floor
from bot.orgfile import OrgFile

FRIDAY_1600_UTC = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
OPEN_ISSUES = 2  # per member: 50 members x 2 = 100, one page of the sandbox's Cloud search cap
USERS_LIST_PAGE = 200  # what the bot asks `users.list` for


def bulk_org(n: int, *, team_key: str = "bulk", vendor: int = 0) -> OrgFile:
    """An org with one UTC team of `n` workspace members and default check-in settings (status check on); the
    first `vendor` of them are a vendor's staff (an `external_org`)."""
    people = [{"email": f"p{i:05d}@bulk.example", "name": f"Person {i}", "slack_id": f"U1{i:06d}",
               "timezone": "UTC", **({"external_org": "Vendor"} if i < vendor else {})} for i in range(n)]
    return OrgFile.model_validate({
        "organisation": {"name": "Bulk"},
        "people": people,
        "teams": [{"key": team_key, "name": "Bulk team", "kind": "internal", "timezone": "UTC",
                   "members": [p["email"] for p in people],
                   "checkins": {"time": "16:00"}}],
    })


async def run(n: int, cold: bool, connect: int = 0) -> dict[str, Any]:
    from datetime import timedelta

    from bot.checkins.fanout import open_rounds, read_profiles_ahead, send_due_prompts
    from bot.clock import FakeClock
    from bot.jira.service import open_issues_for
    from sandbox.harness import Harness
    from sandbox.slack import RateLimits

    limits = RateLimits()  # Slack's documented limits, scale 1
    limits.enabled = False  # ... but not for the org set-up, which is not timed
    clock = FakeClock(FRIDAY_1600_UTC.replace(hour=12))
    # The bot paces its own calls as by default (SLACK_RATE_SCALE 1), the set-up's limits being off or not.
    async with Harness(org=bulk_org(n, vendor=connect), clock=clock, rate_limits=limits, jira="cloud",
                       slack_rate_scale=limits.scale) as h:
        jira = h.jira
        assert jira is not None
        emails = [p.email for p in h.spec.people]
        for k, email in enumerate(emails):
            for j in range(OPEN_ISSUES):
                jira.create_issue("OPS", f"Task {k}-{j}", assignee_email=email)
            jira.create_issue("OPS", f"Finished {k}", assignee_email=email, status="Done")
        await open_rounds(h.services)
        warm_lookups = 0
        if not cold:  # the account ids an earlier round looked up and kept
            await open_issues_for(h.services, emails, 1)
            warm_lookups = jira.count("/user/search")
        ahead: list[tuple[int, int]] = []  # (minutes before 16:00, profiles read) of each read-ahead tick
        if connect:  # the read-ahead at its pace at scale 1 (the default)
            for person in h.spec.people[:connect]:
                h.sandbox.change_user(h.user(person.email), team_id="T0CONNECT")
            for minutes in range(90, 0, -1):
                clock.set(FRIDAY_1600_UTC - timedelta(minutes=minutes))
                if read := await read_profiles_ahead(h.services):
                    ahead.append((minutes, read))
        await h.settle()
        clock.set(FRIDAY_1600_UTC)
        calls_before, jira_before = len(h.sandbox.calls), len(jira.requests)
        limits.enabled = True
        h.sandbox.limiter.reset()
        started = time.perf_counter()
        await send_due_prompts(h.services)
        elapsed = time.perf_counter() - started
        calls = h.sandbox.calls[calls_before:]
        jira_requests = jira.requests[jira_before:]
        prompts = _prompts(h)
    per_user = Counter(channel for channel, _ in prompts)
    return {
        "members": n, "elapsed": elapsed, "warm_lookups": warm_lookups,
        "duplicates": sum(c - 1 for c in per_user.values() if c > 1), "missing": n - len(per_user),
        "with_tasks": sum(1 for _, has in prompts if has),
        "calls": Counter(c.method for c in calls if c.status == 200),
        "limited": Counter(c.method for c in calls if c.status == 429),
        "searches": sum(1 for r in jira_requests if "/search/jql" in r.path),
        "lookups": sum(1 for r in jira_requests if "/user/search" in r.path),
        "jira_total": len(jira_requests), "limits": limits, "ahead": ahead,
    }


def _prompts(h: Any) -> list[tuple[str, bool]]:
    """(DM channel, lists open issues) of every check-in prompt posted."""
    out = []
    for cid, msgs in h.sandbox.ws.messages.items():
        for m in msgs:
            key = ((m.metadata or {}).get("event_payload") or {}).get("key", "")
            if cid.startswith("D") and key.startswith("checkin:prompt:"):
                out.append((cid, "/browse/" in str(m.blocks)))
    return out


def floors(r: dict[str, Any]) -> list[tuple[str, int, int, float]]:
    """(method, calls made, limit per minute, floor seconds) for each method the fan-out called."""
    limits = r["limits"]
    out = []
    for method, made in sorted(r["calls"].items()):
        cap = per_minute(limits, method)
        out.append((method, made, cap, window_floor(made, cap)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--short", action="store_true", help="300 members (CI)")
    parser.add_argument("--cold", action="store_true", help="no Jira account ids kept from an earlier round")
    parser.add_argument("--connect", type=int, default=0, help="how many are Slack Connect staff (read ahead)")
    args = parser.parse_args()
    n = 300 if args.short else args.members
    connect = min(args.connect, n)
    r = asyncio.run(run(n, args.cold, connect))
    limits = r["limits"]
    pages = math.ceil(n / USERS_LIST_PAGE)
    post_floor = window_floor(n, per_minute(limits, "chat.postMessage"))
    list_floor = window_floor(pages, per_minute(limits, "users.list"))
    rows = floors(r)
    floor = max([post_floor, list_floor, *(f for m, *_, f in rows if m != "views.publish")])
    ratio = f"{r['elapsed'] / floor:.3f}" if floor else "n/a (floor 0 s: every call fits in one window)"
    jira_target = math.ceil(n / 50) + 10
    print(f"check-in fan-out: {n} members, default settings (Slack status check, Jira, Home tabs on), "
          f"Slack limits at scale {limits.scale:g}")
    print(f"  total time          {r['elapsed']:.1f} s")
    print(f"  floor               {floor:.1f} s   (the largest below)")
    print(f"    chat.postMessage  {post_floor:.1f} s = floor(({n}-1)/{limits.post_message_per_minute})*60: "
          f"one DM per member, workspace cap {limits.post_message_per_minute}/min (1/s per DM: no bound)")
    print(f"    users.list        {list_floor:.1f} s = floor(({pages}-1)/{limits.per_minute['users.list']})*60: "
          f"{pages} pages of {USERS_LIST_PAGE}, Tier 2")
    print(f"  ratio               {ratio} (target <= 1.10)")
    print(f"  duplicates          {r['duplicates']}")
    print(f"  missing             {r['missing']}")
    share = r["with_tasks"] / n if n else 0.0
    print(f"  with a task list    {r['with_tasks']} of {n} ({share:.0%}, target 100%)")
    print(f"  Jira requests       {r['jira_total']} in the round (target <= ceil({n}/50)+10 = {jira_target}): "
          f"{r['searches']} issue searches, {r['lookups']} account-id lookups")
    if not args.cold:
        print(f"                      (account ids kept from an earlier round: {r['warm_lookups']} lookups, "
              "in the untimed set-up)")
    print("  Slack calls in the round (method: calls, 429s, limit/min, that method's floor)")
    for method, made, per, secs in rows:
        print(f"    {method:<22} {made:>6} {r['limited'][method]:>6} {per:>7g}/min {secs:>7.1f} s")
    if connect:
        from bot.checkins.fanout import USERS_INFO_PER_MINUTE

        ahead, read = r["ahead"], sum(k for _, k in r["ahead"])
        pace = USERS_INFO_PER_MINUTE * limits.scale
        print(f"  Slack Connect staff {connect} (on no users.list page): profiles read ahead {read}, "
              f"users.info in the round {r['calls']['users.info']} (target 0)")
        if ahead:
            print(f"    read-ahead        from {ahead[0][0]} to {ahead[-1][0]} min before 16:00, at most "
                  f"{max(k for _, k in ahead)} a minute (the bot's pace {pace:g}/min; Tier 4 allows "
                  f"{limits.per_minute['users.info'] * limits.scale:g})")
        print(f"    read-ahead floor  {math.ceil(connect / pace) if pace else 0} min = ceil({connect}/{pace:g}): "
              "what that pace needs, all before the due time")
    if r["calls"]["views.publish"]:
        print("  (Home tabs are republished in the background at views.publish's limit: the round does not wait for\n"
              "   them, so views.publish's floor is not the round's)")
    unread = connect and sum(k for _, k in r["ahead"]) < connect
    sys.exit(0 if r["duplicates"] == 0 and r["missing"] == 0 and not unread else 1)


if __name__ == "__main__":
    main()
