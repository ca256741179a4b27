"""In-process domain events, so that features react to each other without importing each other:
Jira listens for `EscalationRaised` and `BlockerReported`, escalations and check-ins for what Jira did, App
Home for anything that changes what a person sees.

Each event is a frozen dataclass: a publisher and its subscribers agree on the fields through the type
checker, not through dictionary keys. Subscribers are awaited in order; one failing is logged and does not
stop the others or the caller.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from bot.slack import SlackProfile

log = logging.getLogger("oneteam.events")


@dataclass(frozen=True)
class Event:
    """The base of every domain event."""


E = TypeVar("E", bound=Event)


# --- escalations -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EscalationEvent(Event):
    """An escalation changed; the subclass says how. Carries what a subscriber needs without a read."""

    escalation_id: int
    ref: str
    team_key: str
    severity: str
    category: str
    summary: str
    details: str
    raiser_slack_id: str | None
    channel_id: str | None
    message_ts: str | None
    jira_wanted: bool
    # Who did it and what they wrote (the resolution note), for what is told elsewhere (the Jira comment).
    actor_name: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class EscalationRaised(EscalationEvent):
    pass


@dataclass(frozen=True)
class EscalationEscalated(EscalationEvent):
    pass


@dataclass(frozen=True)
class EscalationReminded(EscalationEvent):
    pass


@dataclass(frozen=True)
class EscalationAcknowledged(EscalationEvent):
    pass


@dataclass(frozen=True)
class EscalationResolved(EscalationEvent):
    pass


@dataclass(frozen=True)
class EscalationReopened(EscalationEvent):
    pass


@dataclass(frozen=True)
class EscalationSeverityChanged(EscalationEvent):
    """`severity` is the new one; `note` says "old → new" (Jira moves the ticket's priority)."""


# --- check-ins and people --------------------------------------------------------------------------------

@dataclass(frozen=True)
class BlockerReported(Event):
    """A check-in answer named a blocker (Jira remembers it for the liaison's "Create Jira ticket" button)."""

    blocker_id: int
    team_key: str
    member_email: str | None
    member_slack_id: str | None
    text: str
    round_id: int


@dataclass(frozen=True)
class BlockerResolved(Event):
    """Its owner said they are no longer blocked (Jira moves a linked ticket to done)."""

    blocker_id: int
    team_key: str
    member_name: str


@dataclass(frozen=True)
class ProfileRead(Event):
    """A member's Slack profile was read (at send time): the org record follows it."""

    profile: SlackProfile


@dataclass(frozen=True)
class MemberTimezoneChanged(Event):
    member_id: int


@dataclass(frozen=True)
class HomeChanged(Event):
    """What these people see on App Home changed: it is republished."""

    slack_user_ids: Sequence[str | None]  # None: a person not in Slack (nothing to republish)
    kpi_team_ids: Sequence[int] = ()  # teams whose KPI figures changed (App Home caches them per team)


# --- weekly sync ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionItemTicketWanted(Event):
    """The sync's minutes asked for a Jira ticket for an action item (Jira makes one, once)."""

    action_item_id: int
    team_key: str
    summary: str
    details: str
    channel_id: str | None
    message_ts: str | None


# --- Jira ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JiraIssueLinked(Event):
    """An escalation or blocker (`origin`, `origin_id`) has a Jira issue, or its issue changed status:
    the owning feature records the key (and status) on its own row."""

    origin: str  # escalation | blocker | action_item
    origin_id: int
    jira_key: str
    status: str | None = None


@dataclass(frozen=True)
class JiraLinked(Event):
    """A ticket OneTeam asked for was created."""

    origin: str
    origin_id: int
    jira_key: str
    url: str


@dataclass(frozen=True)
class JiraPending(Event):
    """Jira is unreachable: the ticket follows when it is back."""

    origin: str
    origin_id: int
    item_id: int


@dataclass(frozen=True)
class JiraUpdated(Event):
    origin: str
    origin_id: int
    jira_key: str
    status: str | None
    status_category: str | None
    assignee: str | None
    resolution: str | None


@dataclass(frozen=True)
class JiraIssueDone(Event):
    """The issue linked to escalation `ref` reached the done category and the team wants that to resolve it."""

    ref: str
    note: str


Subscriber = Callable[[Any], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[type[Event], list[Subscriber]] = defaultdict(list)

    def subscribe(self, kind: type[E], subscriber: Callable[[E], Awaitable[None]]) -> None:
        """`subscriber` is awaited with every event of exactly this class."""
        self._subscribers[kind].append(subscriber)

    async def publish(self, event: Event) -> None:
        for subscriber in self._subscribers.get(type(event), ()):
            try:
                await subscriber(event)
            except Exception:
                log.exception("event subscriber failed", extra={"event": type(event).__name__})
