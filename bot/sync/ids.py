"""Slack ids of the sync's buttons, views and input blocks."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    ADD_ITEM = "sync_add_item"  # on the agenda: value = meeting id
    ITEM_MENU = "sync_item_menu"  # overflow on an added item: value = "<up|down|drop>:<item id>"
    MINUTES = "sync_minutes"  # in the facilitator's DM: value = meeting id
    DONE = "sync_action_done"  # in the owner's DM: value = action item id


class View(StrEnum):
    ADD_ITEM = "sync_add_item_modal"
    MINUTES = "sync_minutes_modal"


class Block(StrEnum):
    TOPIC = "sync_topic"
    DETAILS = "sync_details"
    SIDE = "sync_side"
    DECISIONS = "sync_decisions"
    JIRA = "sync_jira"
    AGENDA_ACTIONS = "sync_agenda_actions"


ACTION_ROWS = 3  # action items per minutes modal


def what_block(n: int) -> str:
    return f"sync_what_{n}"


def owner_block(n: int) -> str:
    return f"sync_owner_{n}"


def due_block(n: int) -> str:
    return f"sync_due_{n}"
