"""Block Kit for pulse surveys: the DM invitation, the answer modal, results and follow-ups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import blocks
from bot.i18n import Translator
from bot.pulse import results
from bot.pulse.ids import Action, Block, Callback, question_block
from bot.pulse.questions import ENPS_RANGE, LIKERT, find
from bot.pulse.service import Ballot, FollowUpTarget, ResultsPage, SurveyReport

View = dict[str, Any]


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    return blocks.plain(text, limit)


def _when(t: Translator, when: datetime, tz: str | None) -> blocks.Mrkdwn:
    return t.date_token(when, tz or "UTC")


def invitation(t: Translator, survey_id: int, team_name: str, closes_at: datetime, tz: str | None,
               questions: int, *, reminder: bool = False) -> blocks.Rendered:
    key = "reminder" if reminder else "invite"
    text = t(f"pulse.{key}.text", team=team_name, closes=_when(t, closes_at, tz), count=questions)
    return blocks.Rendered(text=text, blocks=[
        blocks.section(text),
        blocks.context(t("pulse.invite.anonymity")),
        blocks.actions(blocks.button(t("pulse.invite.button"), Action.OPEN, str(survey_id), style="primary")),
    ])


def lost(t: Translator, survey_id: int, team_name: str, closes_at: datetime, tz: str | None, *,
         reopen: bool) -> blocks.Rendered:
    """Answers lost with a process that died before writing their batch: the person may answer again."""
    text = t("pulse.lost.text_open" if reopen else "pulse.lost.text_closed", team=team_name,
             closes=_when(t, closes_at, tz))
    body = [blocks.section(text)]
    if reopen:
        body.append(blocks.actions(blocks.button(t("pulse.invite.button"), Action.OPEN, str(survey_id),
                                                 style="primary")))
    return blocks.Rendered(text=text, blocks=body)


def results_ready(t: Translator, team_name: str, team_key: str) -> blocks.Rendered:
    text = t("pulse.ready.text", team=team_name, team_key=team_key)
    return blocks.Rendered(text=text, blocks=[blocks.section(text)])


def follow_up_message(t: Translator, team_name: str, config: dict, question_id: str, text: str) -> blocks.Rendered:
    title = t("pulse.follow_up.message_title", team=team_name)
    concern = find(config, question_id).text(t)
    return blocks.Rendered(text=blocks.Mrkdwn("{}: {}").format(title, text), blocks=[
        blocks.header(title),
        blocks.section(t("pulse.follow_up.message_body", concern=concern, text=text)),
        blocks.context(t("pulse.follow_up.message_footer")),
    ])


def survey_modal(t: Translator, ballot: Ballot) -> View:
    likert = [{"text": _plain(t(f"pulse.scale.{v}")), "value": str(v)} for v in LIKERT]
    body: list[dict[str, Any]] = [
        blocks.section(t("pulse.modal.intro", team=ballot.team_name)),
        blocks.context(t("pulse.invite.anonymity")),
    ]
    for qid in ballot.question_ids:
        body.append({"type": "input", "block_id": question_block(qid),
                     "label": _plain(find(ballot.config, qid).text(t), 2000),
                     "element": {"type": "radio_buttons", "action_id": "value", "options": likert}})
    body.append({"type": "input", "block_id": Block.ENPS, "label": _plain(t("pulse.questions.enps"), 2000),
                 "element": {"type": "static_select", "action_id": "value",
                             "placeholder": _plain(t("pulse.modal.enps_placeholder")),
                             "options": [{"text": _plain(str(v)), "value": str(v)} for v in ENPS_RANGE]}})
    body.append({"type": "input", "block_id": Block.COMMENT, "optional": True,
                 "label": _plain(t("pulse.questions.comment"), 2000),
                 "hint": _plain(t("pulse.modal.comment_hint"), 2000),
                 "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                             "max_length": 1000}})
    return {"type": "modal", "callback_id": Callback.ANSWER, "private_metadata": str(ballot.survey_id),
            "title": _plain(t("pulse.modal.title"), 24), "submit": _plain(t("pulse.modal.submit"), 24),
            "close": _plain(t("pulse.modal.cancel"), 24), "blocks": body}


def notice_view(t: Translator, text: str) -> View:
    """A read-only modal replacing the survey once it is answered (or could not be)."""
    return {"type": "modal", "title": _plain(t("pulse.modal.title"), 24), "close": _plain(t("pulse.modal.done"), 24),
            "blocks": [blocks.section(text)]}


def follow_up_modal(t: Translator, target: FollowUpTarget) -> View:
    return {"type": "modal", "callback_id": Callback.FOLLOW_UP,
            "private_metadata": f"{target.survey_id}:{target.question_id}",
            "title": _plain(t("pulse.follow_up.title"), 24), "submit": _plain(t("pulse.follow_up.submit"), 24),
            "blocks": [
                blocks.section(t("pulse.follow_up.intro", team=target.team_name,
                                 concern=find(target.config, target.question_id).text(t))),
                {"type": "input", "block_id": Block.FOLLOW_UP, "label": _plain(t("pulse.follow_up.label")),
                 "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                             "max_length": 600}},
            ]}


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def _concern(t: Translator, page: ResultsPage, rep: SurveyReport, line: results.Concern) -> list[dict[str, Any]]:
    config = page.team.config.get("pulse") or {}
    parts = [t("pulse.results.average", avg=f"{line.average:.2f}"),
             t("pulse.results.distribution", dist=" ".join(f"{v}:{n}" for v, n in zip(LIKERT, line.distribution,
                                                                                      strict=True)))]
    if line.change is not None:
        parts.append(t("pulse.results.change", change=_signed(line.change)))
    if line.gap is not None:
        sides = rep.figures.segments
        parts.append(t("pulse.results.gap", internal=f"{sides['internal'].questions[line.question_id].average:.2f}",
                       vendor=f"{sides['vendor'].questions[line.question_id].average:.2f}", gap=_signed(line.gap)))
    flag = t("pulse.results.flag") + " " if line.flagged else blocks.Mrkdwn()
    text = blocks.Mrkdwn("{}*{}*\n{}").format(flag, find(config, line.question_id).text(t),
                                             blocks.Mrkdwn(" · ").join(parts))
    out: list[dict[str, Any]] = []
    if line.flagged and page.can_follow_up:
        out.append(blocks.section(text, accessory=blocks.button(
            t("pulse.results.follow_up_button"), Action.FOLLOW_UP, f"{rep.survey.id}:{line.question_id}")))
    else:
        out.append(blocks.section(text))
    if line.question_id in page.follow_ups:
        out.append(blocks.context(t("pulse.results.followed_up", text=page.follow_ups[line.question_id])))
    return out


def results_view(t: Translator, page: ResultsPage, tz: str | None) -> blocks.Rendered:
    title = t("pulse.results.title", team=page.team.name)
    body: list[dict[str, Any]] = [blocks.header(title)]
    if page.open_until is not None:
        body.append(blocks.context(t("pulse.results.running", closes=_when(t, page.open_until, tz))))
    rep = page.report
    if rep is None:
        body.append(blocks.section(t("pulse.results.none_yet")))
        return blocks.Rendered(text=title, blocks=body)
    figs, threshold = rep.figures, rep.survey.threshold
    closed = _when(t, rep.survey.closes_at, tz)
    if figs.team is None:
        body.append(blocks.section(t("pulse.results.team_hidden", closed=closed, threshold=threshold)))
        return blocks.Rendered(text=title, blocks=body)
    summary = t("pulse.results.summary", closed=closed, count=figs.team.respondents)
    if figs.team.enps is not None:
        enps = t("pulse.results.enps", score=f"{figs.team.enps:+d}")
        if rep.enps_change is not None:
            enps += " " + t("pulse.results.change", change=f"{rep.enps_change:+d}")
        summary += "\n" + enps
    body.append(blocks.section(summary))
    sides = [] if rep.survey.by_side else [t("pulse.results.sides_not_split", threshold=threshold)]
    for side in results.SIDES if rep.survey.by_side else ():
        seg = figs.segments.get(side)
        if seg is not None:
            enps_text = f"{seg.enps:+d}" if seg.enps is not None else "-"
            sides.append(t(f"pulse.results.side_{side}", count=seg.respondents, enps=enps_text))
        else:
            sides.append(t(f"pulse.results.side_{side}_hidden", threshold=threshold))
    body.append(blocks.context(*sides))
    body.append(blocks.divider())
    for line in rep.concerns[:20]:
        body.extend(_concern(t, page, rep, line))
    if figs.comments:
        body.append(blocks.divider())
        shown = figs.comments[:10]
        quoted = blocks.Mrkdwn("\n").join(blocks.Mrkdwn("> {}").format(c) for c in shown)
        body.append(blocks.section(t("pulse.results.comments") + "\n" + quoted))
    return blocks.Rendered(text=title, blocks=body[:50])
