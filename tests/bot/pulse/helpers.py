"""Helpers shared by the pulse tests: open, answer and close surveys through the service."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import FakeClock
from bot.pulse import service
from bot.services import Services
from demo.pulse import EXTRA_STAFF
from storage.models import PulseSurvey, Team

VENDOR = [f"U0X{login.upper()[:6]}" for login, _ in EXTRA_STAFF]  # six external agents of care-hana
SAM = "U0SAM"  # liaison: the internal side of care-hana


async def hana_survey(services: Services) -> PulseSurvey:
    async with services.sessions() as session:
        return await session.scalar(select(PulseSurvey).join(Team, Team.id == PulseSurvey.team_id)
                                    .where(Team.key == "care-hana").order_by(PulseSurvey.seq.desc()).limit(1))


async def submit(services: Services, user: str, survey: PulseSurvey, likert: int | dict[str, int] = 4,
                 enps: int = 8, comment: str | None = None) -> service.Outcome:
    raw = {q: str(likert.get(q, 4) if isinstance(likert, dict) else likert) for q in survey.question_ids}
    raw["enps"] = str(enps)
    return await service.submit(services, user, survey.id, raw, comment)


async def run_round(services: Services, clock: FakeClock, voters: list[str], likert: int | dict[str, int] = 4,
                    enps: int = 8) -> PulseSurvey:
    """Opens the next survey, has `voters` answer, closes it and moves to the next cadence date."""
    await service.open_due(services)
    survey = await hana_survey(services)
    for user in voters:
        assert await submit(services, user, survey, likert, enps) == service.Outcome.STORED
    clock.advance(days=3)
    await service.close_due(services)
    clock.advance(days=11)
    return survey
