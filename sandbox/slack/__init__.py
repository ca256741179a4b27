"""A local Slack workspace for tests, benchmarks and `oneteam demo` (production code never imports it)."""

from .ratelimit import TIMEOUT, RateLimits
from .server import SlackSandbox
from .state import ApiCall, Message, text_of

__all__ = ["TIMEOUT", "ApiCall", "Message", "RateLimits", "SlackSandbox", "text_of"]
