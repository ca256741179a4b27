"""Slack ids of the kudos views and buttons."""

from __future__ import annotations

from enum import StrEnum


class View(StrEnum):
    GIVE = "kudos_give"


class Block(StrEnum):
    RECIPIENTS = "kudos_recipients"
    REASON = "kudos_reason"
    WHERE = "kudos_where"


class Shortcut(StrEnum):
    THANK_MESSAGE = "kudos_thank_message"  # message shortcut "Say thanks for this"


WHERE_CHANNEL, WHERE_PRIVATE = "channel", "private"
