"""The `jira` section of a team in the org YAML: where its tickets go and how severities map."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from bot.config_types import Strict

DEFAULT_PRIORITIES = {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"}


def has_project(team_config: dict[str, Any] | None) -> bool:
    """Whether a team's stored config names a Jira project: without one it gets no Jira buttons."""
    return bool(((team_config or {}).get("jira") or {}).get("project"))


class JiraTransitions(Strict):
    """Which transition (by its name or the status it leads to) follows each change made in Slack. Unset: the
    first available transition into the status category (acknowledged: in progress, resolved: done,
    reopened: to do)."""

    acknowledged: str | None = None
    resolved: str | None = None
    reopened: str | None = None


class JiraConfig(Strict):
    """A team without `project` gets no Jira features (and nothing fails). Which severities get a ticket
    automatically is the escalation policy's `jira_auto` (it sends `jira_wanted` with the event)."""

    project: str | None = Field(None, pattern=r"^[A-Z][A-Z0-9_]{1,9}$")
    issue_type: str = "Task"
    # Severity -> Jira priority name.
    priorities: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PRIORITIES))
    labels: tuple[str, ...] = ()
    transitions: JiraTransitions = Field(default_factory=JiraTransitions)
    # People's comments on the ticket are posted into the escalation's thread. Off by default: a team channel
    # may be shared with a vendor, and Jira is the internal company's tracker.
    comments_to_thread: bool = False
    # When the ticket reaches a "done" status category in Jira, resolve the linked escalation too.
    resolve_escalation: bool = False

    @field_validator("labels")
    @classmethod
    def _no_spaces(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for label in v:
            if not label or re.search(r"\s", label):
                raise ValueError(f"Jira labels cannot contain spaces: {label!r}")
        return v
