"""A check-in answer's ack path: one write transaction before the ack (the submission's replay claim and the
answer's save together), the caller's language without a read of its own, and replays saving nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from sqlalchemy import select

from sandbox.driver import FORM
from sandbox.harness import Harness
from storage.models import CheckinPrompt, HandledDelivery
from tests.e2e.sql_steps import fired
from tests.e2e.test_checkins import MINJI, SEOUL_1600, THURSDAY, at, open_form


@contextmanager
def work_after_acks_held(h: Harness) -> Iterator[None]:
    """Another request in flight all along: the work listeners do after their ack waits (`AckGate`), so
    what runs meanwhile is what the ack itself waited for."""
    gate = h.services.acks
    gate.max_wait = 3600.0
    gate.enter()
    try:
        yield
    finally:
        gate.leave()


async def _form_after_restart(h: Harness) -> dict:
    """MINJI's open form, submitted to a bot that has not seen her since it started (no cached language)."""
    await at(h, THURSDAY)
    await at(h, SEOUL_1600)
    view = await open_form(h, MINJI)
    await h.restart()
    return view


def _inputs(**answers: object) -> dict[str, object]:
    return {f"q_{k}": v for k, v in answers.items()}


async def test_an_answer_is_acked_after_one_write_transaction(harness: Harness) -> None:
    h = harness
    view = await _form_after_restart(h)
    engine = h.services.db.engine.sync_engine
    with work_after_acks_held(h), fired((engine, "begin"), (engine, "commit")) as counts:
        ack = await h.driver.submit_view(h.user(MINJI), view, inputs=_inputs(
            done="Shipped the FAQ", next="Train two new agents", mood=4))
        before_ack = dict(counts)
    await h.settle()
    assert ack.ok and not (ack.body or {}).get("response_action")
    assert before_ack == {"begin": 1, "commit": 1}  # the claim and the save; no read for her language
    async with h.services.sessions() as session:
        prompt = (await session.scalars(select(CheckinPrompt).where(CheckinPrompt.answers.is_not(None)))).one()
        keys = (await session.scalars(select(HandledDelivery.key))).all()
    assert prompt.answers["done"] == "Shipped the FAQ" and [k for k in keys if k.startswith("view:")]


async def test_form_errors_come_back_in_the_persons_language_without_a_cached_one(harness: Harness) -> None:
    h = harness
    view = await _form_after_restart(h)
    ack = await h.driver.submit_view(h.user(MINJI), view, inputs=_inputs(done="FAQ", next="", mood=7))
    await h.settle()
    assert ack.body["response_action"] == "errors" and set(ack.body["errors"]) == {"q_next", "q_mood"}
    assert any("\uac00" <= ch <= "\ud7a3" for ch in ack.body["errors"]["q_next"])  # Korean for a ko-KR member
    async with h.services.sessions() as session:  # nothing saved, nothing claimed: a corrected submit may follow
        assert not (await session.scalars(select(HandledDelivery.key))).all()


async def test_a_replayed_answer_saves_once_even_when_the_copies_arrive_together(harness: Harness) -> None:
    h = harness
    view = await _form_after_restart(h)
    ack = await h.driver.submit_view(h.user(MINJI), view, inputs=_inputs(done="Once", next="Twice?", mood=3))
    await h.settle()
    assert ack.ok
    body = urlencode({"payload": json.dumps(h.driver.sent[-1])}).encode()
    replays = await asyncio.gather(*(h.driver.raw(body, {"Content-Type": FORM, **h.driver.sign(body)})
                                     for _ in range(3)))
    await h.settle()
    assert [r.status for r in replays] == [200, 200, 200] and all(not r.body for r in replays)
    async with h.services.sessions() as session:
        prompt = (await session.scalars(select(CheckinPrompt).where(CheckinPrompt.answers.is_not(None)))).one()
    assert prompt.edited_at is None  # a second save would have been an edit
