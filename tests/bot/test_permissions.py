"""The permission table's semantics, every action x relation x side: a role counts only in the object's
own team, owners and responders are read from the object, and the side is the actor's."""

from __future__ import annotations

import itertools

import pytest

from bot.errors import UserFacingError
from bot.permissions import OWNER, RESPONDER, SURVEYED, TABLE, Action, Side, Subject, allowed, authorize, side_of
from storage.models import Member, Membership

OBJECT_TEAM, OTHER_TEAM = 1, 2
RELATIONS = ("member", "vendor_lead", "liaison", "manager", "admin", OWNER, RESPONDER, SURVEYED)


def person(relation: str, side: Side, *, in_other_team: bool = False) -> tuple[Member, Subject]:
    """A member standing to an object of team 1 in exactly one way (or with that role in team 2 only)."""
    member = Member(id=7, email="p@x.io", slack_user_id="U7", name="P", on_leave=False, is_admin=False,
                    external_org="Hana BPO" if side is not Side.INTERNAL else None)
    role = relation if relation in ("member", "vendor_lead", "liaison", "manager", "admin") else "member"
    member.memberships = [Membership(team_id=OTHER_TEAM if in_other_team else OBJECT_TEAM, roles=[role])]
    subject = Subject(team_id=OBJECT_TEAM, owner_id=7 if relation == OWNER else 99,
                      called=frozenset({"p@x.io"}) if relation == RESPONDER else frozenset({"nobody@x.io"}),
                      surveyed=relation == SURVEYED)
    return member, subject


@pytest.mark.parametrize(("action", "relation", "side"), list(itertools.product(Action, RELATIONS, Side)))
def test_every_action_follows_its_rule(action: Action, relation: str, side: Side) -> None:
    rule = TABLE[action]
    member, subject = person(relation, side)
    connect = side is Side.CONNECT
    assert side_of(member, connect) is side
    held = {"org", relation} | ({"member"} if relation in (OWNER, RESPONDER, SURVEYED) else set())
    expected = side in rule.sides and bool(rule.who & held)
    assert allowed(member, action, subject, connect=connect) is expected
    if not expected:
        with pytest.raises(UserFacingError) as refused:
            authorize(member, action, subject, connect=connect, ref="ESC-1", team="t")
        assert refused.value.key == rule.refusal


@pytest.mark.parametrize("action", list(Action))
def test_a_role_in_another_team_counts_for_nothing(action: Action) -> None:
    for role in ("member", "vendor_lead", "liaison", "manager"):
        member, subject = person(role, Side.INTERNAL, in_other_team=True)
        assert allowed(member, action, subject) is ("org" in TABLE[action].who)


def test_org_admins_are_admins_of_every_team() -> None:
    member, subject = person("member", Side.INTERNAL, in_other_team=True)
    member.is_admin = True
    assert allowed(member, Action.ESCALATION_ACK, subject) and allowed(member, Action.KPI_SET, subject)


def test_a_responder_on_leave_is_not_a_responder() -> None:
    member, subject = person(RESPONDER, Side.INTERNAL)
    member.on_leave = True
    assert not allowed(member, Action.ESCALATION_ACK, subject)
