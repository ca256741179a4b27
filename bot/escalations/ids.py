"""Slack ids of the escalation flow's actions, views and input blocks."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    ACK = "escalation_ack"
    ESCALATE_NOW = "escalation_escalate_now"
    RESOLVE = "escalation_resolve"
    REOPEN = "escalation_reopen"
    RATE = "escalation_rate"
    WAIT = "escalation_wait"  # _internal / _vendor set waiting on that side, _clear clears it
    JIRA = "escalation_jira"  # handled by the Jira feature
    BLOCKER = "blocker_escalate"  # rendered by check-ins, handled here
    THANK = "escalation_thank"  # "Thank" on a resolved card, handled by kudos


class View(StrEnum):
    RAISE = "escalation_raise"
    RESOLVE = "escalation_resolve_note"


class Block(StrEnum):
    SUMMARY = "esc_summary"
    DETAILS = "esc_details"
    SEVERITY = "esc_severity"
    CATEGORY = "esc_category"
    TEAM = "esc_team"
    NOTE = "esc_note"
    CARD_ACTIONS = "esc_card_actions"


CATEGORIES = ("quality", "delivery_delay", "communication", "security", "contract", "people")
