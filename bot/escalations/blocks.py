"""Block Kit for escalations: the card, responder DMs, thread lines, the modals, the list, the rating."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.blocks import (
    Block,
    Mrkdwn,
    Rendered,
    actions,
    button,
    channel_link,
    context,
    divider,
    header,
    option,
    plain,
    section,
)
from bot.blocks import mentions as _mentions
from bot.escalations.config import SEVERITIES
from bot.escalations.ids import CATEGORIES, Action, View
from bot.escalations.ids import Block as B
from bot.escalations.sla import BREACHED
from bot.i18n import Translator
from storage.models import Escalation, EscalationStep, Team

RATING_SCORES = range(1, 6)


def _org(t: Translator, org: str | None) -> str:
    return t("escalations.card.org", org=org) if org else ""


def mentions(ids: str | None) -> Mrkdwn:
    """The people a step called, stored as comma-separated Slack ids."""
    return _mentions((ids or "").split(","))


def _when(t: Translator, value: datetime | None, tz: str) -> Mrkdwn:
    return t.date_token(value, tz) if value else Mrkdwn()


def relative(t: Translator, value: datetime, tz: str) -> Mrkdwn:
    """A moment as Slack's relative date token ("in 4 minutes"), the local time as its fallback."""
    return Mrkdwn("<!date^{}^{{ago}}|{}>").format(int(value.timestamp()), t.when(value, tz))


def sla_line(t: Translator, esc: Escalation, team: Team, dues: Mapping[str, datetime | None]) -> Mrkdwn:
    """The live SLA clocks: due (relative), breached, or paused while waiting on a side."""
    parts = []
    for which in ("ack", "resolve"):
        if esc.sla_flags & BREACHED[which]:
            parts.append(t(f"escalations.sla.breached_{which}"))
        elif dues.get(which) is not None:
            when = dues[which]
            assert when is not None
            parts.append(t(f"escalations.sla.due_{which}", when=relative(t, when, team.timezone)))
    if esc.waiting_on and esc.state != "resolved":
        parts.append(t("escalations.sla.paused", side=t(f"escalations.sla.side_{esc.waiting_on}")))
    return Mrkdwn(" · ").join(parts)


def card(t: Translator, esc: Escalation, team: Team, *, levels: int, people: Sequence[str],
         hide_details: bool, jira_enabled: bool, dues: Mapping[str, datetime | None] | None = None) -> Rendered:
    """The escalation's card in the team's channel, updated in place at every step."""
    title = t("escalations.card.title", ref=esc.ref, severity=esc.severity, summary=esc.summary)
    state = t(f"escalations.state.{esc.state}")
    blocks: list[Block] = [
        header(title),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": t("escalations.card.severity", severity=esc.severity,
                                         meaning=t(f"escalations.severity.{esc.severity}"))},
            {"type": "mrkdwn", "text": t("escalations.card.category",
                                         category=t(f"escalations.category.{esc.category}"))},
            {"type": "mrkdwn", "text": t("escalations.card.team", team=team.name)},
            {"type": "mrkdwn", "text": t("escalations.card.raiser", name=esc.raiser_name,
                                         org=_org(t, esc.raiser_org))},
            {"type": "mrkdwn", "text": t("escalations.card.state", state=state)},
            {"type": "mrkdwn", "text": t("escalations.card.level", level=esc.level, levels=levels,
                                         people=_mentions(people) or t("escalations.card.nobody"))},
        ]},
    ]
    if esc.details and not hide_details:
        blocks.append(section(esc.details))
    elif esc.details:
        blocks.append(context(t("escalations.card.details_withheld")))
    blocks.append(context(_timer_line(t, esc, team, levels)))
    clocks = sla_line(t, esc, team, dues or {})
    if clocks:
        blocks.append(context(clocks))
    if esc.jira_key:
        blocks.append(context(t("escalations.card.jira", issue=esc.jira_key)))
    blocks.append(actions(*_card_buttons(t, esc, jira_enabled), block_id=B.CARD_ACTIONS))
    return Rendered(title, blocks)


def _timer_line(t: Translator, esc: Escalation, team: Team, levels: int) -> str:
    when = _when(t, esc.next_step_at, team.timezone)
    if esc.state == "resolved":
        return t("escalations.card.resolved_at", when=_when(t, esc.resolved_at, team.timezone))
    if esc.state == "acknowledged":
        line = t("escalations.card.acked_by", name=esc.acked_by_name or "", org=_org(t, esc.acked_by_org))
        return line + (" " + t("escalations.card.reminds_at", when=when) if when else "")
    if not when:
        return t("escalations.card.no_timer")
    if esc.level < levels:
        return t("escalations.card.escalates_at", level=esc.level + 1, when=when)
    return t("escalations.card.reminds_at", when=when)


def _card_buttons(t: Translator, esc: Escalation, jira_enabled: bool) -> list[Block]:
    value = str(esc.id)
    if esc.state == "resolved":
        buttons = [button(t("escalations.buttons.reopen"), Action.REOPEN, value),
                   button(t("escalations.buttons.thank"), Action.THANK, value)]
    else:
        buttons = [button(t("escalations.buttons.escalate_now"), Action.ESCALATE_NOW, value),
                   button(t("escalations.buttons.resolve"), Action.RESOLVE, value)]
        if esc.state == "open":
            buttons.insert(0, button(t("escalations.buttons.ack"), Action.ACK, value, style="primary"))
        if esc.waiting_on:
            buttons.append(button(t("escalations.buttons.resume"), f"{Action.WAIT}_clear", value))
        else:
            buttons += [button(t(f"escalations.buttons.wait_{side}"), f"{Action.WAIT}_{side}", value)
                        for side in ("internal", "vendor")]
    if jira_enabled and not esc.jira_key:
        buttons.append(button(t("escalations.buttons.jira"), Action.JIRA, value))
    return buttons


def responder_dm(t: Translator, esc: Escalation, team: Team, reason: str, *, channel: str | None,
                 clock: str | None = None, after_hours: bool = False) -> Rendered:
    """Tells one responder they are called, and why (raised, escalated, reminder, reopened, an SLA warning or
    breach of the `clock`); an urgent page outside their working hours says so, so that it reads as the
    exception it is."""
    text = t(f"escalations.dm.{reason}", ref=esc.ref, severity=esc.severity, summary=esc.summary,
             team=team.name, level=esc.level, clock=t(f"escalations.sla.{clock or 'ack'}"))
    blocks = [section(text),
              context(t("escalations.dm.meta", raiser=esc.raiser_name, org=_org(t, esc.raiser_org),
                        severity=t(f"escalations.severity.{esc.severity}"),
                        channel=channel_link(channel) if channel else "-"))]
    if esc.details:
        blocks.insert(1, section(esc.details))
    if after_hours:
        blocks.insert(1, context(t("escalations.dm.after_hours", severity=esc.severity)))
    if esc.state != "resolved":
        buttons = [button(t("escalations.buttons.resolve"), Action.RESOLVE, str(esc.id))]
        if esc.state == "open":
            buttons.insert(0, button(t("escalations.buttons.ack"), Action.ACK, str(esc.id), style="primary"))
        blocks.append(actions(*buttons))
    return Rendered(text, blocks)


def thread_line(t: Translator, esc: Escalation, step: EscalationStep, called: str | None,
                *, hide_details: bool) -> str | None:
    """The card thread's line for one timeline step (None: the step shows only on the card)."""
    who = t("escalations.card.actor", name=step.actor_name or "", org=_org(t, step.actor_org))
    if step.kind == "escalated":
        key = "escalations.thread.escalated_by" if step.actor_slack_id else "escalations.thread.escalated"
        return t(key, who=who, level=step.level, people=mentions(called) or t("escalations.card.nobody"))
    if step.kind == "reminded":
        return t("escalations.thread.reminded", round=step.note or "", people=mentions(called))
    if step.kind == "acknowledged":
        return t("escalations.thread.acknowledged", who=who)
    if step.kind == "resolved":
        if not step.actor_slack_id:
            who = t("escalations.card.from_jira")
        if hide_details:
            return t("escalations.thread.resolved_withheld", who=who)
        return t("escalations.thread.resolved", who=who, note=step.note or "")
    if step.kind == "reopened":
        return t("escalations.thread.reopened", who=who, people=mentions(called))
    if step.kind in ("waiting", "resumed"):
        return t(f"escalations.thread.{step.kind}", who=who, side=t(f"escalations.sla.side_{step.note}"))
    if step.kind == "sla_warning":
        return t("escalations.thread.sla_warning", clock=t(f"escalations.sla.{step.note}"),
                 people=mentions(called) or t("escalations.card.nobody"))
    if step.kind == "sla_breach":
        which, _, side = (step.note or "").partition(":")
        return t("escalations.thread.sla_breach", clock=t(f"escalations.sla.{which}"),
                 side=t(f"escalations.sla.side_{side}"), people=mentions(called) or t("escalations.card.nobody"))
    if step.kind == "skipped":  # note: "level:why"
        level, _, why = (step.note or "").partition(":")
        return t(f"escalations.thread.skipped_{why or 'away'}", level=level)
    if step.kind == "severity":
        return t("escalations.thread.severity", who=who, change=step.note or "")
    return None


def rating_dm(t: Translator, esc: Escalation) -> Rendered:
    text = t("escalations.rating.ask", ref=esc.ref, summary=esc.summary)
    buttons = [button(str(n), f"{Action.RATE}_{n}", f"{esc.id}:{n}") for n in RATING_SCORES]
    blocks = [section(text)]
    if esc.resolution_note:
        blocks.append(context(t("escalations.rating.note", note=esc.resolution_note)))
    blocks += [actions(*buttons), context(t("escalations.rating.scale"))]
    return Rendered(text, blocks)


def rated(t: Translator, ref: str, score: int) -> Rendered:
    text = t("escalations.rating.thanks", ref=ref, score=score)
    return Rendered(text, [section(text)])


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": plain(label, 2000, emoji=False), "element": {"action_id": block_id, **element}}


def raise_modal(t: Translator, teams: Sequence[Team], *, team_key: str | None, summary: str = "",
                details: str = "", blocker_id: int | None = None) -> dict[str, Any]:
    """The /escalate modal; every choice is explained in one line so P1 is not picked by reflex."""
    severity_options = [option(s, s, t(f"escalations.severity.{s}")) for s in SEVERITIES]
    category_options = [option(t(f"escalations.category.{c}"), c) for c in CATEGORIES]
    team_options = [option(team.name, team.key) for team in teams][:100]
    summary_el: dict[str, Any] = {"type": "plain_text_input", "max_length": 300}
    if summary:
        summary_el["initial_value"] = summary
    details_el: dict[str, Any] = {"type": "plain_text_input", "multiline": True, "max_length": 2900}
    if details:
        details_el["initial_value"] = details
    team_el: dict[str, Any] = {"type": "static_select", "options": team_options}
    initial = next((o for o in team_options if o["value"] == team_key), None)
    if initial:
        team_el["initial_option"] = initial
    return {
        "type": "modal", "callback_id": View.RAISE,
        "title": plain(t("escalations.modal.title"), 24, emoji=False),
        "submit": plain(t("escalations.modal.submit"), 24, emoji=False),
        "close": plain(t("escalations.modal.cancel"), 24, emoji=False),
        "private_metadata": json.dumps({"blocker_id": blocker_id}),
        "blocks": [
            _input(B.SUMMARY, t("escalations.modal.summary"), summary_el),
            _input(B.SEVERITY, t("escalations.modal.severity"), {"type": "radio_buttons",
                                                                 "options": severity_options}),
            _input(B.CATEGORY, t("escalations.modal.category"), {"type": "static_select",
                                                                 "options": category_options}),
            _input(B.TEAM, t("escalations.modal.team"), team_el),
            _input(B.DETAILS, t("escalations.modal.details"), details_el, optional=True),
        ],
    }


def resolve_modal(t: Translator, esc_id: int, ref: str) -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": View.RESOLVE, "private_metadata": str(esc_id),
        "title": plain(t("escalations.resolve.title"), 24, emoji=False),
        "submit": plain(t("escalations.resolve.submit"), 24, emoji=False),
        "close": plain(t("escalations.modal.cancel"), 24, emoji=False),
        "blocks": [section(t("escalations.resolve.intro", ref=ref)),
                   _input(B.NOTE, t("escalations.resolve.note"),
                          {"type": "plain_text_input", "multiline": True, "max_length": 2900})],
    }


def raised_confirmation(t: Translator, ref: str, severity: str, channel: str | None) -> Rendered:
    where = (t("escalations.raised.where", channel=channel_link(channel)) if channel
             else t("escalations.raised.no_channel"))
    text = t("escalations.raised.done", ref=ref, severity=severity) + " " + where
    return Rendered(text, [section(text)])


def open_list(t: Translator, rows: Sequence[tuple[Escalation, Team]],
              dues: Mapping[int, datetime | None] | None = None) -> Rendered:
    """`/escalate list`: the caller's teams' open escalations, least SLA time left first."""
    if not rows:
        text = t("escalations.list.empty")
        return Rendered(text, [section(text)])
    title = t("escalations.list.title", count=len(rows))
    blocks: list[Block] = [section(Mrkdwn("*{}*").format(title))]
    for esc, team in rows[:40]:
        line = t("escalations.list.item", ref=esc.ref, severity=esc.severity, summary=esc.summary,
                 team=team.name, state=t(f"escalations.state.{esc.state}"), level=esc.level)
        due = (dues or {}).get(esc.id)
        parts = [sla_line(t, esc, team, {})]
        if due is not None:
            parts.append(t("escalations.sla.due_next", when=relative(t, due, team.timezone)))
        blocks.append(section(Mrkdwn(" · ").join([line, *(p for p in parts if p)])))
    if len(rows) > 40:
        blocks.append(context(t("escalations.list.more", count=len(rows) - 40)))
    blocks.append(divider())
    return Rendered(title, blocks)


def usage(t: Translator, problem: str | None = None) -> Rendered:
    text = (Mrkdwn.of(problem) + "\n" if problem else Mrkdwn()) + t("escalations.usage.text")
    return Rendered(text, [section(text)])
