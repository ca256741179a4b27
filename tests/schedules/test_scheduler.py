"""Every feature's job is on the clock."""

import importlib
import inspect
import pkgutil

import schedules
from schedules.scheduler import JOBS

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
