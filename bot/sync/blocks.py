"""Block Kit for the weekly sync: the agenda (one message, updated in place), the add-item and minutes
modals, the minutes in the agenda's thread, owner DMs, reminders and `/oneteam actions`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.blocks import (
    Block,
    Mrkdwn,
    Rendered,
    actions,
    button,
    context,
    divider,
    header,
    mention,
    option,
    plain,
    section,
)
from bot.i18n import Translator
from bot.sync.ids import ACTION_ROWS, Action, View, due_block, owner_block, what_block
from bot.sync.ids import Block as B

if TYPE_CHECKING:
    from bot.sync.service import Agenda, OpenAction

SIDES = ("internal", "vendor")


def _lines(t: Translator, title_key: str, lines: Sequence[str]) -> Block:
    return section(Mrkdwn("*{}*\n").format(t(title_key)) + Mrkdwn("\n").join(lines))


def _one_line(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]


def agenda_message(t: Translator, agenda: Agenda) -> Rendered:
    """The draft agenda in the team's language. Each section appears only when it has something to say."""
    title = t("sync.agenda.title", team=agenda.team_name)
    out: list[Block] = [header(title),
                        context(t("sync.agenda.when", when=t.date_token(agenda.starts_at, agenda.timezone)))]
    if agenda.blockers:
        out.append(_lines(t, "sync.agenda.blockers", [t("sync.agenda.bullet", text=_one_line(b))
                                                      for b in agenda.blockers]))
    if agenda.notes:
        out.append(_lines(t, "sync.agenda.notes", [t("sync.agenda.note", member=n.member, text=_one_line(n.text))
                                                   for n in agenda.notes[:5]]))
    if agenda.escalations:
        out.append(_lines(t, "sync.agenda.escalations", [
            t("sync.agenda.escalation_breached" if e.breached else "sync.agenda.escalation", ref=e.ref,
              severity=e.severity, summary=_one_line(e.summary)) for e in agenda.escalations]))
    off = [k for k in agenda.kpis if not k.on_track]
    if off:
        out.append(_lines(t, "sync.agenda.kpis_off", [t("sync.agenda.kpi", name=k.name, value=t.number(k.value),
                                                        unit=k.unit) for k in off]))
    if agenda.concerns:
        out.append(_lines(t, "sync.agenda.concerns", [
            t("sync.agenda.concern", statement=c.statement, average=t.number(c.average, "0.0"))
            for c in agenda.concerns]))
    wins = [t("sync.agenda.kpi_back", name=k.name, value=t.number(k.value), unit=k.unit)
            for k in agenda.kpis if k.back_on_track]
    if agenda.kudos is not None and (agenda.kudos.internal_to_vendor or agenda.kudos.vendor_to_internal):
        wins.append(t("sync.agenda.kudos_counts", to_vendor=agenda.kudos.internal_to_vendor,
                      to_internal=agenda.kudos.vendor_to_internal))
    wins += [t("sync.agenda.kudos_note", giver=k.giver, receivers=", ".join(k.receivers),
               reason=_one_line(k.reason, 150)) for k in agenda.kudos_notes]
    if wins:
        out.append(_lines(t, "sync.agenda.wins", wins))
    if agenda.actions:
        out.append(_lines(t, "sync.agenda.actions", [_action_line(t, a) for a in agenda.actions[:10]]))
    out.append(divider())
    out.append(section(Mrkdwn("*{}*").format(t("sync.agenda.items"))))
    if not agenda.items:
        out.append(context(t("sync.agenda.no_items")))
    for item in agenda.items:
        text = t("sync.agenda.item", topic=item.topic, side=t(f"sync.side.{item.owner_side}"))
        if item.details:
            text = text + "\n" + _one_line(item.details, 500)
        out.append(section(text, block_id=f"sync_item_{item.id}", accessory={
            "type": "overflow", "action_id": Action.ITEM_MENU,
            "options": [option(t.plain("sync.agenda.up"), f"up:{item.id}"),
                        option(t.plain("sync.agenda.down"), f"down:{item.id}"),
                        option(t.plain("sync.agenda.drop"), f"drop:{item.id}")]}))
    out.append(actions(button(t("sync.agenda.add"), Action.ADD_ITEM, str(agenda.meeting_id), style="primary"),
                       block_id=B.AGENDA_ACTIONS))
    return Rendered(title, out[:50])


def _action_line(t: Translator, action: OpenAction) -> Mrkdwn:
    return t("sync.action_line", what=action.what, owner=mention(action.owner_slack_id) if action.owner_slack_id
             else "", due=t.day(action.due))


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {"type": "input", "block_id": block_id, "label": plain(label, 2000, emoji=False), "element": element,
            "optional": optional}


def add_item_modal(t: Translator, meeting_id: int) -> dict[str, Any]:
    sides = [option(t.plain(f"sync.side.{s}"), s) for s in SIDES]
    return {
        "type": "modal", "callback_id": View.ADD_ITEM, "private_metadata": str(meeting_id),
        "title": plain(t("sync.add.title"), 24, emoji=False), "submit": plain(t("sync.add.submit"), 24, emoji=False),
        "close": plain(t("sync.cancel"), 24, emoji=False),
        "blocks": [
            _input(B.TOPIC, t("sync.add.topic"), {"type": "plain_text_input", "action_id": "v", "max_length": 150}),
            _input(B.DETAILS, t("sync.add.details"), {"type": "plain_text_input", "action_id": "v",
                                                     "multiline": True, "max_length": 1000}, optional=True),
            _input(B.SIDE, t("sync.add.side"), {"type": "radio_buttons", "action_id": "v", "options": sides}),
        ],
    }


def minutes_request(t: Translator, meeting_id: int, team_name: str) -> Rendered:
    text = t("sync.ask.text", team=team_name)
    return Rendered(text, [section(text), actions(button(t("sync.ask.button"), Action.MINUTES, str(meeting_id),
                                                         style="primary"))])


def minutes_modal(t: Translator, meeting_id: int, team_name: str) -> dict[str, Any]:
    rows: list[Block] = [section(t("sync.minutes.intro", team=team_name)),
                         _input(B.DECISIONS, t("sync.minutes.decisions"),
                                {"type": "plain_text_input", "action_id": "v", "multiline": True,
                                 "max_length": 2900}, optional=True)]
    for n in range(1, ACTION_ROWS + 1):
        rows += [header(t("sync.minutes.action", n=n)),
                 _input(what_block(n), t("sync.minutes.what"), {"type": "plain_text_input", "action_id": "v",
                                                                "max_length": 300}, optional=True),
                 _input(owner_block(n), t("sync.minutes.owner"), {"type": "users_select", "action_id": "v"},
                        optional=True),
                 _input(due_block(n), t("sync.minutes.due"), {"type": "datepicker", "action_id": "v"},
                        optional=True)]
    rows.append(_input(B.JIRA, t("sync.minutes.jira"), {"type": "checkboxes", "action_id": "v", "options": [
        option(t.plain("sync.minutes.jira_row", n=n), str(n)) for n in range(1, ACTION_ROWS + 1)]}, optional=True))
    return {
        "type": "modal", "callback_id": View.MINUTES, "private_metadata": str(meeting_id),
        "title": plain(t("sync.minutes.title"), 24, emoji=False),
        "submit": plain(t("sync.minutes.submit"), 24, emoji=False),
        "close": plain(t("sync.cancel"), 24, emoji=False), "blocks": rows,
    }


def minutes_message(t: Translator, decisions: str, items: Sequence[tuple[str, str, date]]) -> Rendered:
    """The minutes in the agenda's thread (the team's language)."""
    title = t("sync.minutes.posted")
    out: list[Block] = [section(Mrkdwn("*{}*").format(title))]
    if decisions:
        out.append(section(Mrkdwn("*{}*\n").format(t("sync.minutes.decisions")) + decisions[:2800]))
    if items:
        out.append(_lines(t, "sync.minutes.actions", [
            t("sync.action_line", what=what, owner=mention(owner), due=t.day(due)) for what, owner, due in items]))
    return Rendered(title, out)


def owner_dm(t: Translator, item_id: int, what: str, due: date, team_name: str) -> Rendered:
    text = t("sync.owner.text", what=what, due=t.day(due), team=team_name)
    return Rendered(text, [section(text), actions(button(t("sync.done"), Action.DONE, str(item_id)))])


def reminder(t: Translator, item_id: int, what: str, due: date, team_name: str) -> Rendered:
    text = t("sync.remind.text", what=what, due=t.day(due), team=team_name)
    return Rendered(text, [section(text), actions(button(t("sync.done"), Action.DONE, str(item_id),
                                                         style="primary"))])


def action_list(t: Translator, teams: Sequence[tuple[str, Sequence[OpenAction]]]) -> Rendered:
    title = t("sync.list.title")
    out: list[Block] = [section(Mrkdwn("*{}*").format(title))]
    for team_name, items in teams:
        lines = [_action_line(t, a) for a in items[:20]] or [t("sync.list.none")]
        out.append(section(Mrkdwn("*{}*\n").format(team_name) + Mrkdwn("\n").join(lines)))
    if not teams:
        out.append(section(t("sync.list.no_teams")))
    return Rendered(title, out[:50])
