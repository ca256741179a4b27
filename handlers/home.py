"""App Home: publish the person's Home tab when they open it."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.home.service import home_opened

COMMANDS: tuple[str, ...] = ()


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(app_home_opened)


async def app_home_opened(event: dict, context: AsyncBoltContext) -> None:
    if event.get("tab", "home") == "home" and event.get("user"):
        await home_opened(context["services"], event["user"])
