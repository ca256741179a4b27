"""Action ids the Jira feature handles (the buttons are rendered by escalations and check-ins)."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    ESCALATION = "escalation_jira"  # on the escalation card (value = escalation id)
    BLOCKER = "blocker_jira"  # in the liaison's blocker DM (value = blocker id)
