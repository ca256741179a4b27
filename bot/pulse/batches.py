"""Answers wait in this process's memory and reach the database only in shuffled batches of at least
`k` people (k = the survey's threshold), never in the transaction of a receipt.

An operator who holds the database files (SQLite's WAL, PostgreSQL's xmin/ctid), the logs and
ONETEAM_SECRET can compute each person's receipt and see when it was written, but the answers arrive
later, k or more people's at a time, rows in random order under random keys: commit order, row order
and transaction ids reveal only which batch of at least k people an answer came in.

- While at least 2k answers wait, a random k of them are written; the rest keep waiting, so at least
  k are always left for the last batch. At close, what is left is written (it is then at least k), or,
  when fewer than k people answered through this process in all, nothing: it could never be shown.
- Comments wait until close and are written then, all together and shuffled, in a transaction of their
  own: a comment (the most identifying thing a person gives) is not tied to the batch of its author's
  answers.
- A receipt names the process holding its answers (`holder`) until they are written. When a process dies
  with answers in memory, the next pulse run finds receipts held by a dead process, deletes them and
  tells those people that they can answer again (see `recover`).
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import Services
from storage.models import PulseAnswer, PulseComment, PulseReceipt, PulseSurvey
from storage.rows import rowcount

log = logging.getLogger("oneteam.pulse")
EXTRA_KEY = "pulse.batches"
_random = random.SystemRandom()


@dataclass(frozen=True)
class Ballot:
    """One person's answers as they wait in memory: the receipt token only to release its hold."""

    token: str
    side: str
    values: dict[str, int]
    comment: str | None


@dataclass
class Pending:
    """This process's answers that are not yet written, per survey."""

    holder: str
    ballots: dict[int, list[Ballot]] = field(default_factory=dict)
    comments: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # (side, text) of written ballots


def pending(services: Services) -> Pending:
    """The process's buffer; its holder id names this process on the receipts it holds."""
    buffer = services.extras.get(EXTRA_KEY)
    if buffer is None:
        buffer = services.extras[EXTRA_KEY] = Pending(services.db.instance)
    return buffer


async def hold(services: Services, survey: PulseSurvey, ballot: Ballot) -> None:
    """Keeps a ballot whose receipt is written; writes a random k of them once 2k wait."""
    buffer = pending(services)
    waiting = buffer.ballots.setdefault(survey.id, [])
    waiting.append(ballot)
    if len(waiting) >= 2 * survey.threshold:
        batch = _random.sample(waiting, survey.threshold)
        buffer.ballots[survey.id] = [b for b in waiting if b not in batch]
        try:
            await _write(services, survey.id, batch)
        except Exception:  # they wait for the next batch; the person's answer is taken all the same
            log.exception("pulse batch not written", extra={"survey_id": survey.id})
            return
        buffer.comments.setdefault(survey.id, []).extend((b.side, b.comment) for b in batch if b.comment)


async def flush_closed(services: Services) -> None:
    """Writes (or, below k in all, drops) what this process still holds for surveys that have closed."""
    buffer = pending(services)
    if not buffer.ballots:
        return
    async with services.sessions() as session:
        closed = (await session.execute(select(PulseSurvey.id, PulseSurvey.threshold).where(
            PulseSurvey.id.in_(list(buffer.ballots)), PulseSurvey.state == "closed"))).all()
    for survey_id, threshold in closed:
        rest = buffer.ballots.pop(survey_id)
        comments = buffer.comments.pop(survey_id, [])
        if len(rest) < threshold:  # then no batch was written either: fewer than k answered here in all
            await _release(services, [b.token for b in rest])
            log.info("pulse survey closed below the threshold: nothing stored", extra={"survey_id": survey_id})
            continue
        try:
            await _write(services, survey_id, rest)
        except Exception:
            buffer.comments[survey_id] = comments  # the next run tries again
            raise
        await _write_comments(services, survey_id, comments + [(b.side, b.comment) for b in rest if b.comment])


async def _write(services: Services, survey_id: int, batch: Sequence[Ballot]) -> None:
    rows = [PulseAnswer(id=str(uuid.uuid4()), survey_id=survey_id, side=b.side, question_id=qid, value=value)
            for b in batch for qid, value in b.values.items()]
    _random.shuffle(rows)
    try:
        async with services.sessions.begin() as session:
            session.add_all(rows)
    except Exception:
        pending(services).ballots.setdefault(survey_id, []).extend(batch)  # try again with the next batch
        raise
    await _release(services, [b.token for b in batch])


async def _write_comments(services: Services, survey_id: int, comments: list[tuple[str, str]]) -> None:
    if not comments:
        return
    rows = [PulseComment(id=str(uuid.uuid4()), survey_id=survey_id, side=side, text=body) for side, body in comments]
    _random.shuffle(rows)
    async with services.sessions.begin() as session:
        session.add_all(rows)


async def _release(services: Services, tokens: list[str]) -> None:
    """The answers are written (or dropped on purpose): their receipts are no longer held. A transaction of
    its own, after the answers', so that receipts and answers never share one."""
    async with services.sessions.begin() as session:
        await session.execute(update(PulseReceipt).where(PulseReceipt.token.in_(tokens)).values(holder=None))


async def _live_holders(session: AsyncSession, services: Services) -> set[str]:
    """Processes that may still hold answers in memory. On PostgreSQL every process names its connections
    after itself; SQLite is used by one process, so only this one is alive."""
    if services.db.is_sqlite:
        return {services.db.instance}
    names = (await session.execute(text(
        "SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE 'oneteam:%'"))).scalars()
    return {n.removeprefix("oneteam:") for n in names} | {services.db.instance}


async def orphaned(services: Services) -> list[PulseReceipt]:
    """Receipts whose answers were lost with the process that held them."""
    async with services.sessions() as session:
        live = await _live_holders(session, services)
        held = (await session.scalars(select(PulseReceipt).where(PulseReceipt.holder.is_not(None)))).all()
    return [r for r in held if r.holder not in live]


async def forget(services: Services, receipt: PulseReceipt) -> bool:
    """Deletes a lost receipt so that its person can answer again; False when another run already did."""
    async with services.sessions.begin() as session:
        done = await session.execute(delete(PulseReceipt).where(PulseReceipt.token == receipt.token,
                                                                PulseReceipt.holder == receipt.holder))
    return rowcount(done) == 1
