"""The anonymity proof at storage level: the database is the same whichever respondent gave which
answer, so nothing in it can link an answer to a member."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.clock import FakeClock
from bot.org.schema import OrgSpec
from bot.org.service import apply_org
from bot.pulse import batches, service
from bot.services import Services
from bot.settings import Settings
from bot.wiring import build_services
from demo.pulse import with_vendor_staff
from sandbox.harness import ONETEAM_SECRET
from tests.bot.pulse.helpers import SAM, VENDOR, hana_survey, submit

RANDOM_KEYS = {"pulse_answers": "id", "pulse_comments": "id"}


async def _world(path: Path, spec: OrgSpec, answers: list[tuple[str, int, int, str | None]]) -> Counter:
    services: Services = build_services(
        Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}", secret=ONETEAM_SECRET),
        clock=FakeClock())  # each world its own process: receipts name it only until their batch is written
    await services.db.migrate()
    await apply_org(spec, services.sessions, None)
    await service.open_due(services)
    survey = await hana_survey(services)
    for user, likert, enps, comment in answers:
        await submit(services, user, survey, likert, enps, comment)
    services.clock.advance(days=3)
    await service.close_due(services)
    await batches.flush_closed(services)  # answers are written at close at the latest
    dump = await dump_tables(services)
    await services.db.dispose()
    return dump


async def dump_tables(services: Services) -> Counter:
    """Every row of every table, random keys masked, as a multiset (order carries nothing either)."""
    rows: Counter = Counter()
    async with services.db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        for table in tables:
            result = await conn.execute(text(f'SELECT * FROM "{table}"'))
            for row in result.mappings():
                cells = {k: ("<random>" if RANDOM_KEYS.get(table) == k else v) for k, v in row.items()}
                rows[(table, tuple(sorted((k, str(v)) for k, v in cells.items())))] += 1
    return rows


async def test_swapping_who_answered_what_leaves_the_database_identical(tmp_path: Path, org_spec: OrgSpec) -> None:
    spec = with_vendor_staff(org_spec, "care-hana", 6)
    a, b = VENDOR[0], VENDOR[1]
    others = [(SAM, 3, 7, None), (VENDOR[2], 4, 8, None), (VENDOR[3], 2, 5, None)]
    honest = await _world(tmp_path / "a.db", spec, [(a, 1, 0, "I fear for my job"), (b, 5, 10, None), *others])
    swapped = await _world(tmp_path / "b.db", spec, [(a, 5, 10, None), (b, 1, 0, "I fear for my job"), *others])
    assert honest == swapped
    assert sum(n for (table, _), n in honest.items() if table == "pulse_answers") == 20


async def test_answer_tables_have_no_identity_time_or_order(pulse_services: Services) -> None:
    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    await submit(pulse_services, VENDOR[0], survey, 2, 3, "hello")
    async with pulse_services.db.engine.connect() as conn:
        columns = await conn.run_sync(lambda c: {t: {col["name"]: str(col["type"]) for col in inspect(c).get_columns(t)}
                                                 for t in ("pulse_answers", "pulse_comments", "pulse_receipts")})
        assert columns["pulse_answers"] == {"id": "VARCHAR(36)", "survey_id": "INTEGER", "side": "VARCHAR(16)",
                                            "question_id": "VARCHAR(48)", "value": "INTEGER"}
        assert set(columns["pulse_comments"]) == {"id", "survey_id", "side", "text"}
        assert columns["pulse_receipts"] == {"token": "VARCHAR(64)", "survey_id": "INTEGER", "holder": "VARCHAR(32)"}
        if conn.dialect.name == "sqlite":  # no hidden insertion order (PostgreSQL's ctid: see the README)
            for table in ("pulse_answers", "pulse_comments", "pulse_receipts"):
                with pytest.raises(Exception, match="rowid"):
                    await conn.execute(text(f"SELECT rowid FROM {table}"))
        [token] = (await conn.execute(text("SELECT token FROM pulse_receipts"))).scalars().all()
    assert token == service.receipt_token(ONETEAM_SECRET.encode(), survey.id, VENDOR[0])
    assert VENDOR[0] not in token
