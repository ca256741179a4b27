"""Every feature's job is on the clock."""

import asyncio
import importlib
import inspect
import logging
import pkgutil
from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

import schedules
from bot.server import BotServer
from bot.services import Services
from schedules.scheduler import JOBS, Job, build_scheduler, run_job

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


async def running_long_job(services: Services) -> AsyncIOScheduler:
    """A started scheduler whose one job, "long", is in the middle of a run that never ends by itself."""
    running = asyncio.Event()

    async def long_tick(_services: Services) -> None:
        running.set()
        await asyncio.Event().wait()

    scheduler = build_scheduler(services, jobs=(Job("long", long_tick, 60),))
    scheduler.start()
    await asyncio.wait_for(running.wait(), 5)
    return scheduler


async def test_a_job_running_when_the_bot_stops_ends_without_an_error(services: Services,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """`BotServer.stop` shuts the scheduler down, which cancels the runs in progress (a fan-out takes minutes):
    what they did not finish resumes from the database, so that is no error for monitoring (bench/soak.py
    counted two in every stop)."""
    scheduler = await running_long_job(services)
    scheduler.shutdown(wait=False)
    for _ in range(5):
        await asyncio.sleep(0)  # the cancelled run finishes and the executor reports it
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_run_falling_due_while_the_last_one_still_runs_is_skipped_without_a_warning(
        services: Services, caplog: pytest.LogCaptureFixture) -> None:
    """One run of a job at a time: a fan-out to 5,000 takes minutes, its next runs fall due meanwhile and are
    skipped, and the run in progress does their work. APScheduler warned at each (bench/soak.py: 10 a run)."""
    scheduler = await running_long_job(services)
    try:
        scheduler.modify_job("long", next_run_time=datetime.now(UTC))  # its next run falls due now
        for _ in range(5):
            await asyncio.sleep(0)  # the scheduler wakes and finds the run in progress
        assert scheduler.get_job("long").next_run_time > datetime.now(UTC)  # that run was skipped
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    finally:
        scheduler.shutdown(wait=False)


async def test_a_stop_closes_the_database_only_after_a_cancelled_job_has_unwound(
        services: Services) -> None:
    """A job run cancelled by the scheduler's shutdown still unwinds (a rollback, a session to close): closing
    the database under it left an aiosqlite connection whose close never ended, and `oneteam run` hung at exit
    (tests/e2e/test_org_on_start.py, 2 runs in 8)."""
    server = BotServer(services, port=0, scheduler=False)
    await server.start()
    started, unwinding, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
    unwound: list[bool] = []

    async def long_tick(_services: Services) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            unwinding.set()
            await release.wait()
            unwound.append(True)

    run = asyncio.create_task(run_job(Job("long", long_tick), services))
    await started.wait()
    run.cancel()  # as the scheduler's shutdown does
    await unwinding.wait()
    waiting = asyncio.Event()
    server_log = logging.getLogger("oneteam.server")
    handler = _OnMessage("finishing work in flight", waiting)
    server_log.addHandler(handler)
    level = server_log.level
    server_log.setLevel(logging.INFO)
    try:
        stopping = asyncio.create_task(server.stop())
        await asyncio.wait([stopping, asyncio.create_task(waiting.wait())], return_when=asyncio.FIRST_COMPLETED)
    finally:
        server_log.removeHandler(handler)
        server_log.setLevel(level)
    assert not stopping.done(), "the stop closed the database while a job was still unwinding"
    release.set()
    await stopping
    assert unwound == [True] and run.done()


class _OnMessage(logging.Handler):
    """Sets an event when a given message is logged."""

    def __init__(self, message: str, event: asyncio.Event) -> None:
        super().__init__(logging.INFO)
        self.message, self.event = message, event

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == self.message:
            self.event.set()
