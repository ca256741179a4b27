"""Shared fixtures: a migrated database with the example org, and a running sandbox + bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.org.loader import load
from bot.org.schema import OrgSpec
from bot.org.service import apply_org
from bot.services import Services, build_services
from bot.settings import Settings
from sandbox.harness import EXAMPLE_ORG, ONETEAM_SECRET, Harness


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def org_spec() -> OrgSpec:
    return load(EXAMPLE_ORG)


@pytest.fixture
async def services(tmp_path: Path, clock: FakeClock, org_spec: OrgSpec) -> AsyncIterator[Services]:
    """Services on a fresh SQLite database with the example org applied (no Slack lookups)."""
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
                        secret=ONETEAM_SECRET)
    svc = build_services(settings, clock=clock)
    await svc.db.migrate()
    await apply_org(org_spec, svc.sessions, None)
    yield svc
    await svc.db.dispose()


@pytest.fixture
async def harness(clock: FakeClock) -> AsyncIterator[Harness]:
    """The real bot in HTTP mode against the sandbox workspace, with the example org applied."""
    async with Harness(clock=clock) as h:
        yield h


@pytest.fixture
async def socket_harness(clock: FakeClock) -> AsyncIterator[Harness]:
    """The same, connected through Socket Mode."""
    async with Harness(clock=clock, socket_mode=True) as h:
        yield h
