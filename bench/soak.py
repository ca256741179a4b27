"""Soak: `oneteam run` (its own process, HTTP mode, SQLite, default settings) under a steady mix of reads
AND writes for minutes, with Slack's per-method limits at scale 1 and Jira connected through the sandbox.

The org: several vendor teams (check-ins with the channel summary on, escalation levels, a Jira project, a
KPI), their internal liaison and manager. The check-in round opens at start and the fan-out runs during the
soak, as it would on a Friday. Requests are sent open loop (request i at i/rate, whatever the answers do):

    checkin_open    a prompted member clicks the prompt's button (the bot opens the form: views.open)
    checkin_answer  the member submits the form (view_submission): answer stored, summary, Home
    escalate        `/escalate P2|P3 <team> ...` by an agent: escalation, card, DMs, Jira issue
    esc_ack         the team's vendor lead clicks Acknowledge on an open card
    esc_resolve     the vendor lead clicks Resolve (views.open), then submits the note (resolve_note)
    kpi_set         `/kpi set csat 4.x <team>` by the team's liaison
    kpi_view        `/kpi <team>` by the manager
    home            app_home_opened by an agent (views.publish)
    refused_click   an agent clicks Acknowledge on another team's card (refused through response_url)
    help            `/oneteam help`

A kind whose precondition is not met yet (no prompted member, no open card, no form open) is sent as
`help` instead and counted under "substituted". The Slack-limited kinds stay within their method's limit
at 40/s (views.open is Tier 4, 100/min: 60/min of forms plus 15/min of resolve notes).

Prints: requests by kind, errors (non-200 acks, form errors on valid input, anything the person saw that
is the bot's generic error, error logs of the bot), ack p50/p99/max (every ack < 3 s), RSS of the bot at the
start of the load, every minute and at the end, and the RSS slope over the last minutes. Checks at the end,
in the database, that every acknowledged answer, raise and KPI value was stored once (exit 1 if not, or on
errors). Targets: 0 errors, every ack < 3 s, RSS < 200 MB at the end, no growth in the last minutes.

    python bench/soak.py                  # 5,000 members in 5 teams, 40 requests/s for 10 minutes
    python bench/soak.py --minutes 3      # the same for 3 minutes
    python bench/soak.py --short          # CI: 1,000 members, 20 requests/s for 1 minute
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: sandbox/ is not installed

from instances import idle, pct, rss_mb, start_instance
from ruamel.yaml import YAML
from sqlalchemy import func, select

from bot.i18n import Translator
from bot.orgfile import OrgSpec, load
from sandbox.driver import Ack, SlackDriver
from sandbox.harness import SIGNING_SECRET, populate_workspace
from sandbox.jira import JiraSandbox
from sandbox.slack import Message, RateLimits, SlackSandbox, text_of
from storage.db import Database
from storage.milestones import FIRST_START
from storage.models import CheckinPrompt, Escalation, KpiValue, Milestone
from storage.org import keep_profiles

ACK_LIMIT = 3.0
# Seconds the run waits after the load for the bot's work to finish (App Home tabs of thousands, republished
# below views.publish's limit, trail for minutes: the RSS at the end is read then, busy or not).
DRAIN_LIMIT = 120
RSS_TARGET_MB = 200.0
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Requests per 4 s at 40/s (160 slots); the same shares at other rates.
MIX = {"checkin_open": 4, "checkin_answer": 4, "escalate": 2, "esc_ack": 2, "esc_resolve": 1, "resolve_note": 1,
       "kpi_set": 24, "kpi_view": 32, "home": 1, "refused_click": 32, "help": 57}
FORM_AFTER = 2.0  # seconds between opening a form and submitting it (the bot's views.open has gone by then)


@dataclass
class Team:
    key: str
    channel: str
    lead: str  # vendor lead's Slack id: level 1, acknowledges and resolves
    liaison: str
    manager: str
    agents: list[str]


def write_org(path: Path, members: int, teams: int, checkin_at: datetime) -> list[Team]:
    """`teams` vendor teams sharing `members` people, each with an internal liaison; one manager of all."""
    people: list[dict[str, Any]] = [{"email": "manager@acme.example", "name": "Manager", "slack_id": "U0MANAGER",
                                     "timezone": "UTC"}]
    out: list[Team] = []
    org_teams: list[dict[str, Any]] = []
    for t in range(teams):
        liaison = {"email": f"liaison{t}@acme.example", "name": f"Liaison {t}", "slack_id": f"U0LIAISON{t}",
                   "timezone": "UTC"}
        agents = [{"email": f"agent{t}-{i}@vendor.example", "name": f"Agent {t}-{i}", "slack_id": f"U{t}{i:06d}",
                   "timezone": "UTC", "external_org": "BPO"} for i in range(members // teams)]
        people += [liaison, *agents]
        key = f"vendor{t}"
        org_teams.append({
            "key": key, "name": f"Vendor team {t}", "kind": "vendor", "vendor": "BPO", "timezone": "UTC",
            "channel": f"C0VEN{t}",
            "escalation": {"levels": [["vendor_lead"], ["liaison"], ["manager"]]},
            "jira": {"project": f"V{chr(65 + t)}"},
            "checkins": {"weekday": WEEKDAYS[checkin_at.weekday()], "time": checkin_at.strftime("%H:%M"),
                         "summary_in_channel": True},
            "kpi": {"definitions": [{"key": "csat", "name": "Customer satisfaction", "unit": "/5", "target": 4.5,
                                     "max": 5}]},
            "members": [{"email": agents[0]["email"], "roles": ["vendor_lead"]},
                        {"email": liaison["email"], "roles": ["liaison"]},
                        {"email": "manager@acme.example", "roles": ["manager"]}]
            + [a["email"] for a in agents[1:]],
        })
        out.append(Team(key, f"C0VEN{t}", agents[0]["slack_id"], liaison["slack_id"], "U0MANAGER",
                        [a["slack_id"] for a in agents]))
    org = {"organisation": {"name": "Soak"}, "people": people, "teams": org_teams}
    with path.open("w") as f:
        YAML().dump(org, f)
    return out


def schedule(rate: int, seconds: float) -> list[str]:
    """The kind of each request, the shares of MIX spread evenly over time."""
    total = int(rate * seconds)
    cycle = sum(MIX.values())
    slots = sorted(((j + 0.5) / n, kind) for kind, n in MIX.items() for j in range(n))
    return [slots[i % cycle][1] for i in range(total)]


@dataclass
class BotLog:
    """What the bot's log said."""

    levels: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # event names (never bodies) of error lines

    def read(self, line: bytes) -> None:
        if not line.startswith(b"{"):
            return
        entry = json.loads(line)
        self.levels[entry.get("level", "?")] += 1
        if entry.get("level") in ("error", "critical"):
            self.errors.append(f"{entry.get('logger')}: {entry.get('event')}")


class Soak:
    """The people's side: picks who does what from what the sandbox shows, sends it, records the acks."""

    def __init__(self, sandbox: SlackSandbox, driver: SlackDriver, teams: list[Team]) -> None:
        self.sandbox, self.driver, self.teams = sandbox, driver, teams
        self.acks: list[tuple[str, int, float]] = []  # (kind, status, seconds)
        self.sent: Counter[str] = Counter()
        self.substituted: Counter[str] = Counter()
        self.form_errors = 0
        self.answers_ok = 0
        self.raises_ok = 0
        self.kpi_ok = 0
        self.notes_ok = 0
        self.resolved: set[str] = set()
        self._prompted: deque[str] = deque()  # members whose prompt arrived and who have not opened it yet
        self._calls_seen = 0
        self._per_kind: Counter[str] = Counter()
        self._forms: deque[tuple[float, str]] = deque()  # (opened at, user) waiting to be submitted
        self._notes: deque[tuple[float, str]] = deque()
        self._acked: set[str] = set()
        self._n = 0

    def _team(self, kind: str) -> Team:
        """Each kind goes round the teams in turn."""
        self._per_kind[kind] += 1
        return self.teams[self._per_kind[kind] % len(self.teams)]

    def _cards(self, team: Team) -> list[Message]:
        return [m for m in self.sandbox.channel_messages(team.channel) if "esc_card_actions" in str(m.blocks)]

    def _card(self, wanted: Callable[[Message], bool]) -> tuple[str, Message] | None:
        """The oldest card (of any team) that `wanted` accepts, with the vendor lead who acts on it."""
        for team in self.teams:
            for card in self._cards(team):
                if wanted(card):
                    return team.lead, card
        return None

    def _next_prompted(self) -> str | None:
        """A member whose check-in prompt has arrived (in the order they arrived), if any."""
        calls = self.sandbox.calls
        for call in calls[self._calls_seen:]:
            if call.method == "chat.postMessage" and call.status == 200 and "checkin_start" in str(call.args):
                channel = str(call.args.get("channel"))
                user = channel if channel in self.sandbox.ws.users else self.sandbox.ws.user_of_dm(channel)
                if user is not None:
                    self._prompted.append(user)
        self._calls_seen = len(calls)
        return self._prompted.popleft() if self._prompted else None

    async def one(self, kind: str) -> None:
        """Sends one request of `kind` (or `help` when its precondition is not met)."""
        started = time.monotonic()
        ack = await self._send(kind)
        if ack is None:
            self.substituted[kind] += 1
            kind = "help"
            ack = await self.driver.slash(self.teams[0].agents[1], "/oneteam", "help")
        self.sent[kind] += 1
        self.acks.append((kind, ack.status, ack.elapsed if ack.status else time.monotonic() - started))

    async def _send(self, kind: str) -> Ack | None:
        team = self._team(kind)
        self._n += 1
        d = self.driver
        if kind == "help":
            return await d.slash(team.agents[self._n % len(team.agents)], "/oneteam", "help")
        if kind == "kpi_view":
            return await d.slash(team.manager, "/kpi", team.key)
        if kind == "kpi_set":
            ack = await d.slash(team.liaison, "/kpi", f"set csat {3 + self._n % 20 / 10:.1f} {team.key}")
            self.kpi_ok += ack.ok
            return ack
        if kind == "home":
            return await d.event({"type": "app_home_opened", "user": team.agents[self._n % len(team.agents)],
                                  "tab": "home", "channel": "D0HOME"})
        if kind == "escalate":
            raiser = team.agents[1 + self._n % (len(team.agents) - 1)]
            severity = "P2" if self._n % 3 == 0 else "P3"
            ack = await d.slash(raiser, "/escalate", f"{severity} {team.key} Soak issue {self._n}: queue above target")
            self.raises_ok += ack.ok
            return ack
        if kind == "checkin_open":
            user = self._next_prompted()
            if user is None:
                return None
            prompt = next(m for m in reversed(self.sandbox.dms(user)) if "checkin_start" in str(m.blocks))
            ack = await d.block_action(user, "checkin_start", message=prompt)
            self._forms.append((time.monotonic(), user))
            return ack
        if kind == "checkin_answer":
            if not self._forms or self._forms[0][0] > time.monotonic() - FORM_AFTER:
                return None
            _, user = self._forms.popleft()
            views = [v for v in self.sandbox.open_views(user) if v.get("callback_id") == "checkin_form"]
            if not views:
                return None
            blocker = {"blockers": "Waiting for refund tool access"} if self._n % 10 == 0 else {}
            ack = await d.submit_view(user, views[-1], inputs={"q_done": "Closed 40 tickets", "q_next": "Train Q&A",
                                                               "q_mood": 4, **blocker})
            if ack.ok and isinstance(ack.body, dict) and ack.body.get("response_action") == "errors":
                self.form_errors += 1
            elif ack.ok:
                self.answers_ok += 1
            return ack
        if kind == "esc_ack":
            found = self._card(lambda c: c.ts not in self._acked)
            if found is None:
                return None
            lead, card = found
            self._acked.add(card.ts)
            return await d.block_action(lead, "escalation_ack", message=card)
        if kind == "esc_resolve":
            found = self._card(lambda c: c.ts in self._acked and c.ts not in self.resolved)
            if found is None:
                return None
            lead, card = found
            self.resolved.add(card.ts)
            self._notes.append((time.monotonic(), lead))
            return await d.block_action(lead, "escalation_resolve", message=card)
        if kind == "resolve_note":
            if not self._notes or self._notes[0][0] > time.monotonic() - FORM_AFTER:
                return None
            _, lead = self._notes.popleft()
            views = [v for v in self.sandbox.open_views(lead) if v.get("callback_id") == "escalation_resolve_note"]
            if not views:
                return None
            ack = await d.submit_view(lead, views[-1], inputs={"esc_note": "Restarted the queue worker"})
            self.notes_ok += ack.ok
            return ack
        if kind == "refused_click":
            other = self.teams[(self.teams.index(team) + 1) % len(self.teams)]
            cards = self._cards(other)
            if not cards:
                return None
            return await d.block_action(team.agents[-1], "escalation_ack", message=cards[-1])
        raise ValueError(kind)


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    if len(samples) < 2:
        return float("nan")
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mm = sum(m for _, m in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    return 60 * sum((t - mt) * (m - mm) for t, m in samples) / var if var else float("nan")


async def run(members: int, teams: int, rate: int, minutes: float, drain: float = DRAIN_LIMIT) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="oneteam-soak-"))
    org_file = tmp / "org.yml"
    # This week's check-in fell due a minute ago on an install running since yesterday: the bot's first ticks
    # open the round and the fan-out runs during the soak, as on a Friday afternoon.
    checkin_at = (datetime.now(UTC) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    roster = write_org(org_file, members, teams, checkin_at)
    spec = load(org_file)
    seconds = minutes * 60
    kinds = schedule(rate, seconds)
    print(f"soak: {members:,} members in {teams} teams, {rate} requests/s for {minutes:g} min "
          f"({len(kinds):,} requests), default settings, Slack limits at scale 1, Jira (sandbox) connected;")
    print(f"  check-in due {checkin_at:%H:%M} UTC (the fan-out runs during the soak); ack limit {ACK_LIMIT:g} s, "
          f"RSS target < {RSS_TARGET_MB:g} MB")
    # Slack's documented limits at scale 1 once the bot is up. Off while it applies the org on its first start:
    # the vendor's staff are Slack Connect users, missing from users.list, so org apply looks each one up with
    # users.info (Tier 4, 100/min): 50 minutes for 5,000 people at scale 1 (bench/startup.py measures start-up).
    limits = RateLimits(enabled=False)
    db_url = f"sqlite+aiosqlite:///{tmp / 'soak.db'}"
    async with AsyncExitStack() as stack:
        sandbox = await stack.enter_async_context(SlackSandbox(signing_secret=SIGNING_SECRET, rate_limits=limits))
        ids = populate_workspace(sandbox, spec)
        jira = await stack.enter_async_context(JiraSandbox(projects=[f"V{chr(65 + t)}" for t in range(teams)]))
        for n, person in enumerate(spec.people):
            jira.add_user(person.email, person.name)
            if n % 5 == 0 and "agent" in person.email:  # a fifth of the agents have an open task
                team = int(person.email.removeprefix("agent").split("-")[0])
                jira.create_issue(f"V{chr(65 + team)}", f"Task of {person.name}", assignee_email=person.email)
        env = {**os.environ, "SLACK_BOT_TOKEN": sandbox.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": sandbox.base_url, "DATABASE_URL": db_url, "ONETEAM_SECRET": "soak",
               "ONETEAM_ORG": str(org_file), "ONETEAM_LOG_LEVEL": "INFO", "JIRA_URL": jira.url,
               "JIRA_USER": jira.bot.email, "JIRA_TOKEN": jira.token}
        env.pop("SLACK_APP_TOKEN", None)
        await installed_since(db_url, checkin_at - timedelta(days=1))
        await profiles_read_ahead(db_url, spec, ids, checkin_at - timedelta(minutes=30))
        started = time.monotonic()
        bot = BotLog()
        pid, url = await start_instance(env, stack, wait_for="org applied", on_line=bot.read)
        print(f"  bot started and org applied in {time.monotonic() - started:.1f} s (Slack limits off until now)")
        limits.enabled = True
        sandbox.limiter.reset()
        driver = await stack.enter_async_context(SlackDriver(sandbox, bot_url=url, timeout=30))
        for _ in range(360):  # the load starts with the fan-out (the scheduler ticks once a minute)
            if prompts_sent(sandbox):
                break
            await asyncio.sleep(0.5)
        print(f"  first check-in prompt {time.monotonic() - started:.1f} s after the start: the load begins")
        soak = Soak(sandbox, driver, roster)
        rss: list[tuple[float, float]] = []  # every 10 s
        minutes_rss: list[float] = []
        print(f"{'min':>5} {'requests':>8} {'p99 ms':>7} {'max ms':>7} {'RSS MB':>7}  prompts sent")
        gc.collect()
        gc.freeze()  # the sandbox's set-up heap is never scanned again: collections stay short
        t0 = time.monotonic()
        rss.append((0.0, rss_mb(pid)))
        print(f"{0:>5} {0:>8} {'':>7} {'':>7} {rss[-1][1]:>7.0f}  0")

        async def sample() -> None:
            n = 0
            while True:
                await asyncio.sleep(10)
                now = time.monotonic() - t0
                rss.append((now, rss_mb(pid)))
                n += 1
                if n % 6 == 0:
                    minutes_rss.append(rss[-1][1])
                    times = [e for _, _, e in soak.acks]
                    print(f"{now / 60:>5.0f} {len(soak.acks):>8} {pct(times, 99) * 1000:>7.0f} "
                          f"{max(times, default=0) * 1000:>7.0f} {rss[-1][1]:>7.0f}  {prompts_sent(sandbox)}",
                          flush=True)
                driver.sent.clear()  # the driver keeps every payload for tests; not needed here

        sampler = asyncio.create_task(sample())
        tasks: list[asyncio.Task[None]] = []
        for i, kind in enumerate(kinds):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(soak.one(kind)))
            if len(tasks) > 1000:
                tasks = [t for t in tasks if not t.done()]
        await asyncio.gather(*tasks)
        load_end = time.monotonic() - t0
        try:
            async with asyncio.timeout(drain):
                await idle(url)
        except TimeoutError:  # reported as such: the figures of the load still stand
            print(f"  the bot still had work in flight {drain:.0f} s after the load")
        drained = time.monotonic() - t0 - load_end
        sampler.cancel()
        await asyncio.sleep(1)
        end_rss = rss_mb(pid)
        rss.append((time.monotonic() - t0, end_rss))
        stored = await count_stored(db_url)
    return report(soak, bot, sandbox, rss, minutes_rss, end_rss, load_end, drained, stored)


async def profiles_read_ahead(db_url: str, spec: OrgSpec, ids: dict[str, str], when: datetime) -> None:
    """The profile snapshots of the Slack Connect staff that a running install's read-ahead would hold at
    the due time (it reads them from about 70 minutes before; this soak starts the bot at the due time)."""
    db = Database(db_url)
    try:
        async with db.sessions.begin() as s:
            await keep_profiles(s, [
                {"slack_user_id": ids[p.email], "team_id": "T0VENDOR", "name": p.name, "email": p.email,
                 "timezone": p.timezone or "UTC", "locale": p.locale or "en-US", "status_text": "",
                 "status_emoji": "", "deleted": False, "read_at": when}
                for p in spec.people if p.external_org])
    finally:
        await db.dispose()


async def installed_since(db_url: str, when: datetime) -> None:
    """The database of an install that first ran at `when` (the bot sends no prompt due before its install)."""
    db = Database(db_url)
    try:
        await db.migrate()
        async with db.sessions.begin() as s:
            s.add(Milestone(name=FIRST_START, at=when))
    finally:
        await db.dispose()


def prompts_sent(sandbox: SlackSandbox) -> int:
    return sum(1 for c in sandbox.calls if c.method == "chat.postMessage" and "checkin_start" in str(c.args))


async def count_stored(db_url: str) -> dict[str, int]:
    db = Database(db_url)
    try:
        async with db.sessions() as s:
            return {
                "answers": await s.scalar(select(func.count()).select_from(CheckinPrompt)
                                          .where(CheckinPrompt.state == "answered")) or 0,
                "escalations": await s.scalar(select(func.count()).select_from(Escalation)) or 0,
                "resolved": await s.scalar(select(func.count()).select_from(Escalation)
                                           .where(Escalation.state == "resolved")) or 0,
                "kpi_values": await s.scalar(select(func.count()).select_from(KpiValue)) or 0,
            }
    finally:
        await db.dispose()


def seen_errors(sandbox: SlackSandbox) -> int:
    """Messages, ephemerals and modals showing the bot's generic error (in any language)."""
    generic = {Translator(lang).plain("core.errors.generic") for lang in ("en", "ko")}
    shown = [text_of(m) for m in sandbox.ws.ephemeral_log]
    shown += [text_of(m) for msgs in sandbox.ws.messages.values() for m in msgs]
    shown += [text_of(v) for stack in sandbox.ws.view_stacks.values() for v in stack]
    return sum(1 for text in shown if any(g in text for g in generic))


def report(soak: Soak, bot: BotLog, sandbox: SlackSandbox, rss: list[tuple[float, float]], minutes_rss: list[float],
           end_rss: float,
           load_end: float, drained: float, stored: dict[str, int]) -> bool:
    times = [e for _, s, e in soak.acks if s == 200]
    non_200 = sum(1 for _, s, _ in soak.acks if s != 200)
    slow = sum(1 for _, s, e in soak.acks if s != 200 or e >= ACK_LIMIT)
    visible = seen_errors(sandbox)
    # the last 3 minutes of the load (the last half of a shorter one); the drain after it is not counted
    tail = [(t, m) for t, m in rss if load_end - min(180.0, load_end / 2) <= t <= load_end]
    slope = slope_mb_per_min(tail)
    print(f"\nrequests by kind ({len(soak.acks):,} in {load_end:.0f} s; then {drained:.1f} s until the bot was idle):")
    for kind in MIX:
        mine = [e for k, s, e in soak.acks if k == kind and s == 200]
        print(f"  {kind:<15} {soak.sent[kind]:>7,}  p50 {pct(mine, 50) * 1000:>6.0f} ms  p99 "
              f"{pct(mine, 99) * 1000:>6.0f} ms  max {max(mine, default=float('nan')) * 1000:>6.0f} ms"
              + (f"  ({soak.substituted[kind]:,} sent as help: nothing to do yet)" if soak.substituted[kind] else ""))
    print("errors (target 0):")
    print(f"  non-200 acks             {non_200}")
    print(f"  form errors, valid input {soak.form_errors}")
    print(f"  generic error shown      {visible}")
    print(f"  bot error log lines      {len(bot.errors)}"
          + (f"  e.g. {Counter(bot.errors).most_common(3)}" if bot.errors else ""))
    print(f"  bot warning log lines    {bot.levels['warning']} (not counted: e.g. Slack 429s waited out)")
    print(f"ack latency: p50 {pct(times, 50) * 1000:.0f} ms, p99 {pct(times, 99) * 1000:.0f} ms, "
          f"max {max(times, default=float('nan')) * 1000:.0f} ms; {slow} of {len(soak.acks):,} not acked "
          f"within {ACK_LIMIT:g} s (target 0)")
    print(f"RSS of the bot: start {rss[0][1]:.0f} MB; each minute (the load ends after {load_end / 60:.1f}) "
          f"{' '.join(f'{m:.0f}' for m in minutes_rss)}; "
          f"end {end_rss:.0f} MB (target < {RSS_TARGET_MB:g}); peak {max(m for _, m in rss):.0f} MB")
    print(f"RSS slope over the last {tail[-1][0] - tail[0][0]:.0f} s of load: {slope:+.1f} MB/min "
          f"({'still growing' if slope > 1 else 'flat'}: > +1 MB/min counts as growing)")
    missing = {"answers": soak.answers_ok - stored["answers"], "escalations": soak.raises_ok - stored["escalations"],
               "resolved": soak.notes_ok - stored["resolved"]}
    print(f"stored: {stored['answers']:,} check-in answers (acked {soak.answers_ok:,}), {stored['escalations']:,} "
          f"escalations (acked {soak.raises_ok:,}), {stored['resolved']:,} resolved, {stored['kpi_values']:,} "
          f"KPI values (weeks x teams: each set replaces its week's value; {soak.kpi_ok:,} sets acked); "
          f"check-in prompts sent {prompts_sent(sandbox):,}")
    errors = non_200 + soak.form_errors + visible + len(bot.errors)
    bad = errors or any(missing.values())
    if bad:
        print(f"FAILED: {errors} errors; not stored: {missing}")
    return not bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="1,000 members, 20 requests/s for 1 minute (CI)")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=40)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--teams", type=int, default=5)
    args = parser.parse_args()
    if args.short:
        args.members, args.rate, args.minutes = 1_000, 20, 1.0
    drain = 20 if args.short else DRAIN_LIMIT
    sys.exit(0 if asyncio.run(run(args.members, args.teams, args.rate, args.minutes, drain)) else 1)


if __name__ == "__main__":
    main()
