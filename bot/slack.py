"""The Slack Web API client, with retries, and the small directory view of Slack that services use.

slack-sdk retries only connection errors by default; OneTeam adds its handlers for 429 (honouring
`Retry-After`) and for 5xx, so a burst of prompts is slowed down, never dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from storage.models import ProfileSnapshot

RATE_LIMIT_RETRIES = 10
SERVER_ERROR_RETRIES = 4


def make_client(token: str | None, base_url: str, *, timeout: int = 30) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=3),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ],
    )


class BotIdentity:
    """The bot's own `auth.test` answer, read once per process. Bolt's built-in authorization calls auth.test
    for each request until one has answered, so a burst right after a start made one call per request and,
    past the method's limit, some waited out a Retry-After while the person's 3 s ran out."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._lock = asyncio.Lock()
        self._answer: AsyncSlackResponse | None = None

    async def read(self) -> AsyncSlackResponse:
        """The answer, from Slack the first time (one call even when many ask at once); a failed call is
        tried again by the next caller."""
        if self._answer is None:
            async with self._lock:
                if self._answer is None:
                    self._answer = await self._client.auth_test()
        return self._answer

    async def workspace(self) -> str | None:
        """The id of the workspace the bot is installed in."""
        return str((await self.read()).get("team_id") or "") or None


@dataclass(frozen=True)
class SlackProfile:
    """What OneTeam needs of a Slack user, free of Slack's payload shape."""

    user_id: str
    team_id: str | None
    name: str
    email: str | None
    timezone: str | None
    locale: str | None
    status_text: str
    status_emoji: str
    deleted: bool


def profile_from(user: dict) -> SlackProfile:
    """A user object as users.info, users.list and the `user_change` event carry it."""
    profile = user.get("profile") or {}
    return SlackProfile(
        user_id=user["id"],
        team_id=user.get("team_id"),
        name=user.get("real_name") or profile.get("real_name") or user.get("name", ""),
        email=profile.get("email"),
        timezone=user.get("tz"),
        locale=user.get("locale"),
        status_text=profile.get("status_text", ""),
        status_emoji=profile.get("status_emoji", ""),
        deleted=bool(user.get("deleted")),
    )


def snapshot_values(profile: SlackProfile, read_at: datetime) -> dict[str, Any]:
    """The `ProfileSnapshot` row that keeps a profile read at `read_at`."""
    values = asdict(profile)
    return values | {"slack_user_id": values.pop("user_id"), "read_at": read_at}


def from_snapshot(row: ProfileSnapshot) -> SlackProfile:
    return SlackProfile(user_id=row.slack_user_id, team_id=row.team_id, name=row.name, email=row.email,
                        timezone=row.timezone, locale=row.locale, status_text=row.status_text,
                        status_emoji=row.status_emoji, deleted=row.deleted)


class SlackDirectory:
    """Looks people up in Slack for the org and away checks."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def by_email(self, email: str) -> SlackProfile | None:
        try:
            resp = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                return None
            raise
        return profile_from(resp["user"])

    async def everyone(self) -> list[SlackProfile]:
        """Every user of the workspace, page by page (Slack may return short pages: follow the cursor)."""
        return [p async for page in self.pages() for p in page]

    async def pages(self) -> AsyncIterator[list[SlackProfile]]:
        """The workspace's people one `users.list` page at a time (200, Slack's recommended size; status, time
        zone and locale included), so a caller can act on a page while the next one is fetched."""
        async for page in await self.client.users_list(limit=200, include_locale=True):
            yield [profile_from(u) for u in page.get("members", []) if not u.get("is_bot")]

    async def by_id(self, user_id: str) -> SlackProfile | None:
        try:
            resp = await self.client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
                return None
            raise
        return profile_from(resp["user"])
