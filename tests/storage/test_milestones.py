"""The first start is recorded once; a database from before the record existed counts from its first round."""

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.milestones import first_start
from storage.models import CheckinRound, Team

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_the_first_call_records_the_moment_and_later_calls_keep_it(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    try:
        assert await first_start(db.sessions, NOW) == NOW
        assert await first_start(db.sessions, NOW + timedelta(days=3)) == NOW
    finally:
        await db.dispose()


async def test_an_upgraded_install_counts_from_its_first_round(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    earlier = NOW - timedelta(days=10)
    try:
        async with db.sessions.begin() as session:
            team = Team(key="care", name="Care", kind="vendor", timezone="UTC", locale="en")
            session.add(team)
            await session.flush()
            session.add(CheckinRound(team_id=team.id, week="2026-W47", day="2026-11-20", opens_at=earlier,
                                     closes_at=earlier + timedelta(days=3), state="closed", questions=[],
                                     created_at=earlier))
        assert await first_start(db.sessions, NOW) == earlier
    finally:
        await db.dispose()
