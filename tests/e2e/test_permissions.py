"""Every action of every feature against the permission table, as an attacker would try it: the wrong
person, another person's ids, ids that do not exist or are not numbers, a tampered `private_metadata`.

Each case asserts that the person is told privately, in their language, with the refusal the table
names, and that nothing changed (database rows, Jira, views opened)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.i18n import load_catalog
from bot.jira import outbox
from bot.permissions import TABLE, Action
from sandbox.driver import Ack
from sandbox.harness import Harness
from sandbox.slack import text_of
from schedules.checkins import tick as checkin_tick
from schedules.pulse import tick as pulse_tick
from storage.models import (
    CheckinBlocker,
    CheckinPrompt,
    Escalation,
    EscalationStep,
    JiraLink,
    JiraSubscription,
    KpiValue,
    Member,
    OncallCover,
    PulseFollowUp,
    PulseSurvey,
    SyncActionItem,
    SyncItem,
    SyncMeeting,
    Team,
)

PRIYA, SAM, DANA = "priya@acme.example", "sam@acme.example", "dana@acme.example"
MINJI, JISOO = "minji@hanabpo.example", "jisoo@hanabpo.example"
STRANGER = "U0STRANGER"
THURSDAY = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
SEOUL_1600 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


@dataclass
class World:
    """The objects the attacks aim at, made through the real flows."""

    open_esc: int  # ESC-1, open, raised by Priya on care-hana
    resolved_esc: int  # ESC-2, resolved, raised by Priya
    blocker: int  # Ji-soo's blocker
    prompt: int  # Ji-soo's check-in prompt
    round: int  # care-hana's check-in round
    survey: int  # care-hana's open pulse survey
    meeting: int  # care-hana's weekly sync (its facilitator: the liaison, Sam)
    item: int  # an agenda item of it
    action: int  # an action item owned by Min-ji


@pytest.fixture
async def h(clock: FakeClock) -> AsyncIterator[Harness]:
    async with Harness(clock=clock, jira="cloud") as harness:
        harness.sandbox.add_user(STRANGER, "stranger", email="stranger@elsewhere.example")
        yield harness


async def settle(h: Harness) -> None:
    await h.settle()
    await outbox.drain(h.services)


def uid(h: Harness, who: str) -> str:
    return who if who == STRANGER else h.user(who)


async def build_world(h: Harness) -> World:
    h.clock.set(THURSDAY)
    await checkin_tick(h.services)
    h.clock.set(SEOUL_1600)
    await checkin_tick(h.services)
    jisoo = h.user(JISOO)
    prompt_msg = next(m for m in h.sandbox.dms(jisoo) if "checkin_start" in str(m.blocks))
    await h.driver.block_action(jisoo, "checkin_start", message=prompt_msg)
    await settle(h)
    form = h.sandbox.open_views(jisoo)[-1]
    await h.driver.submit_view(jisoo, form, inputs={"q_done": "a", "q_next": "b", "q_mood": 3,
                                                    "q_blockers": "Ji-soo's private blocker text"})
    await settle(h)
    for text in ("P3 care-hana Queue stuck", "P3 care-hana Old trouble"):
        await h.command(PRIYA, "/escalate", text)
        await settle(h)
    async with h.services.sessions() as s:
        escs = (await s.scalars(select(Escalation).order_by(Escalation.id))).all()
        blocker = (await s.scalars(select(CheckinBlocker))).one()
        prompt = await s.get(CheckinPrompt, blocker.prompt_id)
    card = next(m for m in h.sandbox.channel_messages("C0HANA") if escs[1].ref in text_of(m))
    await h.driver.block_action(h.user(SAM), "escalation_resolve", message=card)
    await settle(h)
    note = h.sandbox.open_views(h.user(SAM))[-1]
    await h.driver.submit_view(h.user(SAM), note, inputs={"esc_note": "Fixed"})
    await settle(h)
    await pulse_tick(h.services)
    await settle(h)
    async with h.services.sessions() as s:
        survey = await s.scalar(select(PulseSurvey).where(PulseSurvey.state == "open").order_by(PulseSurvey.id))
        assert (await s.get(Escalation, escs[1].id)).state == "resolved"
    async with h.services.sessions.begin() as s:
        team = await s.scalar(select(Team).where(Team.key == "care-hana"))
        minji = await s.scalar(select(Member).where(Member.email == MINJI))
        meeting = SyncMeeting(team_id=team.id, starts_at=SEOUL_1600, ends_at=SEOUL_1600, channel_id="C0HANA",
                              state="drafted")
        s.add(meeting)
        await s.flush()
        item = SyncItem(meeting_id=meeting.id, topic="t", owner_side="vendor", position=1, created_at=SEOUL_1600)
        action = SyncActionItem(team_id=team.id, meeting_id=meeting.id, what="w", owner_id=minji.id,
                                due=SEOUL_1600.date(), state="open", created_at=SEOUL_1600)
        s.add_all([item, action])
        await s.flush()
        sync_ids = (meeting.id, item.id, action.id)
    return World(escs[0].id, escs[1].id, blocker.id, prompt.id, prompt.round_id, survey.id, *sync_ids)


async def snapshot(h: Harness) -> dict[str, Any]:
    """Everything an action could change."""
    async with h.services.sessions() as s:
        return {
            "escalations": [(e.id, e.state, e.level, e.step, e.jira_key, e.satisfaction, e.blocker_id)
                            for e in (await s.scalars(select(Escalation).order_by(Escalation.id))).all()],
            "steps": len((await s.scalars(select(EscalationStep))).all()),
            "blockers": [(b.id, b.status, b.jira_key) for b in (await s.scalars(select(CheckinBlocker))).all()],
            "prompts": [(p.id, p.state, p.reminder_state, p.remind_at, p.answers)
                        for p in (await s.scalars(select(CheckinPrompt).order_by(CheckinPrompt.id))).all()],
            "links": [(lk.origin, lk.origin_id, lk.state, lk.channel_id, lk.thread_ts)
                      for lk in (await s.scalars(select(JiraLink).order_by(JiraLink.id))).all()],
            "kpi": [(v.kpi_key, v.week, v.value) for v in (await s.scalars(select(KpiValue))).all()],
            "subscriptions": [(x.id, x.channel_id, x.jql) for x in (await s.scalars(select(JiraSubscription))).all()],
            "follow_ups": len((await s.scalars(select(PulseFollowUp))).all()),
            "sync": [(m.id, m.state, m.decisions) for m in (await s.scalars(select(SyncMeeting))).all()],
            "sync_items": [(i.id, i.position, i.dropped) for i in (await s.scalars(select(SyncItem))).all()],
            "sync_actions": [(a.id, a.state) for a in (await s.scalars(select(SyncActionItem))).all()],
            "covers": len((await s.scalars(select(OncallCover))).all()),
            "jira_issues": sorted(h.jira.issues),
            "views": {u: [v["id"] for v in h.sandbox.open_views(uid(h, u))]
                      for u in (PRIYA, SAM, DANA, MINJI, JISOO, STRANGER)},
        }


Send = Callable[[Harness, World, str], Awaitable[Ack]]


def click(action_id: str, value: Callable[[World], str]) -> Send:
    async def send(h: Harness, w: World, user: str) -> Ack:
        return await h.driver.block_action(user, action_id, value=value(w), channel_id=h.sandbox.ws.dm_id(user))
    return send


def choose(action_id: str, value: Callable[[World], str]) -> Send:
    """An option picked in an overflow menu."""
    async def send(h: Harness, w: World, user: str) -> Ack:
        return await h.driver.block_action(user, action_id, selected_option=value(w),
                                           channel_id=h.sandbox.ws.dm_id(user))
    return send


def command(name: str, text: str) -> Send:
    async def send(h: Harness, w: World, user: str) -> Ack:
        return await h.driver.slash(user, name, text)
    return send


def cover_for(email: str, text: str) -> Send:
    """`/oneteam cover @person …` naming a person of the org by their real Slack id."""
    async def send(h: Harness, w: World, user: str) -> Ack:
        return await h.driver.slash(user, "/oneteam", f"cover <@{h.user(email)}> {text}")
    return send


def command_with(name: str, text: Callable[[World], str]) -> Send:
    async def send(h: Harness, w: World, user: str) -> Ack:
        return await h.driver.slash(user, name, text(w))
    return send


def command_in(channel: str, name: str, text: str) -> Send:
    async def send(h: Harness, w: World, user: str) -> Ack:
        return await h.driver.slash(user, name, text, channel_id=channel)
    return send


def message_shortcut(callback_id: str) -> Send:
    """The shortcut on a message posted in a team's channel (Hana BPO's, shared with the vendor)."""
    async def send(h: Harness, w: World, user: str) -> Ack:
        msg = h.sandbox.ws.post_as(user, "C0HANA", "Make this a ticket")
        return await h.driver.message_shortcut(user, callback_id, msg)
    return send


def send_in_escalation_thread(esc: Callable[[World], str]) -> Send:
    """"Send to Jira" on one's own reply in the thread of an escalation card that has a ticket."""
    async def send(h: Harness, w: World, user: str) -> Ack:
        async with h.services.sessions() as s:
            card = await s.get(Escalation, int(esc(w)))
        assert card is not None and card.channel_id and card.message_ts
        msg = h.sandbox.ws.post_as(user, card.channel_id, "Send this", thread_ts=card.message_ts)
        return await h.driver.message_shortcut(user, "jira_send_comment", msg)
    return send


def raise_with_blocker(value: Callable[[World], Any]) -> Send:
    """Opens the raise modal legitimately, then submits it with `private_metadata` pointing at a blocker."""
    async def send(h: Harness, w: World, user: str) -> Ack:
        await h.driver.slash(user, "/escalate", "")
        await h.settle()
        view = h.sandbox.open_views(user)[-1]
        view["private_metadata"] = json.dumps({"blocker_id": value(w)})  # what an attacker edits
        ack = await h.driver.submit_view(user, view, inputs={
            "esc_summary": "x", "esc_team": "care-hana", "esc_severity": "P3", "esc_category": "quality"})
        await h.settle()
        h.sandbox.close_view(user, view["id"])
        return ack
    return send


def resolve_note_for(value: Callable[[World], str]) -> Send:
    """A resolve-note modal of the attacker's own, submitted with another escalation's id."""
    async def send(h: Harness, w: World, user: str) -> Ack:
        owner = h.user(SAM)
        card = next(m for m in h.sandbox.channel_messages("C0HANA") if "ESC-1" in text_of(m))
        await h.driver.block_action(owner, "escalation_resolve", message=card)
        await h.settle()
        view = h.sandbox.open_views(owner)[-1]
        h.sandbox.close_view(owner, view["id"])
        h.sandbox.ws.view_stacks.setdefault(user, []).append({**view, "private_metadata": value(w)})
        ack = await h.driver.submit_view(user, view, inputs={"esc_note": "done by me"})
        await h.settle()
        h.sandbox.close_view(user, view["id"])
        return ack
    return send


def borrowed_form(action_id: str, value: Callable[[World], str], meta: Callable[[World], str] | None,
                  inputs: dict[str, Any]) -> Send:
    """Ji-soo's own modal (opened by her button), submitted by someone else, `private_metadata` as given."""
    async def send(h: Harness, w: World, user: str) -> Ack:
        owner = h.user(JISOO)
        await h.driver.block_action(owner, action_id, value=value(w), channel_id=h.sandbox.ws.dm_id(owner))
        await h.settle()
        view = h.sandbox.open_views(owner)[-1]
        h.sandbox.close_view(owner, view["id"])
        stolen = {**view, "private_metadata": meta(w) if meta else view["private_metadata"]}
        h.sandbox.ws.view_stacks.setdefault(user, []).append(stolen)
        ack = await h.driver.submit_view(user, stolen, inputs=inputs)
        await h.settle()
        h.sandbox.close_view(user, view["id"])
        return ack
    return send


CHECKIN_INPUTS = {"q_done": "mine now", "q_next": "x", "q_mood": 1}


@dataclass(frozen=True)
class Case:
    action: Action
    who: str  # email, or STRANGER
    send: Send
    refusal: str | None = None  # i18n key; default: the table's refusal for the action
    ko: bool = False


ESC1, ESC2 = (lambda w: str(w.open_esc)), (lambda w: str(w.resolved_esc))
BLK = lambda w: str(w.blocker)  # noqa: E731 - a table of small lambdas reads best inline

CASES = [
    Case(Action.ESCALATION_RAISE, STRANGER, command("/escalate", "P2 care-hana Stranger danger")),
    Case(Action.ESCALATION_ACK, JISOO, click("escalation_ack", ESC1), ko=True),
    Case(Action.ESCALATION_ACK, MINJI, click("escalation_ack", lambda w: "999"), "escalations.errors.not_found",
         ko=True),
    Case(Action.ESCALATION_ACK, MINJI, click("escalation_ack", lambda w: "abc"), "escalations.errors.not_found",
         ko=True),
    Case(Action.ESCALATION_ESCALATE_NOW, JISOO, click("escalation_escalate_now", ESC1), ko=True),
    Case(Action.ESCALATION_RESOLVE, JISOO, click("escalation_resolve", ESC1), ko=True),
    Case(Action.ESCALATION_RESOLVE, JISOO, resolve_note_for(ESC1), ko=True),
    Case(Action.ESCALATION_RESOLVE, SAM, resolve_note_for(lambda w: "abc"), "escalations.errors.not_found"),
    Case(Action.ESCALATION_REOPEN, JISOO, click("escalation_reopen", ESC2), ko=True),
    Case(Action.ESCALATION_SEVERITY, JISOO, command_with("/escalate", lambda w: f"severity ESC-{w.open_esc} P4"),
         ko=True),
    Case(Action.ESCALATION_SEVERITY, SAM, command_with("/escalate", lambda w: "severity ESC-999 P4"),
         "escalations.errors.not_found"),
    Case(Action.ESCALATION_WAIT, JISOO, click("escalation_wait_internal", ESC1), ko=True),
    Case(Action.ESCALATION_WAIT, JISOO, click("escalation_wait_clear", ESC1), ko=True),
    Case(Action.ESCALATION_WAIT, STRANGER, click("escalation_wait_vendor", ESC1), "core.errors.not_in_org"),
    Case(Action.ESCALATION_WAIT, MINJI, click("escalation_wait_vendor", lambda w: "999"),
         "escalations.errors.not_found", ko=True),
    Case(Action.ESCALATION_WAIT, MINJI, click("escalation_wait_vendor", lambda w: "abc"),
         "escalations.errors.not_found", ko=True),
    Case(Action.ESCALATION_RATE, SAM, click("escalation_rate_5", lambda w: f"{w.resolved_esc}:5")),
    Case(Action.ESCALATION_RATE, PRIYA, click("escalation_rate_5", lambda w: "abc:5"),
         "escalations.errors.bad_rating"),
    Case(Action.ESCALATION_JIRA, JISOO, click("escalation_jira", ESC1), ko=True),
    Case(Action.ESCALATION_JIRA, PRIYA, click("escalation_jira", ESC1)),
    Case(Action.ESCALATION_JIRA, SAM, click("escalation_jira", lambda w: "999"), "escalations.errors.not_found"),
    Case(Action.ESCALATION_JIRA, SAM, click("escalation_jira", lambda w: "abc"), "jira.errors.unknown"),
    Case(Action.BLOCKER_ESCALATE, PRIYA, click("blocker_escalate", BLK)),
    Case(Action.BLOCKER_ESCALATE, SAM, click("blocker_escalate", lambda w: "999"), "checkins.errors.unknown_blocker"),
    Case(Action.BLOCKER_ESCALATE, SAM, click("blocker_escalate", lambda w: "abc"), "checkins.errors.unknown_blocker"),
    Case(Action.BLOCKER_ESCALATE, PRIYA, raise_with_blocker(lambda w: w.blocker)),
    Case(Action.BLOCKER_ESCALATE, PRIYA, raise_with_blocker(lambda w: "abc"), "checkins.errors.unknown_blocker"),
    Case(Action.BLOCKER_JIRA, PRIYA, click("blocker_jira", BLK)),
    Case(Action.BLOCKER_JIRA, JISOO, click("blocker_jira", BLK), ko=True),
    Case(Action.BLOCKER_JIRA, SAM, click("blocker_jira", lambda w: "999"), "checkins.errors.unknown_blocker"),
    Case(Action.BLOCKER_RESOLVE, PRIYA, click("checkin_blocker_resolved", BLK)),
    Case(Action.BLOCKER_RESOLVE, PRIYA, click("checkin_blocker_resolved", lambda w: "abc")),
    Case(Action.CHECKIN_ANSWER, PRIYA, click("checkin_start", lambda w: str(w.round))),
    Case(Action.CHECKIN_ANSWER, PRIYA, borrowed_form("checkin_start", lambda w: str(w.round), None, CHECKIN_INPUTS)),
    Case(Action.CHECKIN_ANSWER, PRIYA, borrowed_form("checkin_start", lambda w: str(w.round),
                                                     lambda w: '{"round_id": "abc"}', CHECKIN_INPUTS)),
    Case(Action.CHECKIN_SNOOZE, PRIYA, click("checkin_snooze_hour", lambda w: str(w.prompt))),
    Case(Action.CHECKIN_SNOOZE, PRIYA, click("checkin_snooze_tomorrow", lambda w: "x")),
    Case(Action.CHECKIN_SKIP, STRANGER, command("/checkin", "skip sick"), "core.errors.not_in_org"),
    Case(Action.KPI_VIEW, JISOO, command("/kpi", "care-hana"), ko=True),
    Case(Action.KPI_VIEW, JISOO, command("/kpi", "history csat care-hana"), ko=True),
    Case(Action.KPI_SET, MINJI, command("/kpi", "set csat 4 care-hana"), ko=True),
    Case(Action.ONCALL_COVER, JISOO, cover_for(MINJI, "2026-11-25 care-hana"), ko=True),
    Case(Action.PULSE_ANSWER, DANA, click("pulse_open", lambda w: str(w.survey))),
    Case(Action.PULSE_ANSWER, DANA, borrowed_form("pulse_open", lambda w: str(w.survey), None, {"pulse_enps": "0"})),
    Case(Action.PULSE_ANSWER, JISOO, click("pulse_open", lambda w: "abc"), "pulse.errors.not_found", ko=True),
    Case(Action.PULSE_ANSWER, JISOO, click("pulse_open", lambda w: "999"), "pulse.errors.not_found", ko=True),
    Case(Action.PULSE_RESULTS, JISOO, command("/pulse", "results care-hana"), ko=True),
    Case(Action.PULSE_FOLLOW_UP, JISOO, click("pulse_follow_up", lambda w: f"{w.survey}:job_security"), ko=True),
    Case(Action.PULSE_FOLLOW_UP, JISOO, click("pulse_follow_up", lambda w: "abc:x"), "pulse.errors.not_found",
         ko=True),
    Case(Action.JIRA_SUBSCRIBE, JISOO, command_in("C0HANA", "/oneteam", "jira subscribe CARE"), ko=True),
    Case(Action.JIRA_SUBSCRIBE, MINJI, command_in("C0HANA", "/oneteam", "jira unsubscribe 1"), ko=True),
    Case(Action.JIRA_SUBSCRIBE, SAM, command_in("C0HANA", "/oneteam", "jira unsubscribe 999"),
         "jira.subscriptions.not_found"),
    Case(Action.JIRA_CREATE, JISOO, message_shortcut("jira_create_issue"), ko=True),
    Case(Action.JIRA_CREATE, MINJI, message_shortcut("jira_create_issue"), ko=True),
    Case(Action.JIRA_SEND, MINJI, send_in_escalation_thread(ESC1), ko=True),
    Case(Action.KUDOS_GIVE, STRANGER, command("/kudos", "<@U0SAM> thanks")),
    Case(Action.KUDOS_GIVE, SAM, click("escalation_thank", lambda w: "999"), "escalations.errors.not_found"),
    Case(Action.KUDOS_GIVE, SAM, click("escalation_thank", ESC1), "escalations.errors.not_found"),  # not resolved
    Case(Action.SYNC_ADD_ITEM, PRIYA, click("sync_add_item", lambda w: str(w.meeting))),  # not on the team
    Case(Action.SYNC_ADD_ITEM, SAM, click("sync_add_item", lambda w: "abc"), "sync.errors.not_found"),
    Case(Action.SYNC_ADD_ITEM, SAM, click("sync_add_item", lambda w: "999"), "sync.errors.not_found"),
    Case(Action.SYNC_EDIT_ITEM, JISOO, choose("sync_item_menu", lambda w: f"drop:{w.item}"), ko=True),
    Case(Action.SYNC_EDIT_ITEM, SAM, choose("sync_item_menu", lambda w: "drop:abc"), "sync.errors.not_found"),
    Case(Action.SYNC_MINUTES, JISOO, click("sync_minutes", lambda w: str(w.meeting)), ko=True),
    Case(Action.SYNC_MINUTES, MINJI, click("sync_minutes", lambda w: str(w.meeting)), ko=True),  # vendor lead
    Case(Action.SYNC_ACTION_DONE, JISOO, click("sync_action_done", lambda w: str(w.action)), ko=True),
    Case(Action.SYNC_ACTION_DONE, SAM, click("sync_action_done", lambda w: "999"), "sync.errors.not_found"),
    Case(Action.SYNC_ACTIONS_VIEW, PRIYA, command("/oneteam", "actions care-hana")),
]


def pattern(key: str, ko: bool) -> re.Pattern[str]:
    """The catalog text of `key` with its placeholders as wildcards."""
    template = load_catalog("ko" if ko else "en")[key]
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".*".join(re.escape(p) for p in parts), re.S)


def told(h: Harness, user: str, before: tuple[int, int], ack: Ack) -> list[str]:
    """What the person was told privately: ephemerals, DMs, errors in the modal, the ack's own text."""
    seen = [text_of(m) for m in h.sandbox.ephemerals(user)[before[0]:]]
    seen += [text_of(m) for m in h.sandbox.dms(user)[before[1]:]]
    if isinstance(ack.body, dict):
        seen += [str(v) for v in (ack.body.get("errors") or {}).values()]
        if ack.body.get("response_action") == "update":
            seen.append(json.dumps(ack.body.get("view"), ensure_ascii=False))
        if ack.body.get("text"):
            seen.append(text_of(ack.body))
    return seen


def test_the_cases_cover_every_action_of_the_table() -> None:
    assert {c.action for c in CASES} == set(Action) == set(TABLE)


async def test_every_action_refuses_the_wrong_person_and_tampered_ids(h: Harness) -> None:
    world = await build_world(h)
    failures = []
    for case in CASES:
        user = uid(h, case.who)
        before_state = await snapshot(h)
        before = (len(h.sandbox.ephemerals(user)), len(h.sandbox.dms(user)))
        ack = await case.send(h, world, user)
        await settle(h)
        key = case.refusal or TABLE[case.action].refusal
        said = told(h, user, before, ack)
        if not ack.ok or not any(pattern(key, case.ko).search(text) for text in said):
            failures.append(f"{case.action} by {case.who}: expected {key}, was told {said} ({ack.status})")
        elif await snapshot(h) != before_state:
            failures.append(f"{case.action} by {case.who}: something changed")
        for view in h.sandbox.open_views(user):  # a refused modal submission leaves the modal open
            h.sandbox.close_view(user, view["id"])
    assert not failures, "\n".join(failures)
