"""Block Kit for check-ins: the prompt DM, the reminder, the form, the liaison's blocker DM, the summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import blocks as bk
from bot.checkins.config import Question
from bot.checkins.ids import Ids, question_block
from bot.i18n import Translator
from bot.metrics import OpenIssue

MOOD_RANGE = "1-5"


@dataclass(frozen=True)
class OpenBlocker:
    id: int
    text: str
    jira_key: str | None
    jira_status: str | None


def question_label(t: Translator, q: Question) -> str:
    return q.label or t(f"checkins.questions.{q.key}")


def prompt(t: Translator, *, team: str, week: str, closes: str, round_id: int,
           blockers: Sequence[OpenBlocker] = (), tasks: Sequence[OpenIssue] | None = ()) -> bk.Rendered:
    """`tasks` None: Jira did not answer in time, and the prompt says so rather than showing no list."""
    out = [bk.header(t("checkins.prompt.title", team=team)), bk.section(t("checkins.prompt.context", week=week,
                                                                          closes=closes))]
    if tasks is None:
        out.append(bk.context(t("checkins.prompt.tasks_unavailable")))
    elif tasks:
        lines = [t("checkins.prompt.task_due" if i.due else "checkins.prompt.task", issue=bk.link(i.url, i.key),
                   summary=i.summary, status=i.status, due=i.due.isoformat() if i.due else "")
                 for i in tasks]
        out.append(bk.section(bk.Mrkdwn("\n").join([t("checkins.prompt.tasks"), *lines])))
    for b in blockers[:10]:
        key = "checkins.prompt.still_blocked_jira" if b.jira_key else "checkins.prompt.still_blocked"
        out.append(bk.section(t(key, text=b.text, jira_key=b.jira_key or "", status=b.jira_status or "?"),
                              accessory=bk.button(t("checkins.prompt.no_longer"), Ids.BLOCKER_RESOLVED, str(b.id))))
    out.append(bk.actions(bk.button(t("checkins.prompt.start"), Ids.START, str(round_id), style="primary")))
    return bk.Rendered(t("checkins.prompt.text", team=team, week=week), out)


def answered(t: Translator, *, team: str, week: str, closes: str, round_id: int) -> bk.Rendered:
    text = t("checkins.prompt.answered", week=week, closes=closes)
    return bk.Rendered(text, [bk.header(t("checkins.prompt.title", team=team)), bk.section(text),
                              bk.actions(bk.button(t("checkins.prompt.edit"), Ids.START, str(round_id)))])


def closed(t: Translator, *, team: str, week: str) -> bk.Rendered:
    text = t("checkins.prompt.closed", week=week)
    return bk.Rendered(text, [bk.header(t("checkins.prompt.title", team=team)), bk.context(text)])


def reminder(t: Translator, *, team: str, week: str, closes: str, round_id: int, prompt_id: int) -> bk.Rendered:
    return bk.Rendered(t("checkins.reminder.text", team=team, week=week), [
        bk.section(t("checkins.reminder.body", team=team, week=week, closes=closes)),
        bk.actions(bk.button(t("checkins.prompt.start"), Ids.START, str(round_id), style="primary"),
                   bk.button(t("checkins.reminder.snooze_hour"), Ids.SNOOZE_HOUR, str(prompt_id)),
                   bk.button(t("checkins.reminder.snooze_tomorrow"), Ids.SNOOZE_TOMORROW, str(prompt_id))),
    ])


def away(t: Translator, *, team: str, reason: str) -> bk.Rendered:
    """Why this week's check-in is skipped: `leave` (org file), `absent` (/oneteam away) or `status` (Slack)."""
    text = t(f"checkins.away.{reason}", team=team)
    return bk.Rendered(text, [bk.section(text)])


def form(t: Translator, *, team: str, week: str, round_id: int, questions: Sequence[Question],
         answers: dict[str, Any] | None = None, edited_when: str | None = None) -> dict[str, Any]:
    """The check-in modal; `answers` pre-fills it when the member edits."""
    answers = answers or {}
    out: list[dict[str, Any]] = [bk.section(t("checkins.form.intro", team=team, week=week))]
    if edited_when:
        out.append(bk.context(t("checkins.form.editing", when=edited_when)))
    for q in questions:
        element: dict[str, Any]
        if q.kind == "mood":
            element = {"type": "number_input", "action_id": "value", "is_decimal_allowed": False,
                       "min_value": "1", "max_value": "5", "placeholder": bk.plain(t("checkins.form.mood_hint"))}
        else:
            element = {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": 2900,
                       "placeholder": bk.plain(t("checkins.form.placeholder"))}
        if answers.get(q.key) not in (None, ""):
            element["initial_value"] = str(answers[q.key])
        out.append({"type": "input", "block_id": question_block(q.key), "optional": not q.required,
                    "label": bk.plain(question_label(t, q), 2000), "element": element})
    return {
        "type": "modal", "callback_id": Ids.FORM, "title": bk.plain(t("checkins.form.title"), 24),
        "submit": bk.plain(t("checkins.form.submit"), 24), "close": bk.plain(t("checkins.form.close"), 24),
        "private_metadata": json.dumps({"round_id": round_id}), "blocks": out,
    }


def liaison_blocker(t: Translator, *, member: str, team: str, week: str, text: str, blocker_id: int,
                    jira: bool) -> bk.Rendered:
    """`jira`: whether Jira is connected; without it there is no ticket button (it could only say "not connected")."""
    buttons = [bk.button(t("checkins.blocker.jira"), Ids.BLOCKER_JIRA, str(blocker_id))] if jira else []
    buttons.append(bk.button(t("checkins.blocker.escalate"), Ids.BLOCKER_ESCALATE, str(blocker_id), style="danger"))
    return bk.Rendered(t("checkins.blocker.text", member=member, team=team, text=text), [
        bk.header(t("checkins.blocker.title", member=member)),
        bk.section(t("checkins.blocker.body", member=member, team=team, week=week, text=text)),
        bk.actions(*buttons, block_id=f"checkin_blocker_{blocker_id}"),
    ])


def summary_parent(t: Translator, *, team: str, week: str, answered_count: int, expected: int,
                   mood: float | None, is_closed: bool) -> bk.Rendered:
    progress = (t("checkins.summary.progress", answered=answered_count, expected=expected, mood=t.number(mood))
                if mood is not None else
                t("checkins.summary.progress_no_mood", answered=answered_count, expected=expected))
    out = [bk.header(t("checkins.summary.header", week=week, team=team)), bk.section(progress)]
    if is_closed:
        out.append(bk.context(t("checkins.summary.closed")))
    return bk.Rendered(t("checkins.summary.text", team=team, week=week, answered=answered_count, expected=expected),
                       out)


def summary_reply(t: Translator, *, member: str, questions: Sequence[Question], answers: dict[str, Any],
                  edited: bool) -> bk.Rendered:
    """A member's answers in the summary thread (the mood stays out: only its average is shown)."""
    out = [bk.section(t("checkins.summary.reply", member=member))]
    for q in questions:
        value = answers.get(q.key)
        if q.kind != "mood" and value:
            out.append(bk.section(t("checkins.summary.item", question=question_label(t, q), answer=value)))
    if edited:
        out.append(bk.context(t("checkins.summary.edited")))
    return bk.Rendered(t("checkins.summary.reply_text", member=member), out[:50])
