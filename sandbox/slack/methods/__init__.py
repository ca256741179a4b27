"""Web API methods as plain functions of (workspace, merged args) -> response dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..state import SlackError, Workspace
from . import chat, conversations, files, views

Handler = Callable[[Workspace, dict[str, Any]], dict[str, Any]]

METHODS: dict[str, Handler] = {
    **chat.METHODS,
    **conversations.METHODS,
    **views.METHODS,
    **files.METHODS,
}

__all__ = ["METHODS", "Handler", "SlackError"]
