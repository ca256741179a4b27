"""Answers meant for the one person who typed or clicked: the error handler and listeners share this."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncBoltContext

log = logging.getLogger("oneteam.app")


async def tell_privately(context: AsyncBoltContext, body: dict, text: str, blocks: list | None = None) -> None:
    """Ephemeral where Slack allows it (response_url, channel), else a DM."""
    try:
        if context.respond is not None and (body.get("response_url") or body.get("response_urls")):
            await context.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        elif context.channel_id and context.user_id and not context.channel_id.startswith("D"):
            await context.client.chat_postEphemeral(channel=context.channel_id, user=context.user_id,
                                                    text=text, blocks=blocks)
        elif context.user_id:
            await context.client.chat_postMessage(channel=context.user_id, text=text, blocks=blocks)
    except Exception:  # the user cannot be told; the log must say so
        log.exception("could not tell the user about an error", extra={"user_id": context.user_id})
