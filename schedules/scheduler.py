"""Builds the APScheduler that wakes each feature's `tick` job.

Jobs are plain `async def tick(services)` functions listed in `JOBS`; tests call them directly with a
fake clock instead of waiting for the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import purge_ledger
from bot.services import Services
from schedules import checkins, digest, escalations, jira, pulse, sync

log = logging.getLogger("oneteam.schedules")


class _StillRunning(logging.Filter):
    """Each job runs one at a time (`max_instances` 1): a run that falls due while the last one still runs (a
    fan-out to 5,000 takes minutes) is skipped, and the run in progress does its work. That is the design, not
    a fault, so APScheduler's warning for it would only wake an operator's alerts every minute."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


logging.getLogger("apscheduler.scheduler").addFilter(_StillRunning())

Tick = Callable[[Services], Awaitable[object]]


@dataclass(frozen=True)
class Job:
    name: str
    tick: Tick
    every_seconds: int = 60


JOBS: tuple[Job, ...] = (
    Job("checkins", checkins.tick, every_seconds=60),
    Job("checkin-profiles", checkins.profiles_tick, 60),
    Job("pulse", pulse.tick, 60),
    Job("digest", digest.tick, digest.EVERY_SECONDS),
    Job("escalations", escalations.tick, 30),
    Job("escalations_sla", escalations.sla_tick, 30),
    Job("jira-outbox", jira.outbox_tick, jira.OUTBOX_EVERY),
    Job("jira-sync", jira.sync_tick, jira.SYNC_EVERY),
    Job("jira-stats", jira.stats_tick, jira.STATS_EVERY),
    Job("request-ledger", purge_ledger, 3600),
    Job("sync", sync.tick, sync.EVERY_SECONDS),
)


def build_scheduler(services: Services, jobs: tuple[Job, ...] = JOBS) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    for job in jobs:
        # First run at once, so that work that fell due while no instance was up is done on start-up.
        scheduler.add_job(partial(run_job, job, services), IntervalTrigger(seconds=job.every_seconds), id=job.name,
                          name=job.name, next_run_time=datetime.now(UTC))
    return scheduler


async def run_job(job: Job, services: Services) -> None:
    """One run of a job, as the scheduler does it: a failure is logged and the next run tries again."""
    run = asyncio.current_task()
    if run is not None:
        services.jobs.add(run)
    try:
        await job.tick(services)
    except asyncio.CancelledError:
        # The scheduler was shut down mid-run (the process is stopping): what the run did not finish is in the
        # database and the next run resumes it, so this run ends quietly rather than as an error. (This is the
        # outermost coroutine of the scheduler's task: nothing above it waits for the cancellation.)
        log.info("job stopped mid-run", extra={"job": job.name})
    except Exception:
        log.exception("job failed", extra={"job": job.name})
    finally:
        if run is not None:
            services.jobs.discard(run)
