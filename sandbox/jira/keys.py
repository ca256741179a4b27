"""Typed per-request storage keys shared by the middleware (`server.py`) and the handlers (`api.py`)."""

from __future__ import annotations

from typing import Any

try:  # aiohttp >= 3.12 prefers typed keys and warns on plain strings
    from aiohttp.web import RequestKey

    API_VERSION: Any = RequestKey("jira_api_version", int)
    ME: Any = RequestKey("jira_me", object)
    JSON: Any = RequestKey("jira_json", object)
    JSON_INVALID: Any = RequestKey("jira_json_invalid", bool)
except ImportError:  # pragma: no cover - older aiohttp
    API_VERSION, ME, JSON, JSON_INVALID = "jira_api_version", "jira_me", "jira_json", "jira_json_invalid"
