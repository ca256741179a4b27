"""Who is called at each level of a team's policy (who may act on an escalation: `bot.permissions`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.escalations.config import EscalationConfig
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


async def level_people(session: AsyncSession, team: Team, cfg: EscalationConfig, level: int) -> list[Responder]:
    """People of one level (1-based): members of the team with the role, or people by email; not on leave."""
    if not 1 <= level <= len(cfg.levels):
        return []
    found: dict[str, Responder] = {}
    for who in cfg.levels[level - 1]:
        if "@" in who:
            members = (await session.scalars(select(Member).where(Member.email == who,
                                                                  Member.active.is_(True)))).all()
        else:
            members = [m for m, _ in await team_members(session, team.id, who)]
        for m in members:
            if m.slack_user_id and not m.on_leave:
                found.setdefault(m.slack_user_id, Responder(m.slack_user_id, m.name, m.locale, m.external_org))
    return list(found.values())


async def next_staffed_level(session: AsyncSession, team: Team, cfg: EscalationConfig,
                             after: int) -> tuple[int, list[Responder]] | None:
    """The first level after `after` that has someone to call (empty levels are skipped)."""
    for level in range(after + 1, len(cfg.levels) + 1):
        people = await level_people(session, team, cfg, level)
        if people:
            return level, people
    return None


def called_from(cfg: EscalationConfig, level: int) -> frozenset[str]:
    """Emails and roles called at `level` or any later level: the escalation's responders.

    Decided from the policy alone, so that checking a click costs the same in a team of 10,000."""
    return frozenset(who for later in range(max(level, 1), len(cfg.levels) + 1) for who in cfg.levels[later - 1])
