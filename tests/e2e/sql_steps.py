"""Counting what the database sees while a step runs (test_checkin_answers_scale, test_checkin_submit_ack)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def fired(*hooks: tuple[Any, str]) -> Iterator[dict[str, int]]:
    """How often each SQLAlchemy event (`(target, name)`, e.g. `(engine, "commit")`) fires while the block
    runs, by event name."""
    counts = {name: 0 for _, name in hooks}
    listeners = []
    for target, name in hooks:
        def hit(*_args: Any, _name: str = name) -> None:
            counts[_name] += 1

        event.listen(target, name, hit)
        listeners.append((target, name, hit))
    try:
        yield counts
    finally:
        for target, name, hit in listeners:
            event.remove(target, name, hit)
