"""The one exception the emulator raises, shaped like Jira's JSON error body so handlers can just raise it."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class JiraError(Exception):
    """An error Jira would answer with `{"errorMessages": [...], "errors": {...}}` and an HTTP status."""

    def __init__(
        self,
        status: int,
        *messages: str,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status}: {'; '.join(messages) or errors}")
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body Jira sends with the error."""
        return {"errorMessages": self.messages, "errors": self.errors}

    def response(self) -> web.Response:
        """Render as an aiohttp response."""
        return web.json_response(self.body(), status=self.status, headers=self.headers)


def not_found_issue() -> JiraError:
    """Jira answers the same for a missing issue and one you may not see."""
    return JiraError(404, "Issue does not exist or you do not have permission to see it.")
