"""A stateful Jira Cloud / Server REST emulator (aiohttp) for tests, benchmarks and `oneteam demo`."""

from .faults import RequestLog
from .server import JiraSandbox

__all__ = ["JiraSandbox", "RequestLog"]
