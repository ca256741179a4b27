"""Block Kit for /kpi: the KPI table, what was recorded, one KPI's history."""

from __future__ import annotations

from dataclasses import dataclass

from bot import blocks
from bot.i18n import Translator
from bot.kpi.config import KpiSpec
from bot.kpi.service import KpiStatus, Recorded, TeamKpis

MAX_TEAMS_SHOWN = 6  # header + context + one section per KPI each: stays under 50 blocks


def fmt_value(t: Translator, spec: KpiSpec, value: float) -> str:
    number = t.number(value, "#,##0.##")
    if not spec.unit:
        return number
    return f"{number}{spec.unit}" if spec.unit.startswith(("%", "/")) else f"{number} {spec.unit}"


def fmt_target(t: Translator, spec: KpiSpec) -> str:
    key = "kpi.target_higher" if spec.direction == "higher" else "kpi.target_lower"
    return t(key, value=fmt_value(t, spec, spec.target))


def fmt_status(t: Translator, on_track: bool | None) -> str:
    return t("kpi.no_data") if on_track is None else t("kpi.on_track" if on_track else "kpi.off_track")


def short_week(week: str) -> str:
    return week.split("-")[-1]


def kpi_line(t: Translator, status: KpiStatus, week_list: tuple[str, ...]) -> blocks.Mrkdwn:
    """One KPI as mrkdwn: name, latest against target, status, and a value per week."""
    spec = status.spec
    latest = status.latest
    head = (t("kpi.latest", value=fmt_value(t, spec, latest.value), week=short_week(latest.week),
              target=fmt_target(t, spec)) if latest else t("kpi.no_value", target=fmt_target(t, spec)))
    values = blocks.Mrkdwn(" · ").join(
        blocks.Mrkdwn("{} {}").format(short_week(w), t("kpi.missing") if (v := status.value_in(w)) is None
                                      else fmt_value(t, spec, v))
        for w in week_list)
    return blocks.Mrkdwn("*{}* - {}\n{}\n{}").format(spec.name, fmt_status(t, status.on_track), head,
                                                     t("kpi.last_weeks", count=len(week_list), values=values))


@dataclass(frozen=True)
class HomePanel:
    """A team's KPIs on App Home (bot.metrics.KpiPanel)."""

    kpis: TeamKpis

    @property
    def team_name(self) -> str:
        return self.kpis.team_name

    def lines(self, t: Translator) -> list[blocks.Mrkdwn]:
        return [kpi_line(t, s, self.kpis.weeks) for s in self.kpis.kpis]


@dataclass(frozen=True)
class DigestKpi:
    """One KPI over the digest's weeks, formatted as /kpi formats it (bot.metrics.KpiReading)."""

    status: KpiStatus

    @property
    def name(self) -> str:
        return self.status.spec.name

    @property
    def target(self) -> float:
        return self.status.spec.target

    @property
    def lower_is_better(self) -> bool:
        return self.status.spec.direction == "lower"

    @property
    def has_values(self) -> bool:
        return bool(self.status.points)

    def value_in(self, week: str) -> float | None:
        return self.status.value_in(week)

    def on_track(self, value: float) -> bool:
        return self.status.spec.on_track(value)

    def value_text(self, t: Translator, value: float) -> str:
        return fmt_value(t, self.status.spec, value)

    def target_text(self, t: Translator) -> str:
        return fmt_target(t, self.status.spec)

    def status_text(self, t: Translator, on_track: bool | None) -> str:
        return fmt_status(t, on_track)


def team_blocks(t: Translator, team: TeamKpis) -> list[blocks.Block]:
    out = [blocks.header(t("kpi.title", team=team.team_name))]
    out += [blocks.section(kpi_line(t, s, team.weeks)) for s in team.kpis]
    return out


def overview(t: Translator, teams: list[TeamKpis]) -> blocks.Rendered:
    out: list[blocks.Block] = []
    for team in teams[:MAX_TEAMS_SHOWN]:
        out += team_blocks(t, team)
    out.append(blocks.context(t("kpi.how_to_set")))
    return blocks.Rendered(text=t("kpi.fallback", teams=", ".join(tk.team_name for tk in teams)), blocks=out[:50])


def recorded(t: Translator, rec: Recorded) -> blocks.Rendered:
    params = dict(kpi=rec.spec.name, team=rec.team_name, week=rec.week, value=fmt_value(t, rec.spec, rec.value),
                  status=fmt_status(t, rec.status_now))
    text = (t("kpi.replaced", old=fmt_value(t, rec.spec, rec.replaced), **params) if rec.replaced is not None
            else t("kpi.recorded", **params))
    return blocks.Rendered(text=text, blocks=[blocks.section(text)])


def history(t: Translator, team_name: str, status: KpiStatus) -> blocks.Rendered:
    spec = status.spec
    title = t("kpi.history_title", kpi=spec.name, team=team_name)
    if not status.points:
        body = t("kpi.history_empty", kpi=spec.name)
    else:
        body = blocks.Mrkdwn("\n").join(t("kpi.history_row", week=p.week, value=fmt_value(t, spec, p.value),
                           status="✅" if spec.on_track(p.value) else "⚠️") for p in reversed(status.points))
    source = t("kpi.source_manual" if spec.manual else "kpi.source_computed")
    return blocks.Rendered(text=title, blocks=[blocks.header(title), blocks.section(body),
                                               blocks.context(fmt_target(t, spec) + " · " + source)])


def usage(t: Translator, lead: str | None = None) -> blocks.Rendered:
    text = t("kpi.usage")
    return blocks.Rendered(text=text, blocks=([blocks.section(lead)] if lead else []) + [blocks.section(text)])
