"""Who is called at each level of a team's policy (who may act on an escalation: `bot.permissions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import zone
from bot.escalations.config import EscalationConfig
from bot.metrics import MetricsProviders
from bot.rotations import ROTATION, oncall_config
from storage.models import Member, Team
from storage.org import team_members


def team_policy(team: Team) -> EscalationConfig:
    """The team's validated policy (the org file's `escalation:` section, defaults filled in)."""
    return EscalationConfig.model_validate((team.config or {}).get("escalation") or {})


@dataclass(frozen=True)
class Responder:
    slack_id: str
    name: str
    locale: str | None
    org: str | None = None  # external organisation: vendor staff


@dataclass(frozen=True)
class Now:
    """What decides who can be called at a moment: on-call rotations and absence, read through providers."""

    providers: MetricsProviders
    at: datetime


Skip = tuple[int, Literal["away"]]  # a level passed over, and why (shown on the escalation's timeline)


async def _level(session: AsyncSession, team: Team, cfg: EscalationConfig, level: int,
                 now: Now) -> tuple[list[Responder], bool]:
    """People of one level who can be called, and whether anyone was left out for being away."""
    if not 1 <= level <= len(cfg.levels):
        return [], False
    candidates: list[Member] = []
    for who in cfg.levels[level - 1]:
        if who.startswith(ROTATION):
            on_duty = now.providers.on_duty
            candidates += await on_duty(session, team, who.removeprefix(ROTATION), now.at) if on_duty else []
        elif "@" in who:
            candidates += (await session.scalars(select(Member).where(Member.email == who,
                                                                      Member.active.is_(True)))).all()
        else:
            candidates += [m for m, _ in await team_members(session, team.id, who)]
    reachable = [m for m in candidates if m.slack_user_id and not m.on_leave]
    by_day: dict[date, list[int]] = {}  # each on their own local date: one query per distinct date
    for m in reachable:
        by_day.setdefault(now.at.astimezone(zone(m.timezone, team.timezone)).date(), []).append(m.id)
    away: set[int] = set()
    for day, ids in by_day.items():
        away |= await now.providers.absent_on(session, ids, day)
    found: dict[str, Responder] = {}
    for m in reachable:
        if m.id not in away and m.slack_user_id:
            found.setdefault(m.slack_user_id, Responder(m.slack_user_id, m.name, m.locale, m.external_org))
    return list(found.values()), bool(away)


async def level_people(session: AsyncSession, team: Team, cfg: EscalationConfig, level: int,
                       now: Now) -> list[Responder]:
    """People of one level (1-based): members of the team with the role, people by email, or whoever is on
    duty in a rotation; not on leave and not away (`/oneteam away`)."""
    return (await _level(session, team, cfg, level, now))[0]


async def next_staffed_level(session: AsyncSession, team: Team, cfg: EscalationConfig, after: int, now: Now,
                             skipped: list[Skip] | None = None) -> tuple[int, list[Responder]] | None:
    """The first level after `after` that has someone to call. Empty levels are skipped; a level skipped
    because its people are away is added to `skipped`, for the timeline."""
    for level in range(after + 1, len(cfg.levels) + 1):
        people, someone_away = await _level(session, team, cfg, level, now)
        if people:
            return level, people
        if someone_away and skipped is not None:
            skipped.append((level, "away"))
    return None


def rotation_people(team: Team) -> dict[str, frozenset[str]]:
    """Every person of each rotation (`rotation:<name>` -> emails): all of them may act at that level."""
    return {f"{ROTATION}{r.name}": frozenset(r.people) for r in oncall_config(team.config).rotations}


def called_from(cfg: EscalationConfig, level: int,
                rotations: dict[str, frozenset[str]] | None = None) -> frozenset[str]:
    """Emails and roles called at `level` or any later level: the escalation's responders (a rotation counts
    as all its people, and a cover acts through the role or email that lets them).

    Decided from the policy alone, so that checking a click costs the same in a team of 10,000."""
    called = {who for later in range(max(level, 1), len(cfg.levels) + 1) for who in cfg.levels[later - 1]}
    expanded = [(rotations or {}).get(who, frozenset()) for who in called]
    return frozenset(called.union(*expanded))


async def covering(session: AsyncSession, team: Team, cfg: EscalationConfig, level: int, now: Now) -> frozenset[str]:
    """Emails of whoever the on-call provider has on duty now in the rotations called at `level` or later: a
    cover (`/oneteam cover`) acts on those escalations like the rotation's own people, with no role or email
    in the policy."""
    names = {who.removeprefix(ROTATION) for later in cfg.levels[max(level, 1) - 1:] for who in later
             if who.startswith(ROTATION)}
    on_duty = now.providers.on_duty
    if not names or on_duty is None:
        return frozenset()
    emails: set[str] = set()
    for name in sorted(names):
        emails.update(m.email for m in await on_duty(session, team, name, now.at))
    return frozenset(emails)
