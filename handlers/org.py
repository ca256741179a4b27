"""Slack profile changes (`user_change`): a member's time zone and locale follow what they set in Slack."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.org.service import follow_profile

COMMANDS: tuple[str, ...] = ()


def register(app: AsyncApp) -> None:
    app.event("user_change")(user_change)


async def user_change(event: dict, context: AsyncBoltContext) -> None:
    if isinstance(event.get("user"), dict) and event["user"].get("id"):
        await follow_profile(context["services"], event["user"])
