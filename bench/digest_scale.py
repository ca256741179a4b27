"""How long the weekly manager digest takes as a team grows.

Seeds a SQLite database with one vendor team of 250, 1,000 and 4,000 members and 52 weeks of history
(check-in rounds and answers, blockers, escalations, KPI values, pulse surveys and answers, Jira weekly
counts), then times `build_digest` (every section, through the features' real metrics functions) and the
chart separately. Target: under 1 s at 1,000 members, growth no worse than linear.

    python bench/digest_scale.py            # 250 / 1,000 / 4,000 members, 52 weeks
    python bench/digest_scale.py --short    # CI smoke: small teams, 8 weeks
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from sqlalchemy import insert

from bot import calendar
from bot.checkins.service import checkin_metrics
from bot.digest import chart
from bot.digest.service import build_digest
from bot.escalations.service import escalation_metrics
from bot.i18n import translator
from bot.jira.service import jira_metrics
from bot.kpi.commands import digest_kpis
from bot.metrics import MetricsProviders
from bot.org.service import team_config
from bot.orgfile import load
from bot.pulse.service import pulse_metrics
from storage.db import Database
from storage.models import (
    CheckinBlocker,
    CheckinPrompt,
    CheckinRound,
    Escalation,
    KpiValue,
    Member,
    Membership,
    Team,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "org.yml"
TZ = "Asia/Seoul"
WEEK = "2026-W47"
# The features' real metrics providers, as bot/wiring.py registers them.
PROVIDERS = MetricsProviders(checkin_metrics, escalation_metrics, pulse_metrics, jira_metrics, kpis=digest_kpis)
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CHUNK = 5000


async def _bulk(session, model, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        await session.execute(insert(model), rows[i:i + CHUNK])


async def seed(db: Database, members: int, n_weeks: int, rng: random.Random) -> int:
    spec = next(t for t in load(EXAMPLE).teams if t.key == "care-hana")
    async with db.sessions.begin() as session:
        team = Team(key="bench", name="Bench vendor team", kind="vendor", vendor_name="Bench BPO", timezone=TZ,
                    locale="en", config=team_config(spec), active=True)
        session.add(team)
        await session.flush()
        await _bulk(session, Member, [{"email": f"m{i}@bench.example", "name": f"Member {i}",
                                       "slack_user_id": f"UB{i:06d}", "timezone": TZ, "active": True,
                                       "on_leave": False, "is_admin": False} for i in range(members)])
        ids = list((await session.scalars(Member.__table__.select().with_only_columns(Member.id))).all())
        await _bulk(session, Membership, [{"team_id": team.id, "member_id": m, "roles": ["member"]} for m in ids])
        week_list = calendar.last_weeks(WEEK, n_weeks)
        for n, week in enumerate(week_list):
            start, _ = calendar.bounds(week, TZ)
            opens = start + timedelta(days=2, hours=1)
            rnd = CheckinRound(team_id=team.id, week=week, day=opens.date().isoformat(), opens_at=opens,
                               closes_at=opens + timedelta(days=1), state="closed", questions=[], created_at=opens)
            session.add(rnd)
            await session.flush()
            prompts = []
            for m in ids:
                answered = rng.random() < 0.85
                prompts.append({"round_id": rnd.id, "member_id": m, "timezone": TZ, "due_at": opens,
                                "state": "answered" if answered else "sent", "sent_at": opens,
                                "answered_at": opens + timedelta(minutes=rng.randint(5, 600)) if answered else None,
                                "mood": rng.randint(2, 5) if answered else None, "reminder_state": "none",
                                "reminders_sent": 0, "answers": {"done": "work"} if answered else None})
            await _bulk(session, CheckinPrompt, prompts)
            prompt_ids = (await session.scalars(CheckinPrompt.__table__.select().with_only_columns(
                CheckinPrompt.id, CheckinPrompt.member_id).where(CheckinPrompt.round_id == rnd.id))).all()
            blockers = [{"prompt_id": p, "team_id": team.id, "member_id": ids[0], "text": f"blocked {week}",
                         "status": "open" if n >= n_weeks - 2 else "resolved", "created_at": opens}
                        for p in rng.sample(list(prompt_ids), max(1, members // 50))]
            await _bulk(session, CheckinBlocker, blockers)
            escalations = []
            for _ in range(max(1, members // 25)):
                created = start + timedelta(hours=rng.randint(0, 160))
                acked = created + timedelta(minutes=rng.randint(5, 300))
                escalations.append({
                    "team_id": team.id, "state": "resolved", "severity": rng.choice(["P1", "P2", "P3"]),
                    "category": "quality", "summary": "bench", "details": "", "raiser_slack_id": "UB000000",
                    "raiser_name": "Member 0", "level": 1, "rounds": 0, "step": 0, "synced_step": 0,
                    "channel_shared": False, "created_at": created, "first_ack_at": acked,
                    "resolved_at": acked + timedelta(hours=rng.randint(1, 48)), "reopen_count": rng.random() < 0.1,
                    "satisfaction": rng.randint(3, 5), "jira_wanted": False})
            await _bulk(session, Escalation, escalations)
            await _bulk(session, KpiValue, [{"team_id": team.id, "kpi_key": key, "week": week, "source": "manual",
                                             "value": value, "recorded_at": NOW}
                                            for key, value in (("csat", rng.uniform(4, 5)),
                                                               ("first_response", rng.uniform(20, 40)),
                                                               ("resolution_rate", rng.uniform(75, 95)))])
            await _seed_pulse_and_jira(session, team.id, ids, week, n_weeks - 1 - n, rng)
    return team.id


async def _seed_pulse_and_jira(session, team_id: int, ids: list[int], week: str, back: int,
                               rng: random.Random) -> None:
    """A pulse survey every 4 weeks back from the reviewed one (60% answer), Jira's weekly counts."""
    try:
        from bot.pulse.questions import BUILTIN_IDS
        from storage.models.jira import JiraWeeklyStats
        from storage.models.pulse import PulseAnswer, PulseSurvey
    except ImportError:
        return
    start, end = calendar.bounds(week, TZ)
    await _bulk(session, JiraWeeklyStats, [{"team_id": team_id, "week_start": calendar.monday(week),
                                            "created": rng.randint(5, 30), "resolved": rng.randint(5, 30),
                                            "overdue": rng.randint(0, 5), "computed_at": NOW}])
    if back % 4:
        return
    questions = [*BUILTIN_IDS[:5], "enps"]
    survey = PulseSurvey(team_id=team_id, seq=back // 4, question_ids=questions, threshold=5, opens_at=start,
                         remind_at=start + timedelta(days=2), closes_at=end - timedelta(days=1), state="closed",
                         invited=True, reminded=True, announced=True)
    session.add(survey)
    await session.flush()
    answers = [{"id": str(uuid.UUID(int=rng.getrandbits(128))), "survey_id": survey.id, "side": "vendor",
                "question_id": q, "value": rng.randint(0, 10) if q == "enps" else rng.randint(1, 5)}
               for _ in range(int(len(ids) * 0.6)) for q in questions]
    await _bulk(session, PulseAnswer, answers)


async def measure(members: int, n_weeks: int, runs: int) -> tuple[float, float, float, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.migrate()
        started = time.perf_counter()
        team_id = await seed(db, members, n_weeks, random.Random(members))
        seeded = time.perf_counter() - started
        times, digest = [], None
        for _ in range(runs):
            async with db.sessions() as session:  # read-only: snapshots are not committed between runs
                team = await session.get(Team, team_id)
                started = time.perf_counter()
                digest = await build_digest(session, team, WEEK, NOW, translator("en"), PROVIDERS)
                times.append(time.perf_counter() - started)
        started = time.perf_counter()
        png = chart.render_png(digest)
        chart_s = time.perf_counter() - started
        await db.dispose()
    assert png is not None
    return seeded, statistics.median(times), chart_s, [s.key for s in digest.sections]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="small teams and 8 weeks (CI smoke test)")
    args = parser.parse_args()
    sizes, n_weeks, runs = ((50, 200), 8, 1) if args.short else ((250, 1000, 4000), 52, 3)
    print(f"digest build time, {n_weeks} weeks of history, median of {runs} run(s)")
    print(f"{'members':>8} {'seed s':>8} {'digest s':>9} {'chart s':>8} {'per member ms':>14}  sections")
    results = []
    for members in sizes:
        seeded, build_s, chart_s, sections = await measure(members, n_weeks, runs)
        results.append((members, build_s))
        print(f"{members:>8} {seeded:>8.2f} {build_s:>9.3f} {chart_s:>8.3f} {1000 * build_s / members:>14.3f}  "
              f"{','.join(sections)}")
    for (m0, t0), (m1, t1) in itertools.pairwise(results):
        print(f"{m0} -> {m1} members (x{m1 / m0:.0f}): digest time x{t1 / t0:.2f}"
              f" ({'no worse than linear' if t1 / t0 <= m1 / m0 * 1.1 else 'WORSE than linear'})")
    at_1000 = dict(results).get(1000)
    if at_1000 is not None:
        print(f"at 1,000 members: {at_1000:.3f} s ({'under' if at_1000 < 1 else 'OVER'} the 1 s target)")


if __name__ == "__main__":
    asyncio.run(main())
