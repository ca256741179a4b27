"""Slack action, callback and block ids of check-ins (the blocker buttons are a cross-feature contract)."""

from __future__ import annotations

from enum import StrEnum


class Ids(StrEnum):
    START = "checkin_start"  # button in the prompt / reminder: opens the form (value = round id)
    FORM = "checkin_form"  # modal callback_id
    SNOOZE_HOUR = "checkin_snooze_hour"  # buttons in the reminder (value = prompt id)
    SNOOZE_TOMORROW = "checkin_snooze_tomorrow"
    BLOCKER_RESOLVED = "checkin_blocker_resolved"  # "no longer blocked" in the next prompt (value = blocker id)
    BLOCKER_JIRA = "blocker_jira"  # handled by the Jira feature (value = blocker id)
    BLOCKER_ESCALATE = "blocker_escalate"  # handled by the Escalations feature (value = blocker id)


def question_block(key: str) -> str:
    """block_id of a question's input in the form."""
    return f"q_{key}"
