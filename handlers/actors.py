"""Who sent a request, as every listener passes it to its feature (see `bot.permissions.actor_of`)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncBoltContext

from bot.permissions import Actor, actor_of


def actor(body: dict, context: AsyncBoltContext) -> Actor:
    """The person behind `body` (a slash command's payload is its body), external when they are from
    another Slack organisation (Slack Connect)."""
    return actor_of(body, context.user_id, context.team_id)
