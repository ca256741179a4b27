"""Cadence, answering, results and follow-ups through the service (no Slack)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.errors import UserFacingError
from bot.pulse import batches, service
from bot.services import Services
from storage.models import PulseAnswer, PulseComment, PulseReceipt, PulseSurvey
from tests.bot.pulse.helpers import SAM, VENDOR, hana_survey, run_round, submit


async def _count(services: Services, model: type) -> int:
    async with services.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_cadence_opens_one_survey_per_team_and_rotates_questions(pulse_services: Services,
                                                                       clock: FakeClock) -> None:
    assert len(await service.open_due(pulse_services)) == 2  # care-internal and care-hana
    assert await service.open_due(pulse_services) == []  # still open
    first = await hana_survey(pulse_services)
    assert first.closes_at - first.opens_at == timedelta(days=3) and first.opens_at < first.remind_at < first.closes_at
    clock.advance(days=3)
    assert len(await service.close_due(pulse_services)) == 2
    assert await service.close_due(pulse_services) == []  # closing is claimed once
    clock.advance(days=10)
    assert await service.open_due(pulse_services) == []  # two weeks not over yet
    clock.advance(days=1)
    assert len(await service.open_due(pulse_services)) == 2
    second = await hana_survey(pulse_services)
    assert second.seq == 1 and len(second.question_ids) == 3
    assert not set(first.question_ids) & set(second.question_ids)


async def test_one_answer_per_person_and_rows_carry_no_identity(pulse_services: Services) -> None:
    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    assert await submit(pulse_services, VENDOR[0], survey, 2, 9, "Night shifts are lonely") == service.Outcome.STORED
    assert await submit(pulse_services, VENDOR[0], survey, 5, 10, "again") == service.Outcome.ALREADY
    # the answers wait in memory for a batch; only the receipt is written
    assert (await _count(pulse_services, PulseAnswer), await _count(pulse_services, PulseComment)) == (0, 0)
    assert len(batches.pending(pulse_services).ballots[survey.id]) == 1
    assert await _count(pulse_services, PulseReceipt) == 1
    with pytest.raises(UserFacingError) as err:
        await service.ballot(pulse_services, VENDOR[0], survey.id)
    assert err.value.key == "pulse.errors.already"


async def test_missing_and_out_of_range_answers_are_rejected(pulse_services: Services) -> None:
    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    q1, q2, q3 = survey.question_ids
    with pytest.raises(service.InvalidAnswers) as bad:
        await service.submit(pulse_services, VENDOR[0], survey.id, {q1: "3", q2: "6", q3: None, "enps": "11"},
                             "x" * 1001)
    assert bad.value.errors == {q2: "pulse.modal.out_of_range", q3: "pulse.modal.missing",
                                "enps": "pulse.modal.out_of_range", "comment": "pulse.modal.comment_too_long"}
    assert await _count(pulse_services, PulseAnswer) == 0 and await _count(pulse_services, PulseReceipt) == 0
    # nothing was lost: the person can still answer properly
    assert await submit(pulse_services, VENDOR[0], survey, 3, 0) == service.Outcome.STORED


async def test_closed_survey_refuses_answers(pulse_services: Services, clock: FakeClock) -> None:
    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    clock.advance(days=3)
    await service.close_due(pulse_services)
    assert await submit(pulse_services, VENDOR[0], survey) == service.Outcome.CLOSED
    with pytest.raises(UserFacingError) as err:
        await service.ballot(pulse_services, VENDOR[0], survey.id)
    assert err.value.key == "pulse.errors.closed"


async def test_managers_are_not_surveyed(pulse_services: Services) -> None:
    await service.open_due(pulse_services)
    with pytest.raises(UserFacingError) as err:
        await service.ballot(pulse_services, "U0DANA")
    assert err.value.key == "pulse.errors.none_open"


async def test_surveys_refuse_to_run_without_the_secret(pulse_services: Services) -> None:
    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    pulse_services.settings = pulse_services.settings.model_copy(update={"secret": None})
    with pytest.raises(service.SecretMissing):
        await submit(pulse_services, VENDOR[0], survey)
    with pytest.raises(UserFacingError) as err:
        await service.ballot(pulse_services, VENDOR[0])
    assert err.value.key == "pulse.errors.no_secret"


async def test_results_only_for_managers_and_liaisons(pulse_services: Services) -> None:
    for user in ("U0DANA", SAM):
        page = await service.results_page(pulse_services, user, "care-hana")
        assert page.team.key == "care-hana" and page.can_follow_up is (user == "U0DANA")
    with pytest.raises(UserFacingError) as err:
        await service.results_page(pulse_services, VENDOR[0], "care-hana")
    assert err.value.key == "pulse.errors.results_refused"
    with pytest.raises(UserFacingError):
        await service.results_page(pulse_services, VENDOR[0], None)


async def test_no_figures_while_open(pulse_services: Services) -> None:
    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    for user in VENDOR[:5]:
        await submit(pulse_services, user, survey)
    page = await service.results_page(pulse_services, "U0DANA", "care-hana")
    assert page.open_until == survey.closes_at and page.report is None


async def test_trend_flags_metrics_and_follow_ups_on_seeded_history(pulse_services: Services,
                                                                    clock: FakeClock) -> None:
    start = clock.now()
    first = await run_round(pulse_services, clock, VENDOR[:5], likert=4, enps=9)
    await run_round(pulse_services, clock, VENDOR[:4])  # below the threshold: hidden
    await run_round(pulse_services, clock, VENDOR[:5])
    # the fourth survey asks the first one's questions again (3 of the 9 concerns per survey)
    q1, q2, q3 = first.question_ids
    fourth = await run_round(pulse_services, clock, [*VENDOR[:5], SAM], likert={q1: 3, q2: 2, q3: 4}, enps=5)
    assert fourth.question_ids == first.question_ids
    async with pulse_services.sessions() as session:
        rep = await service.report(session, fourth)
    lines = {c.question_id: c for c in rep.concerns}
    assert (lines[q1].average, lines[q1].change, lines[q1].flagged) == (3.0, -1.0, True)  # dropped by 1
    assert (lines[q2].average, lines[q2].flagged) == (2.0, True)  # at or below 2.5
    assert (lines[q3].change, lines[q3].flagged) == (0.0, False)
    assert rep.figures.team.enps == -100 and rep.enps_change == -100  # third survey: all passives, 0
    assert rep.figures.visible == {"team"}  # Sam alone on the internal side: both sides hidden

    with pytest.raises(UserFacingError) as err:
        await service.add_follow_up(pulse_services, "U0DANA", fourth.id, q3, "not flagged")
    assert err.value.key == "pulse.errors.not_flagged"
    with pytest.raises(UserFacingError) as err:
        await service.add_follow_up(pulse_services, SAM, fourth.id, q2, "liaisons cannot")
    assert err.value.key == "pulse.errors.follow_up_refused"
    await service.add_follow_up(pulse_services, "U0DANA", fourth.id, q2, "Monthly skip-level calls from May.")

    async with pulse_services.sessions() as session:
        metrics = await service.pulse_metrics(session, fourth.team_id, start, clock.now() + timedelta(days=1))
    assert [s.respondents for s in metrics.surveys] == [5, None, 5, 6]
    hidden = metrics.surveys[1]
    assert hidden.enps is None and hidden.concerns == []
    assert [f.text for f in metrics.follow_ups] == ["Monthly skip-level calls from May."]


async def test_threshold_is_configurable_and_snapshotted(pulse_services: Services, clock: FakeClock) -> None:
    from sqlalchemy import update

    from storage.models import Team

    async with pulse_services.sessions.begin() as session:
        team = await session.scalar(select(Team).where(Team.key == "care-hana"))
        await session.execute(update(Team).where(Team.id == team.id).values(
            config={**team.config, "pulse": {**team.config["pulse"], "threshold": 3}}))
    survey = await run_round(pulse_services, clock, VENDOR[:3])
    assert survey.threshold == 3
    async with pulse_services.sessions() as session:
        rep = await service.report(session, await session.get(PulseSurvey, survey.id))
    assert rep.figures.team.respondents == 3


async def _set_threshold(services: Services, threshold: int) -> None:
    from sqlalchemy import update

    from storage.models import Team

    async with services.sessions.begin() as session:
        team = await session.scalar(select(Team).where(Team.key == "care-hana"))
        await session.execute(update(Team).where(Team.id == team.id).values(
            config={**team.config, "pulse": {**team.config["pulse"], "threshold": threshold}}))


async def test_answers_are_written_k_people_at_a_time_and_comments_at_close(pulse_services: Services,
                                                                             clock: FakeClock) -> None:
    await _set_threshold(pulse_services, 3)
    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    people = [*VENDOR, SAM]
    for n, user in enumerate(people[:5]):
        await submit(pulse_services, user, survey, comment="Too many night shifts" if n == 0 else None)
    assert await _count(pulse_services, PulseAnswer) == 0  # 5 < 2k wait
    await submit(pulse_services, people[5], survey)
    assert await _count(pulse_services, PulseAnswer) == 3 * 4  # 2k waited: a random k of them written
    await submit(pulse_services, people[6], survey)
    assert await _count(pulse_services, PulseAnswer) == 3 * 4  # 4 wait: at least k are kept for the last batch
    assert await _count(pulse_services, PulseComment) == 0
    async with pulse_services.sessions() as session:
        held = (await session.scalars(select(PulseReceipt.holder))).all()
    assert len(held) == 7 and held.count(None) == 3  # the written batch's receipts are released

    clock.advance(days=3)
    await service.close_due(pulse_services)
    assert await _count(pulse_services, PulseAnswer) == 7 * 4 and await _count(pulse_services, PulseComment) == 1
    async with pulse_services.sessions() as session:
        assert set((await session.scalars(select(PulseReceipt.holder))).all()) == {None}
        assert set((await session.scalars(select(PulseAnswer.side))).all()) == {"team"}  # Sam: a side of one
        rep = await service.report(session, await session.get(PulseSurvey, survey.id))
    assert rep.figures.team.respondents == 7 and rep.figures.comments == ("Too many night shifts",)


async def test_fewer_than_k_in_all_stores_nothing(pulse_services: Services, clock: FakeClock) -> None:
    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    for user in VENDOR[:4]:
        await submit(pulse_services, user, survey, comment="hello")
    clock.advance(days=3)
    await service.close_due(pulse_services)
    assert (await _count(pulse_services, PulseAnswer), await _count(pulse_services, PulseComment)) == (0, 0)
    async with pulse_services.sessions() as session:
        assert (await session.scalars(select(PulseReceipt.holder))).all() == [None] * 4
    assert survey.id not in batches.pending(pulse_services).ballots


async def test_receipts_held_by_a_process_that_died_are_found_once(pulse_services: Services,
                                                                   clock: FakeClock) -> None:
    from bot.wiring import build_services

    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    other = build_services(pulse_services.settings, clock=clock)  # a second process on the same database
    await submit(other, VENDOR[0], survey)
    if pulse_services.db.is_sqlite:  # SQLite serves one process: any other holder is gone
        assert [r.holder for r in await batches.orphaned(pulse_services)] == [other.db.instance]
    else:  # PostgreSQL: the other process's connections name it, so its answers are still held
        assert await batches.orphaned(pulse_services) == []
    await other.db.dispose()
    [lost] = await batches.orphaned(pulse_services)
    assert lost.holder == other.db.instance
    assert await batches.forget(pulse_services, lost) and not await batches.forget(pulse_services, lost)
    assert await submit(pulse_services, VENDOR[0], survey) == service.Outcome.STORED  # may answer again


async def test_an_instance_without_the_clock_writes_its_answers_when_next_asked(pulse_services: Services,
                                                                                clock: FakeClock) -> None:
    from bot.wiring import build_services

    await service.open_due(pulse_services)
    survey = await hana_survey(pulse_services)
    follower = build_services(pulse_services.settings, clock=clock)  # takes answers, runs no jobs
    for user in VENDOR[:5]:
        await submit(follower, user, survey)
    clock.advance(days=3)
    await service.close_due(pulse_services)  # the leader closes; the answers are in the follower's memory
    assert await _count(pulse_services, PulseAnswer) == 0
    page = await service.results_page(follower, "U0DANA", "care-hana")
    assert page.report is not None and page.report.figures.team.respondents == 5
    await follower.db.dispose()
