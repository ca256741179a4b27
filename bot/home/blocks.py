"""The Home tab as Block Kit (a `home` view: at most 100 blocks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import blocks
from bot.home.ids import HomeAction
from bot.i18n import Translator

if TYPE_CHECKING:
    from bot.home.service import HomeData
    from bot.metrics import EscalationCard

HOME_BLOCKS_MAX = 100
MAX_ESCALATIONS = 10


def _sla(t: Translator, card: EscalationCard) -> blocks.Mrkdwn:
    """The escalation's live SLA clock: its next deadline as a Slack date token, or that a target was missed."""
    if card.sla_missed:
        return blocks.Mrkdwn(" · ") + t("home.sla_missed")
    if card.sla_due is not None:
        return blocks.Mrkdwn(" · ") + t("home.sla_due", when=t.date_token(card.sla_due))
    return blocks.Mrkdwn()


def _esc_lines(t: Translator, cards: list[EscalationCard]) -> blocks.Mrkdwn:
    lines = [t("home.escalation", ref=c.ref, severity=c.severity, summary=c.summary,
               state=t(f"home.state.{c.state}") if c.state in ("open", "acknowledged") else c.state, team=c.team_name)
             + _sla(t, c) for c in cards[:MAX_ESCALATIONS]]
    if len(cards) > MAX_ESCALATIONS:
        lines.append(t("home.more", count=len(cards) - MAX_ESCALATIONS))
    return blocks.Mrkdwn("\n").join(lines)


def _titled(title: str, body: str) -> blocks.Mrkdwn:
    return blocks.Mrkdwn("*{}*\n{}").format(title, body)


def home_view(t: Translator, data: HomeData) -> dict[str, Any]:
    out: list[blocks.Block] = [blocks.header(t("home.title", name=data.name))]
    out.append(blocks.section(t("home.you.title")))
    if data.checkin:
        c = data.checkin
        key = "home.checkin.answered" if c.answered else "home.checkin.open"
        out.append(blocks.section(t(key, team=c.team_name, week=c.week,
                                    closes=t.date_token(c.closes_at, data.timezone)),
                                  accessory=blocks.button(t("home.checkin.button"), HomeAction.CHECKIN_OPEN,
                                                          str(c.round_id))))
    else:
        out.append(blocks.context(t("home.checkin.none")))
    if data.survey:
        s = data.survey
        out.append(blocks.section(t("home.pulse.open", team=s.team_name,
                                    closes=t.date_token(s.closes_at, data.timezone)),
                                  accessory=blocks.button(t("home.pulse.button"), HomeAction.PULSE_OPEN,
                                                          str(s.survey_id))))
    out.append(blocks.section(_titled(t("home.mine.title"), _esc_lines(t, data.my_escalations)
                                      or t("home.mine.none"))))
    if data.sync is not None:
        for team_name, starts, channel in data.sync.next_meetings:
            out.append(blocks.section(t("sync.home.next", team=team_name, when=t.date_token(starts, data.timezone),
                                        channel=blocks.channel_link(channel) if channel else "")))
        if data.sync.actions:
            out.append(blocks.section(_titled(t("sync.home.actions"), blocks.Mrkdwn("\n").join(
                t("sync.home.action", what=a.what, due=t.day(a.due), team=a.team_name) for a in data.sync.actions))))
    if data.kudos:
        out.append(blocks.section(_titled(t("kudos.home.title"), blocks.Mrkdwn("\n").join(
            t("kudos.home.line", giver=k.giver, reason=" ".join(k.reason.split())[:200]) for k in data.kudos))))
    if data.oversees:
        out += [blocks.divider(), blocks.section(_titled(t("home.teams.escalations"),
                                                         _esc_lines(t, data.team_escalations) or t("home.teams.none")))]
        for team in data.kpis:
            out.append(blocks.header(t("kpi.title", team=team.team_name)))
            out += [blocks.section(line) for line in team.lines(t)]
    out.append(blocks.context(t("home.footer")))
    if len(out) > HOME_BLOCKS_MAX:
        out = [*out[: HOME_BLOCKS_MAX - 1], out[-1]]
    return {"type": "home", "blocks": out}
