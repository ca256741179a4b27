"""Every feature's job is on the clock."""

import asyncio
import importlib
import inspect
import logging
import pkgutil

import pytest

import schedules
from bot.services import Services
from schedules.scheduler import JOBS, Job, build_scheduler

NOT_JOBS = {"scheduler", "leader"}


def test_every_tick_function_is_a_scheduled_job() -> None:
    scheduled = {job.tick for job in JOBS}
    for module_info in pkgutil.iter_modules(schedules.__path__):
        if module_info.name in NOT_JOBS:
            continue
        module = importlib.import_module(f"schedules.{module_info.name}")
        ticks = [f for name, f in inspect.getmembers(module, inspect.iscoroutinefunction)
                 if name.endswith("tick") and f.__module__ == module.__name__]
        assert ticks, f"schedules/{module_info.name}.py has no tick"
        for tick in ticks:
            assert tick in scheduled, f"{module_info.name}.{tick.__name__} is not in JOBS"


def test_job_names_are_unique() -> None:
    assert len({job.name for job in JOBS}) == len(JOBS)


async def test_a_job_running_when_the_bot_stops_ends_without_an_error(services: Services,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """`BotServer.stop` shuts the scheduler down, which cancels the runs in progress (a fan-out takes minutes):
    what they did not finish resumes from the database, so that is no error for monitoring (bench/soak.py
    counted two in every stop)."""
    running = asyncio.Event()

    async def long_tick(_services: Services) -> None:
        running.set()
        await asyncio.Event().wait()

    scheduler = build_scheduler(services, jobs=(Job("long", long_tick, 60),))
    scheduler.start()
    await asyncio.wait_for(running.wait(), 5)
    scheduler.shutdown(wait=False)
    for _ in range(5):
        await asyncio.sleep(0)  # the cancelled run finishes and the executor reports it
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
