"""`kill -9` in the middle of the weekly check-in fan-out, then a restart: nothing lost, nothing sent twice,
and the rest resumes within the leader take-over time.

A real `oneteam run` process (HTTP mode, SQLite by default) against the sandbox Slack enforcing Slack's
documented per-method limits at scale 1, with default settings (Slack status read before each prompt, the
channel summary on, Home tabs on; Jira is not connected: bench/checkin_fanout.py measures it). The team's
check-in falls due as the process starts; once a third of the members have their prompt, the process is
killed with SIGKILL and started again on the same database, and the run waits until everyone has one.

Prints: duplicates and missing prompts (both must be 0: exit 1 otherwise), the time from the restart to the
first prompt sent after it (target <= 15 s), and the total time against the fan-out's floor. The floor is
measured, not assumed: for every Slack method called (the calls Slack accepted, without App Home's
views.publish, which is refreshed behind the prompts), N calls in a sliding window of C calls per minute take
at least floor((N - 1) / C) minutes (chat.postMessage also 1/s per channel: one prompt per person, no wait);
the floor is the largest of those. Every chat.postMessage counts, prompts or not (pulse invitations and a
digest of a default install share the workspace cap), and so does every users.list page (the org applied at
each start shares Tier 2 with the profiles the fan-out reads).

    python bench/crash_recovery.py                # 5,000 members, SQLite
    python bench/crash_recovery.py --postgres     # two instances on PostgreSQL (ONETEAM_TEST_PG); the
                                                  # leader is killed, the follower takes over, then it restarts
    python bench/crash_recovery.py --short        # CI: 300 members
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
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: sandbox/ is not installed

from instances import per_minute, window_floor
from ruamel.yaml import YAML

from bot.org.service import apply_org
from bot.orgfile import load
from sandbox.databases import scratch_postgres
from sandbox.harness import SIGNING_SECRET
from sandbox.slack import ApiCall, RateLimits, SlackSandbox
from storage.db import Database
from storage.milestones import FIRST_START
from storage.models import Milestone

TARGET_RESUME = 15.0  # seconds: the leader take-over time (bot/server.py LEADER_RETRY_SECONDS)
NOT_PROMPT_PATH = {"views.publish", "auth.test"}  # App Home (refreshed behind the prompts), start-up
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def write_org(path: Path, members: int, due: datetime) -> None:
    """One UTC team of `members` people whose check-in falls due at `due`, summary in its channel."""
    people = [{"email": "lead@acme.example", "name": "Lead", "slack_id": "U0LEAD", "timezone": "UTC"}]
    people += [{"email": f"p{i:05d}@bulk.example", "name": f"Person {i}", "slack_id": f"U1{i:06d}",
                "timezone": "UTC"} for i in range(members)]
    org = {
        "organisation": {"name": "Crash"},
        "people": people,
        "teams": [{"key": "bulk", "name": "Bulk team", "kind": "internal", "timezone": "UTC", "channel": "C0BULK",
                   "members": [{"email": "lead@acme.example", "roles": ["manager"]}]
                   + [p["email"] for p in people[1:]],
                   "checkins": {"weekday": WEEKDAYS[due.weekday()], "time": due.strftime("%H:%M"),
                                "summary_in_channel": True}}],
    }
    with path.open("w") as f:
        YAML().dump(org, f)


class Instance:
    """One `oneteam run` process, which the bench may kill with SIGKILL."""

    def __init__(self, proc: asyncio.subprocess.Process, drain: asyncio.Task[bytes]) -> None:
        self.proc, self.drain = proc, drain

    @classmethod
    async def start(cls, env: dict[str, str], wait_for: str = "listening") -> Instance:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0", env=env,
            stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL)
        assert proc.stderr is not None
        seen: set[str] = set()
        async with asyncio.timeout(600):
            while wait_for not in seen:
                line = await proc.stderr.readline()
                if not line:
                    raise RuntimeError("oneteam run exited during start-up")
                if line.startswith(b"{"):
                    seen.add(json.loads(line)["event"])
        return cls(proc, asyncio.create_task(proc.stderr.read()))  # keep draining the log

    async def reap(self) -> None:
        """After the SIGKILL."""
        await self.proc.wait()
        self.drain.cancel()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()
        self.drain.cancel()


class Prompts(list[ApiCall]):
    """The sandbox's record of Web API calls (it replaces `sandbox.calls`), which also notes every check-in
    prompt Slack accepted and kills the leader the moment the `kill_at`-th is recorded: the message is in
    Slack, the process never hears back, as in a crash mid-send."""

    def __init__(self, kill_at: int) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.sent: list[tuple[float, str]] = []  # (sandbox time, person)
        self.victim: int | None = None  # pid
        self.killed = asyncio.Event()

    def append(self, call: ApiCall) -> None:
        super().append(call)
        if call.method != "chat.postMessage" or call.status != 200 or call.error is not None:
            return
        key = ((call.args.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        if not str(key).startswith("checkin:prompt:"):
            return
        self.sent.append((call.time, str(call.args.get("channel"))))
        if len(self.sent) == self.kill_at and self.victim is not None:
            os.kill(self.victim, signal.SIGKILL)
            self.killed.set()

    def arm(self, pid: int) -> None:
        self.victim = pid
        if len(self.sent) >= self.kill_at and not self.killed.is_set():  # (the fan-out outran the start-up)
            os.kill(pid, signal.SIGKILL)
            self.killed.set()

    def people(self) -> int:
        return len({p for _, p in self.sent})


def floor_seconds(sandbox: SlackSandbox, limits: RateLimits, since: float, prompts: int) -> tuple[float, list[str]]:
    """The fan-out's floor from the limits of the methods it used, and how each was derived. Every
    chat.postMessage shares the workspace cap, so the other messages a default install sends meanwhile (pulse
    invitations, a digest) count too."""
    counts = Counter(c.method for c in sandbox.calls if c.time >= since and c.status == 200 and c.error is None)
    lines, floor = [], 0.0
    for method, n in sorted(counts.items()):
        cap = per_minute(limits, method)
        seconds = window_floor(n, cap)
        counted = method not in NOT_PROMPT_PATH
        if counted:
            floor = max(floor, seconds)
        note = f"  ({prompts} of them prompts)" if method == "chat.postMessage" else \
            "" if counted else "  (not on the prompts path)"
        lines.append(f"    {method:<24} {n:>6} calls at {cap:>4}/min -> {seconds:>6.0f} s{note}")
    return floor, lines


async def wait_until(condition: Callable[[], bool], limit: float) -> None:
    """Polls what the sandbox recorded (it runs in this process)."""
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.1)


async def run(members: int, postgres: bool, limit: float) -> int:
    pg = os.environ.get("ONETEAM_TEST_PG")
    if postgres and not pg:
        print("--postgres needs ONETEAM_TEST_PG (an admin URL of a PostgreSQL server)")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="oneteam-crash-"))
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0)
    org_file = tmp / "org.yml"
    write_org(org_file, members, due)
    spec = load(org_file)
    limits = RateLimits(enabled=False)  # scale 1; on once the org is set up, as in production
    async with AsyncExitStack() as stack:
        sandbox = await stack.enter_async_context(SlackSandbox(signing_secret=SIGNING_SECRET, rate_limits=limits))
        for p in spec.people:
            sandbox.add_user(p.slack_id or "", p.name, email=p.email, tz="UTC")
        sandbox.add_channel("C0BULK", "bulk")
        db_url = await stack.enter_async_context(scratch_postgres(pg)) if postgres and pg else \
            f"sqlite+aiosqlite:///{tmp / 'crash.db'}"
        db = Database(db_url)  # an install that has run before: the org is in, the check-in falls due now
        await db.migrate()
        await apply_org(spec, db.sessions, None)
        async with db.sessions.begin() as session:
            session.add(Milestone(name=FIRST_START, at=now - timedelta(days=7)))
        await db.dispose()
        env = {**os.environ, "SLACK_BOT_TOKEN": sandbox.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": sandbox.base_url, "DATABASE_URL": db_url, "ONETEAM_SECRET": "crash",
               "ONETEAM_ORG": str(org_file), "ONETEAM_LOG_LEVEL": "INFO"}  # ("listening" is INFO)
        env.pop("SLACK_APP_TOKEN", None)
        instances: list[Instance] = []

        async def stop_all() -> None:
            for inst in instances:
                await inst.stop()

        stack.push_async_callback(stop_all)
        log = Prompts(math.ceil(members / 3))
        sandbox.calls = log
        limits.enabled = True
        started = sandbox.clock()
        for _ in range(2 if postgres else 1):
            instances.append(await Instance.start(env))
        log.arm(instances[0].proc.pid)  # the first started leads (PostgreSQL: it took the lock first)
        print(f"check-in fan-out to {members:,} members; `oneteam run` x{len(instances)} on "
              f"{'PostgreSQL' if postgres else 'SQLite'}; Slack limits at scale {limits.scale:g}; default settings")
        async with asyncio.timeout(limit):
            await log.killed.wait()
        killed_at = sandbox.clock()
        await instances[0].reap()
        at_kill = len(log.sent)
        restarted_at = sandbox.clock()  # a supervisor starts it again at once
        instances[0] = await Instance.start(env)
        await wait_until(lambda: log.people() >= members, limit)
        finished = sandbox.clock()
        for _ in range(20):  # anything still in flight would land now: counted as a duplicate
            await asyncio.sleep(0.1)
        prompts = log.sent
        per_person = Counter(p for _, p in prompts)
        after = [t for t, _ in prompts if t > killed_at]
        first_after_kill = min(after, default=float("nan")) - killed_at
        first_after_restart = min((t for t in after if t > restarted_at), default=float("nan")) - restarted_at
        floor, derivation = floor_seconds(sandbox, limits, started, len(prompts))
        refused = Counter(f"{c.method} {c.error}" for c in sandbox.calls if c.error is not None)
    duplicates = sum(n - 1 for n in per_person.values())
    missing = members - len(per_person)
    total = finished - started
    print(f"  killed (SIGKILL) with {at_kill:,} of {members:,} prompts out, restarted at once")
    print(f"  duplicates                      {duplicates}")
    print(f"  missing                         {missing}")
    print(f"  first prompt after the restart  {first_after_restart:.1f} s (target <= {TARGET_RESUME:g} s); "
          f"after the kill {first_after_kill:.1f} s")
    print(f"  total time                      {total:.1f} s (start to the last prompt)")
    print(f"  floor                           {floor:.0f} s; ratio {total / floor if floor else float('nan'):.2f}")
    print(f"  Slack refused                   {dict(refused) or 'nothing'} (429s are waited out and retried)")
    print("  floor derivation (calls Slack accepted, Slack's per-minute limits at scale 1):")
    print("\n".join(derivation))
    return 0 if duplicates == 0 and missing == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--postgres", action="store_true", help="two instances on PostgreSQL (ONETEAM_TEST_PG)")
    parser.add_argument("--short", action="store_true", help="CI: 300 members")
    parser.add_argument("--timeout", type=float, default=7200.0, help="give up after this many seconds")
    args = parser.parse_args()
    sys.exit(asyncio.run(run(300 if args.short else args.members, args.postgres, args.timeout)))


if __name__ == "__main__":
    main()
