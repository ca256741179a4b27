"""Builds a team's weekly digest (one model for Slack, the terminal and the chart) and sends it to the
team's managers, each on their own Monday morning, exactly once per manager and week: a manager of
several teams gets one message with a part per team."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import calendar
from bot.delivery import deliver_once
from bot.digest import chart, render
from bot.digest.config import DigestConfig, digest_config
from bot.digest.model import Bundle, Digest, Item, Section, Series
from bot.digest.notes import other_side_notes
from bot.digest.providers import PROVIDERS, Context
from bot.digest.together import one_team
from bot.i18n import Translator, translator
from bot.metrics import MetricsProviders, TeamMetrics
from bot.services import Services
from storage.ledger import first_time
from storage.models import Delivery, Team
from storage.org import active_teams, team_by_key, team_members

log = logging.getLogger("oneteam.digest")
CHART_WEEKS = 8
CATCH_UP = timedelta(hours=24)  # a bot that was down sends a late digest, but not one from days ago


# --- building -------------------------------------------------------------------------------------------
async def build_digest(session: AsyncSession, team: Team, week: str, now: datetime, t: Translator,
                       providers: MetricsProviders) -> Digest:
    """The digest of `week` for `team`, from the figures the features publish (`providers`); sections
    whose data is absent are left out."""
    previous = calendar.shift(week, -1)
    start, end = calendar.bounds(week, team.timezone)
    prev_start, prev_end = calendar.bounds(previous, team.timezone)
    metrics = TeamMetrics(session, team.id, providers)
    chart_weeks = calendar.last_weeks(week, CHART_WEEKS)
    kpis = tuple(await providers.kpis(session, team, chart_weeks, now, metrics)) if providers.kpis else ()
    ctx = Context(session, team, week, previous, start, end, prev_start, prev_end, now, t, metrics, kpis)
    parts = [part for provider in (*PROVIDERS, other_side_notes, one_team) if (part := await provider(ctx)) is not None]
    changes = tuple(item for part in parts for item in part.changes)
    sections = [part.section for part in parts]
    if sections and changes:
        sections.append(Section("changes", t("digest.changes.title"), changes))
    elif sections:
        sections.append(Section("changes", t("digest.changes.title"), (Item(t("digest.changes.none"), "–"),)))
    return Digest(
        team_key=team.key, team_name=team.name, week=week,
        title=t("digest.title", team=team.name, week=week),
        period=t("digest.period", start=t.day(calendar.monday(week)),
                 end=t.day(calendar.monday(week) + timedelta(days=6)), tz=team.timezone),
        sections=tuple(sections),
        kpi_series=tuple(Series(k.name, tuple((w, k.value_in(w)) for w in chart_weeks), k.target,
                                k.lower_is_better) for k in kpis if k.has_values),
        mood=await _mood_series(ctx, chart_weeks),
        empty_note=t("digest.empty"),
        chart_labels=_chart_labels(t),
    )


async def _mood_series(ctx: Context, chart_weeks: list[str]) -> Series | None:
    points = []
    for week in chart_weeks:
        start, end = calendar.bounds(week, ctx.team.timezone)
        m = await ctx.metrics.checkins.get(start, end)
        points.append((week, None if m is None else m.mood_average))
    if all(v is None for _, v in points):
        return None
    return Series(ctx.t("digest.chart.mood"), tuple(points))


def _chart_labels(t: Translator) -> dict[str, str]:
    return {k: t(f"digest.chart.{k}") for k in ("title", "kpis", "kpis_axis", "mood")}


async def digest_for(services: Services, team_key: str, week: str | None = None,
                     locale: str | None = None) -> tuple[Digest, bytes | None]:
    """The digest and its chart, as `oneteam digest` prints it; LookupError for an unknown team."""
    now = services.clock.now()
    async with services.sessions.begin() as session:
        team = await team_by_key(session, team_key)
        if team is None:
            raise LookupError(team_key)
        week = week or due_moment(digest_config(team.config), now, team.timezone)[1]
        digest = await build_digest(session, team, week, now, translator(locale, team.locale), services.metrics)
    return digest, (await chart.draw([digest]))[0]


# --- sending --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    key: str
    team_ids: tuple[int, ...]  # one part per team, in this order
    week: str
    channel: str
    locales: tuple[str | None, ...]


def due_moment(config: DigestConfig, now: datetime, tz: str) -> tuple[datetime, str]:
    """The latest scheduled send at or before `now` in `tz`, and the week it reviews (the one before it)."""
    moment = calendar.Calendar(tz).last_at(now, config.isoweekday - 1, time(*config.hour_minute))
    return moment, calendar.week_of(moment.date() - timedelta(days=1))


def manager_moment(config: DigestConfig, now: datetime, hours: calendar.Calendar) -> tuple[datetime, str]:
    """When a manager's digest goes: the scheduled moment in their zone, or, when that falls outside the
    working hours and days of the team's calendar there (a public holiday Monday), the start of the next
    working day; and the week it reviews, which the delay does not change (so it goes once)."""
    moment, week = due_moment(config, now, hours.tz.key)
    return hours.next_working(moment), week


async def due_digests(session: AsyncSession, now: datetime) -> list[Due]:
    """Every manager DM (and team channel) whose digest time has come this week and was not sent yet.
    A manager's teams that fall due at the same moment share one DM."""
    wanted: list[Due] = []
    managers: dict[tuple[str, str, datetime], list[Team]] = {}
    locales: dict[str, str | None] = {}
    for team in await active_teams(session):
        config = digest_config(team.config)
        if not config.enabled:
            continue
        for member, _roles in await team_members(session, team.id, "manager"):
            if member.slack_user_id and not member.on_leave:
                hours = calendar.team_calendar(team).for_person(member.timezone or team.timezone)
                moment, week = manager_moment(config, now, hours)
                if timedelta(0) <= now - moment < CATCH_UP:
                    managers.setdefault((member.slack_user_id, week, moment), []).append(team)
                    locales[member.slack_user_id] = member.locale
        if config.channel:
            moment, week = due_moment(config, now, team.timezone)
            if now - moment < CATCH_UP:
                wanted.append(Due(f"digest:{team.key}:{week}:channel", (team.id,), week, config.channel,
                                  (team.locale,)))
    for (user, week, moment), teams in managers.items():
        key = (f"digest:{teams[0].key}:{week}:{user}" if len(teams) == 1
               else f"digest:{week}:{user}:{moment:%a%H%M}")
        wanted.append(Due(key, tuple(t.id for t in teams), week, user, (locales[user], teams[0].locale)))
    if not wanted:
        return []
    done = set((await session.scalars(select(Delivery.key).where(Delivery.key.in_([d.key for d in wanted])))).all())
    return [d for d in wanted if d.key not in done]


async def send_due_digests(services: Services) -> int:
    """Sends what is due; returns how many digests went out now."""
    now = services.clock.now()
    async with services.sessions() as session:
        due = await due_digests(session, now)
    built: dict[tuple[int, str, str], Digest] = {}  # a team's digest, once per week and language
    for item in due:
        t = translator(*item.locales)
        for team_id in item.team_ids:
            cache_key = (team_id, item.week, t.locale)
            if cache_key not in built:
                async with services.sessions.begin() as session:
                    team = await session.get(Team, team_id)
                    if team is not None:
                        built[cache_key] = await build_digest(session, team, item.week, now, t, services.metrics)
    charts = await _charts(list(built.values()))
    parts_of = {key: (digest, png) for (key, digest), png in zip(built.items(), charts, strict=True)}
    sent = 0
    for item in due:
        t = translator(*item.locales)
        parts = [parts_of[key] for key in ((team_id, item.week, t.locale) for team_id in item.team_ids)
                 if key in parts_of]
        if parts and await send_digest(services, item.key, item.channel, parts, t):
            sent += 1
    return sent


async def _charts(digests: list[Digest]) -> list[bytes | None]:
    """The digests' charts; none when drawing fails (the digest matters more than its chart)."""
    try:
        return await chart.draw(digests)
    except Exception:
        log.exception("digest charts not drawn; the digests go without them")
        return [None] * len(digests)


async def send_digest(services: Services, key: str, channel: str, parts: list[tuple[Digest, bytes | None]],
                      t: Translator) -> bool:
    """Posts the digest once per key (one part per team), then each team's chart in the message's thread
    (each also at most once)."""
    digests = tuple(digest for digest, _ in parts)
    title = digests[0].title if len(digests) == 1 else t(
        "digest.title_many", week=digests[0].week, teams=", ".join(d.team_name for d in digests))
    message = render.slack_bundle(Bundle(title, digests))
    result = await deliver_once(services, key, channel, text=message.text, blocks=message.blocks)
    if result is None or not result.fresh:
        return False
    log.info("digest sent", extra={"teams": [d.team_key for d in digests], "week": digests[0].week})
    for digest, png in parts:
        if png is not None and await _claim(services, f"{key}:chart:{digest.team_key}"):
            await services.slack.files_upload_v2(
                channel=result.channel, thread_ts=result.ts, content=png,
                filename=f"oneteam-{digest.team_key}-{digest.week}.png",
                title=t("digest.chart.file_title", team=digest.team_name, week=digest.week))
    return True


async def _claim(services: Services, key: str) -> bool:
    """At most once: a file upload has no idempotency key either, so the ledger records it first."""
    return await first_time(services.sessions, key, services.clock.now())

