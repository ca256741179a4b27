"""Benchmark: `oneteam run` starting with a large org file that it applied before, unchanged.

    python bench/startup.py            # 10,000 people
    python bench/startup.py --short    # CI: 1,000 people

`oneteam run` runs as its own process (HTTP mode, SQLite, default settings) against the sandbox, which
enforces Slack's per-method limits at scale 1 (users.list: Tier 2, 20 calls/min, 200 people a page;
users.lookupByEmail: Tier 3). The first start applies the file (a new org: timed for contrast, not the
target); it is stopped and started again with the same file. Prints, for each start: the time from
spawning the process to `/healthz` answering, to the org step being done (applied, or skipped as
unchanged), and the Slack calls made for the org (users.*). Targets for the unchanged start: healthy and
done in < 5 s, 0 Slack calls for the org. The floor for the unchanged start is 0 calls; for the first
apply it is ceil(people / 200) users.list pages at 20/min (the first 20 at once).
Exit 1 only if a start fails or the unchanged start reads the Slack directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: sandbox/ is not installed

import aiohttp
from ruamel.yaml import YAML

from bot.orgfile import load
from sandbox.harness import SIGNING_SECRET, populate_workspace
from sandbox.slack import RateLimits, SlackSandbox

ORG_DONE = ("org applied", "org unchanged: not applied")
ORG_METHODS = ("users.list", "users.lookupByEmail", "users.info")
PAGE = 200  # users.list page size the bot asks for


def write_org(path: Path, people: int) -> None:
    """One vendor team of `people` agents and an internal lead, every person with a Slack id."""
    rows = [{"email": "lead@acme.example", "name": "Lead", "slack_id": "U0LEAD", "timezone": "America/New_York"}]
    rows += [{"email": f"agent{i}@vendor.example", "name": f"Agent {i}", "slack_id": f"U{i:07d}",
              "timezone": "Asia/Seoul"} for i in range(people - 1)]
    org = {"organisation": {"name": "Startup"}, "people": rows,
           "teams": [{"key": "vendor", "name": "Vendor", "kind": "vendor", "vendor": "BPO", "timezone": "Asia/Seoul",
                      "channel": "C0VEN", "members": [{"email": "lead@acme.example", "roles": ["liaison"]}]
                      + [r["email"] for r in rows[1:]]}]}
    with path.open("w") as f:
        YAML().dump(org, f)


async def start(env: dict[str, str], sandbox: SlackSandbox) -> dict[str, float]:
    """Spawns `oneteam run`, times it to /healthz and to the org step, then stops it with SIGTERM."""
    before = len(sandbox.calls)
    spawned = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0", env=env,
        stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL)
    healthy = org_done = float("nan")
    applied = False
    try:
        async with asyncio.timeout(900), aiohttp.ClientSession() as http:
            while math.isnan(org_done):
                line = await proc.stderr.readline()
                if not line:
                    raise RuntimeError("oneteam run exited during start-up")
                if not line.startswith(b"{"):
                    continue
                entry = json.loads(line)
                if entry["event"] == "listening":
                    async with http.get(entry["url"] + "/healthz") as resp:
                        resp.raise_for_status()
                    healthy = time.monotonic() - spawned
                elif entry["event"] in ORG_DONE:
                    org_done = time.monotonic() - spawned
                    applied = entry["event"] == "org applied"
        proc.send_signal(signal.SIGTERM)
        await proc.stderr.read()
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    calls = Counter(c.method for c in sandbox.calls[before:])
    return {"healthy": healthy, "org_done": org_done, "applied": float(applied),
            "org_calls": float(sum(calls[m] for m in ORG_METHODS)), "users_list": float(calls["users.list"]),
            "all_calls": float(sum(calls.values()))}


async def run(people: int) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="oneteam-startup-"))
    org_file = tmp / "org.yml"
    write_org(org_file, people)
    spec = load(org_file)
    async with SlackSandbox(signing_secret=SIGNING_SECRET, rate_limits=RateLimits()) as sandbox:
        populate_workspace(sandbox, spec)
        workspace = len(sandbox.ws.users)  # the org's people and the bot user
        env = {**os.environ, "SLACK_BOT_TOKEN": sandbox.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": sandbox.base_url, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'startup.db'}",
               "ONETEAM_SECRET": "startup", "ONETEAM_ORG": str(org_file), "ONETEAM_LOG_LEVEL": "INFO"}
        env.pop("SLACK_APP_TOKEN", None)
        first = await start(env, sandbox)
        second = await start(env, sandbox)
    pages = math.ceil(workspace / PAGE)
    first_floor = max(0, math.ceil((pages - 20) / 20)) * 60.0
    print(f"oneteam run start-up: {people:,} people in the org file, `oneteam run` as its own process (SQLite, "
          f"default settings), Slack limits at scale 1")
    print(f"  {'':34} {'first (new org)':>16} {'unchanged':>10} {'target':>10}")
    print(f"  {'spawn to /healthz':34} {first['healthy']:>15.1f}s {second['healthy']:>9.1f}s {'< 5 s':>10}")
    print(f"  {'spawn to org step done':34} {first['org_done']:>15.1f}s {second['org_done']:>9.1f}s {'< 5 s':>10}")
    print(f"  {'org applied':34} {'yes' if first['applied'] else 'no':>16} "
          f"{'yes' if second['applied'] else 'no':>10} {'no':>10}")
    print(f"  {'Slack calls for the org (users.*)':34} {first['org_calls']:>16.0f} {second['org_calls']:>10.0f} "
          f"{'0':>10}")
    print(f"  {'  of which users.list pages':34} {first['users_list']:>16.0f} {second['users_list']:>10.0f}")
    print(f"  {'all Slack calls (auth.test too)':34} {first['all_calls']:>16.0f} {second['all_calls']:>10.0f}")
    print("  floor: unchanged start 0 calls for the org; the first apply reads "
          f"ceil({workspace:,} users / {PAGE}) = {pages} users.list pages at Tier 2 (20/min, the first 20 at once): "
          f">= {first_floor:.0f} s of waiting")
    ok = not math.isnan(second["org_done"]) and not second["applied"] and second["org_calls"] == 0
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--short", action="store_true", help="1,000 people (CI)")
    args = parser.parse_args()
    sys.exit(asyncio.run(run(1_000 if args.short else args.people)))


if __name__ == "__main__":
    main()
