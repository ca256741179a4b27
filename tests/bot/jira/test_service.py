"""Members' open issues, weekly counts for KPIs, the webhook token, the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select

from bot.clock import FakeClock
from bot.jira import service, webhook
from bot.settings import Settings
from sandbox.harness import Harness
from storage.models import JiraWeeklyStats
from storage.org import team_by_key


@pytest.fixture
async def h(clock: FakeClock) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, jira="cloud") as harness:
        yield harness


async def test_open_issues_of_a_member_by_email(h: Harness) -> None:
    h.jira.create_issue("CARE", "Call-back queue", assignee_email="jisoo@hanabpo.example")
    h.jira.create_issue("CARE", "Closed one", assignee_email="jisoo@hanabpo.example", status="Done")
    jisoo = "jisoo@hanabpo.example"
    issues = (await service.open_issues_for(h.services, [jisoo, "nobody@acme.example"]))[jisoo]
    assert issues is not None
    assert [(i.summary, i.status) for i in issues] == [("Call-back queue", "To Do")]
    assert issues[0].url.endswith(f"/browse/{issues[0].key}")
    assert (await service.open_issues_for(h.services, ["nobody@acme.example"]))["nobody@acme.example"] == []
    h.jira.inject(503, times=5)
    # never fails a prompt: the prompt says the list could not be loaded
    assert (await service.open_issues_for(h.services, [jisoo]))[jisoo] is None


async def test_weekly_counts_are_stored_and_read_for_kpis(h: Harness, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 18, 3, 0, tzinfo=UTC))  # Wednesday in Seoul
    monday = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # inside the Seoul week starting Mon 16 Nov (KST)
    h.jira.create_issue("CARE", "made this week", created=monday + timedelta(hours=2))
    h.jira.create_issue("CARE", "late", created=monday - timedelta(days=20), description=None)
    late = max(h.jira.issues)
    h.jira.issues[late]["fields"]["duedate"] = "2026-11-10"
    h.jira.create_issue("CARE", "resolved this week", created=monday - timedelta(days=3), status="Done",
                        updated=monday + timedelta(hours=5))
    h.jira.create_issue("OPS", "other team", created=monday + timedelta(hours=2))
    assert await service.compute_weekly_stats(h.services) == 4  # 2 teams x (last, this) week
    async with h.services.sessions() as session:
        team = await team_by_key(session, "care-hana")
        seoul_monday = datetime(2026, 11, 15, 15, 0, tzinfo=UTC)
        m = await service.jira_metrics(session, team.id, seoul_monday, seoul_monday + timedelta(days=7))
        assert (m.created, m.resolved, m.overdue) == (1, 1, 1)
        empty = await service.jira_metrics(session, team.id, seoul_monday - timedelta(days=70),
                                           seoul_monday - timedelta(days=63))
        assert empty.created is None
        mondays = (await session.scalars(select(JiraWeeklyStats.week_start).where(
            JiraWeeklyStats.team_id == team.id).order_by(JiraWeeklyStats.week_start))).all()
        assert mondays == [date(2026, 11, 9), date(2026, 11, 16)]  # Seoul's last and this week


def test_webhook_token_is_explicit_or_derived_from_the_secret() -> None:
    derived = webhook.webhook_token(Settings(_env_file=None, secret="s1"))
    assert derived and derived == webhook.webhook_token(Settings(_env_file=None, secret="s1"))
    assert derived != webhook.webhook_token(Settings(_env_file=None, secret="s2"))
    assert webhook.webhook_token(Settings(_env_file=None, secret="s1", jira_webhook_token="tok")) == "tok"
    assert webhook.webhook_token(Settings(_env_file=None)) is None


def test_cli_lists_retries_and_drops(tmp_path, monkeypatch) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert "outbox is empty" in runner.invoke(main, ["jira", "list"]).output
    assert runner.invoke(main, ["jira", "retry"]).exit_code != 0  # ids or --all
    assert "nothing to retry" in runner.invoke(main, ["jira", "retry", "--all"]).output
    assert "nothing dropped" in runner.invoke(main, ["jira", "drop", "3"]).output


async def test_one_person_with_many_issues_does_not_crowd_out_the_page(h: Harness) -> None:
    """One search per 50 people, most recently updated first: the person with 150 open issues gets their 10
    newest and the other 49 their own, in two searches (the second without the person who is complete)."""
    now = datetime(2026, 11, 20, tzinfo=UTC)
    others = [f"agent{i}@hanabpo.example" for i in range(49)]
    for i, email in enumerate(others):
        h.jira.create_issue("CARE", f"Own {i}", assignee_email=email, updated=now - timedelta(days=2))
    for i in range(150):
        h.jira.create_issue("CARE", f"Busy {i}", assignee_email="busy@hanabpo.example",
                            updated=now - timedelta(minutes=i))
    before = h.jira.count("/search/jql")
    lists = await service.open_issues_for(h.services, ["busy@hanabpo.example", *others], 10)
    assert [i.summary for i in lists["busy@hanabpo.example"] or []] == [f"Busy {i}" for i in range(10)]
    assert all([i.summary for i in lists[e] or []] == [f"Own {n}"] for n, e in enumerate(others))
    assert h.jira.count("/search/jql") - before == 2


async def test_a_page_without_task_lists_says_why_in_the_log(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """"open issues not available" names what failed (the error's class and Jira's status or a timeout), so an
    operator can tell a slow Jira from a refusing one; never the response's body."""
    jisoo = "jisoo@hanabpo.example"
    h.jira.create_issue("CARE", "Call-back queue", assignee_email=jisoo)
    assert len((await service.open_issues_for(h.services, [jisoo]))[jisoo] or []) == 1  # her account id is kept
    h.jira.inject(503, times=1, path_contains="/search")
    with caplog.at_level("WARNING", logger="oneteam.jira"):
        assert (await service.open_issues_for(h.services, [jisoo]))[jisoo] is None
    [record] = [r for r in caplog.records if r.getMessage() == "open issues not available"]
    assert (record.error, record.cause) == ("JiraUnavailable", "HTTP 503")


async def test_two_instances_storing_the_same_weeks_and_accounts_meet_no_database_error(
        clock: FakeClock, database_url: str) -> None:
    """Stored by upsert: on PostgreSQL a lost race over a unique row would otherwise be a server error."""
    async with Harness(clock=clock, jira="cloud", database_url=database_url) as h:
        clock.set(datetime(2026, 11, 18, 3, 0, tzinfo=UTC))
        jisoo = "jisoo@hanabpo.example"
        h.jira.create_issue("CARE", "Call-back queue", assignee_email=jisoo)
        errors: list[str] = []
        event.listen(h.services.db.engine.sync_engine, "handle_error",
                     lambda ctx: errors.append(type(ctx.original_exception).__name__))
        stored = await asyncio.gather(*(service.compute_weekly_stats(h.services) for _ in range(4)))
        found = await asyncio.gather(*(service.open_issues_for(h.services, [jisoo]) for _ in range(4)))
        assert stored == [4] * 4 and all(f[jisoo] for f in found)
        async with h.services.sessions() as session:
            assert len((await session.scalars(select(JiraWeeklyStats))).all()) == 4
        assert errors == []
