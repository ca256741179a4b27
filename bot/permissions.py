"""Who may do what to which object: one table, checked on the server.

A service loads the object by its id, describes it as a `Subject` (its team, whose it is, who is called
for it) and calls `authorize(member, action, subject)`. Nothing from the request proves anything: not the
clicked channel, not a team or owner in a button value or `private_metadata`. A new action is a new row
in `TABLE`; tests/e2e/test_permissions.py runs every row against tampered ids.

Columns of a rule:
- `who`: how the actor must stand to the object. `owner` (their check-in, their blocker, the escalation
  they raised), `responder` (called at the escalation's current or a later level), `org` (anyone in the
  org), or a role *in the object's team* (a role in another team counts for nothing; org admins are
  admins of every team).
- `sides`: where the actor comes from: `internal` staff, `vendor` staff (an `external_org` in the org
  file) in this workspace, or vendor staff acting through Slack Connect (their payload names another
  Slack organisation, which must match a vendor person of the org file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserFacingError
from storage.models import Member
from storage.org import member_by_slack_id, roles_in


class Action(StrEnum):
    """Every action a person takes on an object (button, modal submission or sub-command)."""

    ESCALATION_RAISE = "escalation.raise"  # /escalate, the raise modal (on a team)
    ESCALATION_ACK = "escalation.ack"
    ESCALATION_ESCALATE_NOW = "escalation.escalate_now"
    ESCALATION_RESOLVE = "escalation.resolve"  # the button and the note modal
    ESCALATION_REOPEN = "escalation.reopen"
    ESCALATION_SEVERITY = "escalation.severity"  # `/escalate severity ESC-n P1`
    ESCALATION_RATE = "escalation.rate"
    ESCALATION_JIRA = "escalation.jira"  # "Create Jira ticket" on the card
    ESCALATION_WAIT = "escalation.wait"  # "Waiting on internal|vendor" on the card (pauses the SLA clocks)
    BLOCKER_ESCALATE = "blocker.escalate"  # "Escalate" on a blocker (pre-fills the modal with its text)
    BLOCKER_JIRA = "blocker.jira"  # "Create Jira ticket" on a blocker
    BLOCKER_RESOLVE = "blocker.resolve"  # "No longer blocked"
    CHECKIN_ANSWER = "checkin.answer"  # open, submit and edit the form
    CHECKIN_SNOOZE = "checkin.snooze"
    CHECKIN_SKIP = "checkin.skip"
    KPI_VIEW = "kpi.view"  # /kpi [team], /kpi history
    KPI_SET = "kpi.set"
    PULSE_ANSWER = "pulse.answer"  # the survey modal (only people surveyed; the receipt allows one answer)
    PULSE_RESULTS = "pulse.results"
    PULSE_FOLLOW_UP = "pulse.follow_up"  # "you said, we did"
    JIRA_SUBSCRIBE = "jira.subscribe"  # `/oneteam jira subscribe|unsubscribe` in a team's channel
    JIRA_CREATE = "jira.create"  # the "Create Jira issue" message shortcut, in a team's channel
    JIRA_SEND = "jira.send"  # the "Send to Jira" message shortcut, in a thread linked to a ticket
    KUDOS_GIVE = "kudos.give"  # /kudos, the message shortcut, "Thank" on a resolved escalation
    SYNC_ADD_ITEM = "sync.add_item"  # "Add item" on the agenda
    SYNC_EDIT_ITEM = "sync.edit_item"  # move up/down or drop an agenda item
    SYNC_MINUTES = "sync.minutes"  # the minutes modal: decisions and action items
    SYNC_ACTION_DONE = "sync.action_done"  # "Done" on an action item
    SYNC_ACTIONS_VIEW = "sync.actions_view"  # /oneteam actions [team]
    ONCALL_COVER = "oncall.cover"  # /oneteam cover: the person covering is the owner


class Side(StrEnum):
    INTERNAL = "internal"
    VENDOR = "vendor"
    CONNECT = "slack_connect"


OWNER, RESPONDER, ORG, SURVEYED = "owner", "responder", "org", "surveyed"
FACILITATOR = "facilitator"  # holds the team's sync facilitator role (`sync.facilitator`, default liaison)
TEAM = frozenset({"member", "vendor_lead", "liaison", "manager", "admin"})  # anyone on the team, either side
ALL_SIDES = frozenset(Side)
INTERNAL_ONLY = frozenset({Side.INTERNAL})
OVERSEERS = frozenset({"liaison", "manager", "admin"})


@dataclass(frozen=True)
class Rule:
    who: frozenset[str]
    sides: frozenset[Side]
    refusal: str  # i18n key of the ephemeral refusal


def _rule(who: set[str] | frozenset[str], refusal: str, sides: frozenset[Side] = ALL_SIDES) -> Rule:
    return Rule(frozenset(who), sides, refusal)


# Jira is the internal company's tracker, and a team may keep escalation details out of shared places:
# tickets are asked for by internal staff only.
TABLE: dict[Action, Rule] = {
    Action.ESCALATION_RAISE: _rule({ORG}, "core.errors.not_in_org"),
    Action.ESCALATION_ACK: _rule({RESPONDER, *OVERSEERS}, "escalations.errors.not_allowed"),
    Action.ESCALATION_ESCALATE_NOW: _rule({RESPONDER, *OVERSEERS}, "escalations.errors.not_allowed"),
    Action.ESCALATION_RESOLVE: _rule({RESPONDER, *OVERSEERS}, "escalations.errors.not_allowed"),
    Action.ESCALATION_WAIT: _rule({RESPONDER, *OVERSEERS}, "escalations.errors.not_allowed"),
    Action.ESCALATION_REOPEN: _rule({OWNER, RESPONDER, *OVERSEERS}, "escalations.errors.not_allowed"),
    Action.ESCALATION_SEVERITY: _rule({RESPONDER, *OVERSEERS}, "escalations.errors.not_allowed"),
    Action.ESCALATION_RATE: _rule({OWNER}, "escalations.errors.not_raiser"),
    Action.ESCALATION_JIRA: _rule({RESPONDER, *OVERSEERS}, "permissions.escalation_jira", INTERNAL_ONLY),
    Action.BLOCKER_ESCALATE: _rule({OWNER, *OVERSEERS}, "permissions.blocker"),
    Action.BLOCKER_JIRA: _rule(OVERSEERS, "permissions.blocker", INTERNAL_ONLY),
    Action.BLOCKER_RESOLVE: _rule({OWNER}, "checkins.errors.not_yours"),
    Action.CHECKIN_ANSWER: _rule({OWNER}, "checkins.errors.not_yours"),
    Action.CHECKIN_SNOOZE: _rule({OWNER}, "checkins.errors.not_yours"),
    Action.CHECKIN_SKIP: _rule({OWNER}, "checkins.errors.not_yours"),
    Action.KPI_VIEW: _rule(OVERSEERS, "kpi.errors.not_allowed"),
    Action.KPI_SET: _rule(OVERSEERS, "kpi.errors.not_allowed"),
    Action.PULSE_ANSWER: _rule({SURVEYED}, "pulse.errors.not_surveyed"),
    Action.PULSE_RESULTS: _rule({"liaison", "manager"}, "pulse.errors.results_refused"),
    Action.PULSE_FOLLOW_UP: _rule({"manager"}, "pulse.errors.follow_up_refused"),
    Action.JIRA_SUBSCRIBE: _rule({"liaison", "manager"}, "permissions.jira_subscribe", INTERNAL_ONLY),
    Action.JIRA_CREATE: _rule({ORG}, "permissions.jira_create", INTERNAL_ONLY),
    Action.JIRA_SEND: _rule({ORG}, "permissions.jira_send", INTERNAL_ONLY),
    Action.KUDOS_GIVE: _rule({ORG}, "core.errors.not_in_org"),
    Action.SYNC_ADD_ITEM: _rule(TEAM, "sync.errors.not_on_team"),
    Action.SYNC_EDIT_ITEM: _rule({FACILITATOR, "admin"}, "sync.errors.not_facilitator"),
    Action.SYNC_MINUTES: _rule({FACILITATOR, "admin"}, "sync.errors.not_facilitator"),
    Action.SYNC_ACTION_DONE: _rule({OWNER, FACILITATOR, "admin"}, "sync.errors.not_your_action"),
    Action.SYNC_ACTIONS_VIEW: _rule(TEAM, "sync.errors.not_on_team"),
    Action.ONCALL_COVER: _rule({OWNER, *OVERSEERS}, "absence.errors.cover_refused"),
}


@dataclass(frozen=True)
class Actor:
    """Who acts: their Slack id, and whether the payload came from another Slack organisation."""

    slack_id: str
    external: bool = False


def actor_of(body: dict[str, Any], user_id: str | None, workspace_id: str | None) -> Actor:
    """The actor of a Slack request; a user whose Slack team is not the workspace's is external (Connect)."""
    user = body.get("user") or {}
    user_team = (user.get("team_id") if isinstance(user, dict) else None) or body.get("user_team_id")
    return Actor(user_id or "", external=bool(user_team and workspace_id and user_team != workspace_id))


async def identify(session: AsyncSession, actor: Actor) -> Member:
    """The org record of whoever acts; unknown people, and Slack Connect users who are not vendor staff
    of the org file, are refused."""
    member = await member_by_slack_id(session, actor.slack_id)
    if actor.external and (member is None or not member.external_org):
        raise UserFacingError("core.errors.external_refused")
    if member is None:
        raise UserFacingError("core.errors.not_in_org")
    return member


@dataclass(frozen=True)
class Subject:
    """What the server knows about an object, read from its own record (never from the request)."""

    team_id: int
    owner_id: int | None = None  # Member.id of whose it is
    owner_slack_id: str | None = None  # or their Slack id, where the record keeps that
    called: frozenset[str] = field(default_factory=frozenset)  # emails/roles called at its current or later levels
    surveyed: bool = False  # the actor is among the people this survey asks
    facilitator_role: str | None = None  # the team's sync facilitator role


def side_of(member: Member, connect: bool = False) -> Side:
    if connect:
        return Side.CONNECT
    return Side.VENDOR if member.external_org else Side.INTERNAL


def relations(member: Member, subject: Subject) -> set[str]:
    """How `member` stands to the object: its roles in the object's team plus owner/responder/org."""
    roles = roles_in(member, subject.team_id)
    found = {ORG, *roles}
    if (subject.owner_id is not None and member.id == subject.owner_id) or (
            subject.owner_slack_id is not None and member.slack_user_id == subject.owner_slack_id):
        found.add(OWNER)
    if subject.surveyed:
        found.add(SURVEYED)
    if subject.facilitator_role and subject.facilitator_role in roles:
        found.add(FACILITATOR)
    reachable = member.slack_user_id and not member.on_leave
    if reachable and (member.email in subject.called or roles & subject.called):
        found.add(RESPONDER)
    return found


def allowed(member: Member, action: Action, subject: Subject, *, connect: bool = False) -> bool:
    rule = TABLE[action]
    return side_of(member, connect) in rule.sides and bool(rule.who & relations(member, subject))


def authorize(member: Member, action: Action, subject: Subject, *, connect: bool = False, **params: Any) -> None:
    """Raises the action's refusal (shown ephemerally; nothing changes) unless the table allows it.
    `params` fill the refusal's placeholders."""
    if not allowed(member, action, subject, connect=connect):
        raise UserFacingError(TABLE[action].refusal, **params)


def refuse(action: Action, **params: Any) -> UserFacingError:
    """The action's refusal, for an object looked up among the actor's own (none found: not theirs)."""
    return UserFacingError(TABLE[action].refusal, **params)
