"""Action ids the Jira feature handles (the buttons are rendered by escalations and check-ins)."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    ESCALATION = "escalation_jira"  # on the escalation card (value = escalation id)
    BLOCKER = "blocker_jira"  # in the liaison's blocker DM (value = blocker id)


class Shortcut(StrEnum):
    """Message shortcuts (manifest.yml `features.shortcuts`)."""

    CREATE = "jira_create_issue"  # "Create Jira issue": any message becomes a ticket
    SEND = "jira_send_comment"  # "Send to Jira": a message in a linked thread becomes a comment on its ticket


class View(StrEnum):
    CREATE = "jira_create_issue_modal"  # private_metadata = the JiraLink id recorded when it opened


class Block(StrEnum):
    PROJECT = "jira_project"
    TYPE = "jira_type"
    SUMMARY = "jira_summary"
    DESCRIPTION = "jira_description"
