"""Pulse anonymity against the operator: the attacker holds the SQLite file and its WAL (or PostgreSQL's
system columns), every log line at DEBUG, and ONETEAM_SECRET, and tries to link answers to people."""

from __future__ import annotations

import logging
import struct
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bot import logs
from bot.clock import FakeClock
from bot.org.schema import OrgSpec
from bot.orgfile import load
from bot.pulse import service
from demo.pulse import EXTRA_STAFF, answer, open_survey_ids, with_vendor_staff
from sandbox.harness import EXAMPLE_ORG, ONETEAM_SECRET, Harness
from schedules.pulse import tick

K = 3  # the survey's threshold: 7 people answer, more than 2k
SEOUL_MONDAY_10 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
NEW_YORK_MONDAY_9 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
VENDOR = [f"{login}@hanabpo.example" for login, _ in EXTRA_STAFF]
SAM = "sam@acme.example"  # the one internal person care-hana surveys
COMMENT = "The night shift roster is unfair to the Busan agents"
SQL_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg")


def _org() -> OrgSpec:
    spec = with_vendor_staff(load(EXAMPLE_ORG), "care-hana", 6)
    teams = tuple(t.model_copy(update={"pulse": t.pulse.model_copy(update={"threshold": K})})
                  if t.key == "care-hana" else t for t in spec.teams)
    return spec.model_copy(update={"teams": teams})


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """`ONETEAM_LOG_LEVEL=DEBUG` as `oneteam run` configures it, with every record captured."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    logs.configure("DEBUG")
    root.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
async def h(clock: FakeClock, database_url: str) -> AsyncIterator[Harness]:
    clock.set(SEOUL_MONDAY_10)
    async with Harness(org=_org(), clock=clock, database_url=database_url) as harness:
        yield harness


def wal_commits(wal: bytes) -> list[bytes]:
    """The committed transactions in a SQLite WAL file, oldest first, each as the bytes of its pages."""
    page_size = struct.unpack(">I", wal[8:12])[0]
    salts = wal[16:24]
    commits, current, offset = [], [], 32
    while offset + 24 + page_size <= len(wal):
        header = wal[offset:offset + 24]
        if header[8:16] != salts:
            break
        current.append(wal[offset + 24:offset + 24 + page_size])
        if struct.unpack(">I", header[4:8])[0]:  # a commit frame: database size after the commit
            commits.append(b"".join(current))
            current = []
        offset += 24 + page_size
    return commits


async def try_linking(h: Harness, tokens: dict[str, str]) -> None:
    """The attack: each receipt's commit (SQLite WAL frames) or transaction (PostgreSQL xmin), and the
    answers written with it. Asserts that none were, and that every answer-bearing commit holds >= k people."""
    async with h.services.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, question_id FROM pulse_answers"))).all()
        comment_ids = set((await conn.execute(text("SELECT id FROM pulse_comments"))).scalars())
        if conn.dialect.name == "postgresql":
            receipt_tx = set((await conn.execute(text("SELECT xmin::text FROM pulse_receipts"))).scalars())
            answers_by_tx: dict[str, int] = defaultdict(int)
            for xmin, question in (await conn.execute(text("SELECT xmin::text, question_id FROM pulse_answers"))):
                answers_by_tx[xmin] += question == "enps"
            comment_tx = set((await conn.execute(text("SELECT xmin::text FROM pulse_comments"))).scalars())
            assert not receipt_tx & (set(answers_by_tx) | comment_tx)
            assert all(n >= K for n in answers_by_tx.values()), dict(answers_by_tx)
            return
    path = Path(make_url(h.database_url).database)
    commits = wal_commits(Path(f"{path}-wal").read_bytes())  # noqa: ASYNC240 - the attacker's read
    seen: set[str] = set()
    new_in: list[set[str]] = []
    for commit in commits:  # what a commit wrote: the keys first seen in it
        fresh = {i for i in [*(i for i, _q in rows), *comment_ids] if i.encode() in commit} - seen
        seen |= fresh
        new_in.append(fresh)
    linked = 0
    for email, token in tokens.items():
        arrived = [n for n, commit in enumerate(commits) if token.encode() in commit]
        assert arrived, f"{email}'s receipt is not in the WAL: the attack was not tried"
        linked += bool(new_in[arrived[0]])  # answers or comments that came with the receipt
    assert linked == 0, f"{linked} of {len(tokens)} people linked to their answers"
    enps_ids = {i for i, q in rows if q == "enps"}
    batches = [len(fresh & enps_ids) for fresh in new_in if fresh - comment_ids]
    assert batches and all(n >= K for n in batches), batches


async def test_the_operator_cannot_link_answers_to_people(h: Harness, clock: FakeClock,
                                                          debug_log: pytest.LogCaptureFixture) -> None:
    await tick(h.services)
    survey_id = (await open_survey_ids(h))["care-hana"]
    people = [*VENDOR, SAM]
    for n, email in enumerate(VENDOR):
        await answer(h, email, survey_id, likert=n % 5 + 1, enps=n, comment=COMMENT if n == 2 else None)
    clock.set(NEW_YORK_MONDAY_9)
    await tick(h.services)  # Sam's invitation waits for his working hours
    await answer(h, SAM, survey_id, likert=2, enps=9)
    secret = ONETEAM_SECRET.encode()
    tokens = {email: service.receipt_token(secret, survey_id, h.user(email)) for email in people}

    await try_linking(h, tokens)  # mid-survey: one batch of k written, the rest in memory

    clock.advance(days=3)
    await tick(h.services)  # closes: the rest is written, in a batch of at least k
    await try_linking(h, tokens)
    async with h.services.db.engine.connect() as conn:
        columns = await conn.run_sync(lambda c: {col["name"] for t in ("pulse_answers", "pulse_comments")
                                                 for col in inspect(c).get_columns(t)})
        sides = set((await conn.execute(text("SELECT side FROM pulse_answers"))).scalars())
        stored = (await conn.execute(text("SELECT count(*) FROM pulse_answers WHERE question_id = 'enps'"))).scalar()
        comments = list((await conn.execute(text("SELECT text FROM pulse_comments"))).scalars())
    assert stored == len(people) and comments == [COMMENT]
    assert not {"answered_on", "created_at"} & columns  # no time finer than the survey
    assert "internal" not in sides  # Sam is the only internal person surveyed: no segment of one

    # the DEBUG log holds no SQL, no answer, and no Slack id of anyone who answered next to a pulse line
    ids = {h.user(e) for e in people}
    records = debug_log.records
    assert not [r.name for r in records if r.name.split(".")[0] in SQL_LOGGERS]
    assert not [r.name for r in records if COMMENT in f"{r.getMessage()} {r.__dict__}"]
    pulse_lines = [f"{r.getMessage()} {r.__dict__}" for r in records if "pulse" in f"{r.name} {r.getMessage()}"]
    assert not [line for line in pulse_lines if any(i in line for i in ids)]


async def test_checkin_answers_are_not_in_the_debug_log(harness: Harness,
                                                        debug_log: pytest.LogCaptureFixture) -> None:
    from tests.e2e.test_checkins import MINJI, SEOUL_1600, THURSDAY, at
    from tests.e2e.test_checkins import answer as answer_checkin

    await at(harness, THURSDAY)
    await at(harness, SEOUL_1600)
    secret_words = ("Quietly interviewing elsewhere", "Team lead shouts at us")
    ok = await answer_checkin(harness, MINJI, done=secret_words[0], next="Train two new agents", mood=2,
                              blockers=secret_words[1])
    assert ok.ok
    leaks = [r.name for r in debug_log.records if any(w in f"{r.getMessage()} {r.__dict__}" for w in secret_words)]
    assert not leaks, leaks
