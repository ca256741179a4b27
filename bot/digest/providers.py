"""Digest sections, one small provider each. A provider returns None when its data is absent (nothing
happened that week), and the section is then left out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.digest.model import Item, Part, Section
from bot.i18n import Translator
from bot.metrics import Cached, KpiReading, TeamMetrics
from storage.models import Team

MAX_BLOCKERS = 3
M = TypeVar("M")


@dataclass
class Context:
    session: AsyncSession
    team: Team
    week: str
    previous_week: str
    start: datetime
    end: datetime
    prev_start: datetime
    prev_end: datetime
    now: datetime
    t: Translator
    metrics: TeamMetrics
    kpis: tuple[KpiReading, ...]

    async def this_and_last(self, feature: Cached[M]) -> tuple[M | None, M | None]:
        return (await feature.get(self.start, self.end), await feature.get(self.prev_start, self.prev_end))


Provider = Callable[[Context], Awaitable[Part | None]]


def _pct(t: Translator, fraction: float) -> str:
    return t.number(fraction * 100, "#,##0") + "%"


def _hours(t: Translator, hours: float) -> str:
    return t("digest.hours", value=t.number(hours, "#,##0.##"))


def _delta_pts(t: Translator, now: float | None, before: float | None) -> str:
    if now is None or before is None or round((now - before) * 100) == 0:
        return ""
    return t("digest.delta_pts", delta=f"{(now - before) * 100:+.0f}")


def _delta(t: Translator, now: float | None, before: float | None, fmt: str = "+.1f") -> str:
    if now is None or before is None or abs(now - before) < 1e-9:
        return ""
    return t("digest.delta", delta=format(now - before, fmt))


async def _open_blocker_texts(ctx: Context) -> tuple[str, ...]:
    """The team's most recent unresolved blockers, as check-ins publishes them."""
    latest = ctx.metrics.open_blockers
    if latest is None:
        return ()
    return tuple(text[:200] for text in await latest(ctx.session, ctx.team.id, MAX_BLOCKERS))


async def checkins(ctx: Context) -> Part | None:
    t = ctx.t
    cur, prev = await ctx.this_and_last(ctx.metrics.checkins)
    if cur is None or not cur.expected:
        return None
    rate, prev_rate = cur.response_rate, prev.response_rate if prev else None
    mood, prev_mood = cur.mood_average, prev.mood_average if prev else None
    items = [Item(t("digest.checkins.response_rate"),
                  t("digest.checkins.answered", answered=cur.answered, prompts=cur.expected, rate=_pct(t, rate or 0)),
                  _delta_pts(t, rate, prev_rate))]
    if mood is not None:
        items.append(Item(t("digest.checkins.mood"), t("digest.checkins.mood_value", mood=t.number(mood, "0.0")),
                          _delta(t, mood, prev_mood)))
    items.append(Item(t("digest.checkins.blockers"), t.number(cur.blockers)))
    changes = []
    if (note := _delta_pts(t, rate, prev_rate)):
        changes.append(Item(t("digest.checkins.response_rate"), _pct(t, rate or 0), note))
    if (note := _delta(t, mood, prev_mood)):
        changes.append(Item(t("digest.checkins.mood"), t.number(mood or 0, "0.0"), note))
    return Part(Section("checkins", t("digest.checkins.title"), tuple(items), await _open_blocker_texts(ctx)),
                tuple(changes))


async def escalations(ctx: Context) -> Part | None:
    t = ctx.t
    cur, prev = await ctx.this_and_last(ctx.metrics.escalations)
    if cur is None or not (cur.opened or cur.resolved):
        return None
    items = [
        Item(t("digest.escalations.opened"), t.number(cur.opened),
             _delta(t, cur.opened, prev.opened if prev else None, "+.0f")),
        Item(t("digest.escalations.resolved"), t.number(cur.resolved)),
        Item(t("digest.escalations.breaches"), t.number(cur.sla_breaches)),
    ]
    for label, median, p90 in (("ack", cur.ack_median_hours, cur.ack_p90_hours),
                               ("resolve", cur.resolve_median_hours, cur.resolve_p90_hours)):
        if median is not None:
            items.append(Item(t(f"digest.escalations.{label}"), t("digest.escalations.median_p90",
                              median=_hours(t, median), p90=_hours(t, p90 if p90 is not None else median))))
    if (rating := cur.satisfaction_avg) is not None:
        items.append(Item(t("digest.escalations.satisfaction"), t("digest.checkins.mood_value",
                                                                  mood=t.number(rating, "0.0"))))
    if cur.after_hours_pages:  # the load each side carries outside its working hours
        items.append(Item(t("digest.escalations.after_hours"), t(
            "digest.escalations.after_hours_sides", internal=t.number(cur.after_hours_pages.get("internal", 0)),
            vendor=t.number(cur.after_hours_pages.get("vendor", 0)))))
    changes = []
    breaches, prev_breaches = cur.sla_breaches, prev.sla_breaches if prev else None
    if (note := _delta(t, breaches, prev_breaches, "+.0f")):
        changes.append(Item(t("digest.escalations.breaches"), t.number(breaches), note))
    return Part(Section("escalations", t("digest.escalations.title"), tuple(items)), tuple(changes))


async def sla(ctx: Context) -> Part | None:
    """SLA attainment per severity (acknowledge, resolve) and the week's breaches by the side whose clock ran."""
    t = ctx.t
    cur, _ = await ctx.this_and_last(ctx.metrics.escalations)
    if cur is None or not (cur.sla_ack or cur.sla_resolve or cur.breaches_by_side):
        return None
    items = []
    for severity in sorted({*cur.sla_ack, *cur.sla_resolve}):
        shares = []
        for clock, table in (("ack", cur.sla_ack), ("resolve", cur.sla_resolve)):
            met, judged = table.get(severity, (0, 0))
            if judged:
                shares.append(t(f"digest.sla.{clock}", rate=_pct(t, met / judged), met=met, judged=judged))
        items.append(Item(severity, " · ".join(shares)))
    items.append(Item(t("digest.sla.breaches"), t("digest.sla.by_side",
                                                  internal=t.number(cur.breaches_by_side.get("internal", 0)),
                                                  vendor=t.number(cur.breaches_by_side.get("vendor", 0)))))
    return Part(Section("sla", t("digest.sla.title"), tuple(items)), ())


async def kpis(ctx: Context) -> Part | None:
    t = ctx.t
    if not any(kpi.has_values for kpi in ctx.kpis):
        return None
    items, changes = [], []
    for kpi in ctx.kpis:
        value, before = kpi.value_in(ctx.week), kpi.value_in(ctx.previous_week)
        if value is None:
            items.append(Item(kpi.name, t("digest.kpis.no_value", target=kpi.target_text(t))))
            continue
        shown = t("digest.kpis.value", value=kpi.value_text(t, value), target=kpi.target_text(t),
                  status=kpi.status_text(t, kpi.on_track(value)))
        note = "" if before is None else t("digest.kpis.was", value=kpi.value_text(t, before))
        items.append(Item(kpi.name, shown, note if before != value else ""))
        if before is not None and kpi.on_track(before) != kpi.on_track(value):
            changes.append(Item(kpi.name, kpi.status_text(t, kpi.on_track(value)), note))
    return Part(Section("kpis", t("digest.kpis.title"), tuple(items)), tuple(changes))


async def pulse(ctx: Context) -> Part | None:
    """Only surveys whose team figures passed the pulse feature's anonymity threshold are shown."""
    t = ctx.t
    cur = await ctx.metrics.pulse.get(ctx.start, ctx.end)
    survey = cur.latest_visible if cur is not None else None
    if survey is None or survey.respondents is None:
        return None
    items = [Item(t("digest.pulse.responses"), t.number(survey.respondents))]
    if (score := survey.score) is not None:
        items.append(Item(t("digest.pulse.score"), t("digest.checkins.mood_value", mood=t.number(score, "0.0"))))
    change = survey.enps_change
    enps_note = t("digest.delta", delta=f"{change:+d}") if change else ""
    if survey.enps is not None:
        items.append(Item(t("digest.pulse.enps"), f"{survey.enps:+d}", enps_note))
    # Each statement as the reader reads it (in their language), with its average; flagged ones say so.
    items += [Item(c.statement.text(t), t("digest.checkins.mood_value", mood=t.number(c.average, "0.0")),
                   t("digest.pulse.flagged") if c.flagged else "") for c in survey.concerns]
    changes = ((Item(t("digest.pulse.enps"), f"{survey.enps:+d}", enps_note),)
               if enps_note and survey.enps is not None else ())
    return Part(Section("pulse", t("digest.pulse.title"), tuple(items)), changes)


async def jira(ctx: Context) -> Part | None:
    t = ctx.t
    cur = await ctx.metrics.jira.get(ctx.start, ctx.end)
    if cur is None:
        return None
    shown = [(f, v) for f, v in (("created", cur.created), ("resolved", cur.resolved), ("overdue", cur.overdue))
             if v is not None]
    if not shown:
        return None
    return Part(Section("jira", t("digest.jira.title"), tuple(Item(t(f"digest.jira.{f}"), t.number(v))
                                                               for f, v in shown)))


PROVIDERS: tuple[Provider, ...] = (checkins, escalations, sla, kpis, pulse, jira)
