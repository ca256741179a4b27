"""Pull-sync benchmark: N linked issues in the sandbox Jira, 1% changed since the last sync.

    python bench/jira_sync.py [--issues 10000] [--flavor cloud|server] [--short]

Prints the requests made and the time taken by the full (first) sync and by the incremental one. Target:
the incremental sync makes at most one request per page of changed issues, plus one. `--short` (CI) runs
1,000 issues and exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: sandbox/ is not installed

from bot.clock import FakeClock
from bot.jira import sync
from bot.jira.adapter import PROPERTY
from bot.org.service import apply_org
from bot.orgfile import load
from bot.settings import Settings
from bot.wiring import build_services
from sandbox.harness import EXAMPLE_ORG
from sandbox.jira import JiraSandbox
from storage.models import JiraLink, Team


async def run(issues: int, flavor: str) -> bool:
    clock = FakeClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    async with JiraSandbox(flavor=flavor, projects=("CARE",), clock=clock.now) as jira:
        start = clock.now() - timedelta(days=30)
        for n in range(issues):  # spread over the last 30 days, like a real backlog
            jira.create_issue("CARE", f"Escalation {n}", labels=["oneteam"],
                              updated=start + timedelta(seconds=n * 30 * 86400 // issues),
                              properties={PROPERTY: {"id": f"bench-esc-{n}"}})
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                                jira_url=jira.url, jira_token=jira.token,
                                jira_user=jira.bot.email if jira.cloud else None)
            services = build_services(settings, clock=clock)
            await services.db.migrate()
            await apply_org(load(EXAMPLE_ORG), services.sessions, None)
            async with services.sessions.begin() as session:
                team = (await session.scalars(Team.__table__.select().where(Team.key == "care-hana"))).first()
                session.add_all([
                    JiraLink(origin="escalation", origin_id=n, oneteam_id=f"bench-esc-{n}", team_id=team,
                             summary=issue["fields"]["summary"], details="", state="linked", jira_key=issue["key"],
                             jira_id=issue["id"], created_at=clock.now())
                    for n, issue in enumerate(jira.issues.values())])
            adapter = services.extras["jira"]
            await adapter.connect()

            async def timed() -> tuple[int, float, sync.SyncReport]:
                before, t0 = len(jira.requests), time.perf_counter()
                report = await sync.tick(services)
                return len(jira.requests) - before, time.perf_counter() - t0, report

            full_requests, full_time, full = await timed()
            clock.advance(minutes=5)
            changed = max(issues // 100, 1)
            for key in list(jira.issues)[:: issues // changed][:changed]:
                jira.set_status(key, "In Progress")
            clock.advance(minutes=5)
            inc_requests, inc_time, inc = await timed()
            await adapter.close()
            await services.db.dispose()
    target = math.ceil(changed / adapter.page_size) + 1
    print(f"Jira {flavor}, {issues:,} linked issues, page size {adapter.page_size}")
    print(f"  full sync:        {full_requests:5d} requests  {full_time:7.2f} s  ({full.issues:,} issues read)")
    print(f"  incremental sync: {inc_requests:5d} requests  {inc_time:7.2f} s  ({inc.issues:,} read, "
          f"{inc.applied:,} changes applied; {changed:,} changed)")
    ok = inc_requests <= target and inc.applied == changed
    print(f"  target: incremental <= {target} requests (pages of changed + 1): {'met' if ok else 'MISSED'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--flavor", choices=("cloud", "server"), default="cloud")
    parser.add_argument("--short", action="store_true", help="1,000 issues, both flavors; exit 1 on a miss")
    args = parser.parse_args()
    if args.short:
        ok = all([asyncio.run(run(1_000, "cloud")), asyncio.run(run(1_000, "server"))])
    else:
        ok = asyncio.run(run(args.issues, args.flavor))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
