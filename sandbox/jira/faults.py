"""Request log and fault injection: what benchmarks count and how tests make Jira misbehave on cue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestLog:
    """One request as the emulator saw it. `at` is `time.monotonic()` (real time, for request rates)."""

    method: str
    path: str
    query: dict[str, str]  # repeated keys joined with ","
    status: int = 0
    at: float = 0.0
    body: Any = None  # parsed JSON body, if any
    injected: bool = False  # answered by `inject()` rather than the emulator
    hung: bool = False  # applied, then the response was held back (`inject_timeout_after_commit`)
    connection: int | None = None  # the client's port: requests over one kept-alive connection share it


@dataclass
class Fault:
    status: int | None  # None: hang after commit
    remaining: int
    path_contains: str | None = None
    retry_after: int | None = None
    methods: frozenset[str] | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path_contains is None or self.path_contains in path


@dataclass
class Faults:
    status_faults: list[Fault] = field(default_factory=list)
    hang_faults: list[Fault] = field(default_factory=list)

    def take(self, faults: list[Fault], method: str, path: str) -> Fault | None:
        """Consume one use of the first fault matching this request (rules fire in the order added)."""
        for f in faults:
            if f.matches(method, path):
                f.remaining -= 1
                if f.remaining <= 0:
                    faults.remove(f)
                return f
        return None
