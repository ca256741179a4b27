"""Shared fixtures: a migrated database with the example org, and a running sandbox + bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.org.schema import OrgSpec
from bot.org.service import apply_org
from bot.orgfile import load
from bot.services import Services
from bot.settings import Settings
from bot.wiring import build_services
from sandbox.databases import scratch_postgres
from sandbox.harness import EXAMPLE_ORG, ONETEAM_SECRET, Harness

# An admin URL of a PostgreSQL server (.ci/run starts one): every database test then runs on both backends.
POSTGRES = os.environ.get("ONETEAM_TEST_PG")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def org_spec() -> OrgSpec:
    return load(EXAMPLE_ORG)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database: SQLite always, PostgreSQL when ONETEAM_TEST_PG names a server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    elif not POSTGRES:
        pytest.skip("set ONETEAM_TEST_PG to run against PostgreSQL too")
    else:
        async with scratch_postgres(POSTGRES) as url:
            yield url


@pytest.fixture
async def services(database_url: str, clock: FakeClock, org_spec: OrgSpec) -> AsyncIterator[Services]:
    """Services on a fresh database with the example org applied (no Slack lookups)."""
    settings = Settings(_env_file=None, database_url=database_url, secret=ONETEAM_SECRET)
    svc = build_services(settings, clock=clock)
    await svc.db.migrate()
    await apply_org(org_spec, svc.sessions, None)
    yield svc
    await svc.db.dispose()


@pytest.fixture
async def harness(clock: FakeClock, database_url: str) -> AsyncIterator[Harness]:
    """The real bot in HTTP mode against the sandbox workspace, with the example org applied."""
    async with Harness(clock=clock, database_url=database_url) as h:
        yield h


@pytest.fixture
async def socket_harness(clock: FakeClock, database_url: str) -> AsyncIterator[Harness]:
    """The same, connected through Socket Mode."""
    async with Harness(clock=clock, socket_mode=True, database_url=database_url) as h:
        yield h
