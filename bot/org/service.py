"""Applies an org spec to storage: idempotent, and says what it created, changed and removed.

Members given only by email get their Slack id through `users.lookupByEmail`; Slack's profile time
zone and locale win over the YAML's, because that is what the person set for themselves. Later changes
to them arrive as `user_change` events (`follow_profile`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import __version__
from bot.events import MemberTimezoneChanged, ProfileRead
from bot.org.schema import OrgSpec, PersonSpec, TeamSpec
from bot.services import Services
from bot.slack import SlackDirectory, SlackProfile, profile_from, snapshot_values
from storage.models import Member, Membership, OrgApplied, Team
from storage.org import org_apply_turn, refresh_kept_profile

log = logging.getLogger("oneteam.org")

TEAM_CORE_FIELDS = {"key", "name", "kind", "vendor", "timezone", "locale", "channel", "members"}


@dataclass
class ApplyReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def nothing_changed(self) -> bool:
        return not (self.created or self.changed or self.removed)


def team_config(team: TeamSpec) -> dict[str, Any]:
    """The feature sections of a team, with their defaults filled in, as stored JSON."""
    return team.model_dump(mode="json", exclude=TEAM_CORE_FIELDS)


def _set(obj: Any, label: str, report: ApplyReport, **values: Any) -> None:
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            setattr(obj, name, value)
            if obj.id is not None:
                report.changed.append(f"{label}: {name} {old!r} -> {value!r}")


async def _resolve_all(people: tuple[PersonSpec, ...], directory: SlackDirectory | None,
                       report: ApplyReport) -> dict[str, SlackProfile | None]:
    """One paged `users.list` finds the workspace's own people (a few calls for thousands); only those it
    misses, such as vendor staff in a Slack Connect organisation, are looked up one by one."""
    if directory is None:
        return {p.email: None for p in people}
    workspace = await directory.everyone()
    by_id = {u.user_id: u for u in workspace}
    by_email = {u.email.lower(): u for u in workspace if u.email}
    found: dict[str, SlackProfile | None] = {}
    for person in people:
        known = by_id.get(person.slack_id) if person.slack_id else by_email.get(person.email)
        found[person.email] = known or await _resolve(person, directory, report)
    return found


async def _resolve(person: PersonSpec, directory: SlackDirectory, report: ApplyReport) -> SlackProfile | None:
    profile = await (directory.by_id(person.slack_id) if person.slack_id else directory.by_email(person.email))
    if profile is None:
        how = f"Slack id {person.slack_id}" if person.slack_id else f"email {person.email}"
        report.warnings.append(f"no Slack user with {how}: {person.name} cannot be messaged until that is fixed")
    return profile


async def apply_org(spec: OrgSpec, sessions: async_sessionmaker[AsyncSession],
                    directory: SlackDirectory | None) -> ApplyReport:
    report = ApplyReport()
    profiles = await _resolve_all(spec.people, directory, report)
    async with sessions.begin() as session:
        members = await _apply_people(session, spec, profiles, report)
        teams = await _apply_teams(session, spec, report)
        await _apply_memberships(session, spec, teams, members, report)
    return report


async def org_digest(services: Services, content: bytes) -> str:
    """What decides the applied result besides Slack's profiles: the org file as written, the Slack workspace
    it is resolved in (one `auth.test`), and this version of OneTeam (its defaults are stored with the teams).
    Taken over the file's bytes, so that an unchanged file is not even parsed (about 4 s for 10,000 people)."""
    workspace = ""
    if services.settings.slack_bot_token is not None:
        workspace = await services.identity.workspace() or ""
    digest = hashlib.sha256(f"{__version__}\n{workspace}\n".encode())
    digest.update(content)
    return digest.hexdigest()


async def apply_on_start(services: Services, content: bytes, load_spec: Callable[[], OrgSpec], *,
                         force: bool = False) -> ApplyReport | None:
    """`oneteam run`: applies the org file whose bytes are `content` unless the same digest was applied last
    (then None, and one log line). Instances starting together take turns, so only the first applies it;
    `load_spec` parses the file (in a thread: the server already answers Slack) only when it is applied."""
    digest = await org_digest(services, content)
    async with org_apply_turn(services.db):
        async with services.sessions() as session:
            last = await session.get(OrgApplied, 1)
        if last is not None and last.digest == digest and not force:
            log.info("org unchanged: not applied", extra={"applied_at": last.applied_at.isoformat()})
            return None
        spec = await asyncio.to_thread(load_spec)
        return await _apply_recorded(services, spec, digest)


async def apply_file(services: Services, spec: OrgSpec, content: bytes) -> ApplyReport:
    """`oneteam org apply`: always applies, and records the digest so that the next start skips this file."""
    digest = await org_digest(services, content)
    async with org_apply_turn(services.db):
        return await _apply_recorded(services, spec, digest)


async def _apply_recorded(services: Services, spec: OrgSpec, digest: str) -> ApplyReport:
    """Applies and records the digest, unless someone was not found in Slack: the next start looks again
    (they may have joined the workspace since)."""
    directory = services.directory if services.settings.slack_bot_token else None
    report = await apply_org(spec, services.sessions, directory)
    if not report.warnings:
        async with services.sessions.begin() as session:
            await session.merge(OrgApplied(id=1, digest=digest, applied_at=services.clock.now()))
    return report


async def _apply_people(session: AsyncSession, spec: OrgSpec, profiles: dict[str, SlackProfile | None],
                        report: ApplyReport) -> dict[str, Member]:
    existing = {m.email: m for m in (await session.scalars(select(Member))).all()}
    wanted: dict[str, Member] = {}
    for person in spec.people:
        profile = profiles.get(person.email)
        member = existing.get(person.email)
        if member is None:
            member = Member(email=person.email, active=True)
            session.add(member)
            report.created.append(f"member {person.email}")
        elif not member.active:
            report.changed.append(f"member {person.email}: restored")
        _set(member, f"member {person.email}", report,
             name=person.name,
             slack_user_id=(profile.user_id if profile else person.slack_id),
             timezone=(profile.timezone if profile and profile.timezone else person.timezone),
             locale=(profile.locale if profile and profile.locale else person.locale),
             external_org=person.external_org,
             on_leave=person.on_leave,
             is_admin=person.admin,
             active=True)
        wanted[person.email] = member
    for email, member in existing.items():
        if email not in wanted and member.active:
            member.active = False
            member.slack_user_id = None  # frees the id for whoever holds it next
            report.removed.append(f"member {email}")
    await session.flush()
    return wanted


async def _apply_teams(session: AsyncSession, spec: OrgSpec, report: ApplyReport) -> dict[str, Team]:
    existing = {t.key: t for t in (await session.scalars(select(Team))).all()}
    wanted: dict[str, Team] = {}
    for spec_team in spec.teams:
        team = existing.get(spec_team.key)
        if team is None:
            team = Team(key=spec_team.key, active=True, config={})
            session.add(team)
            report.created.append(f"team {spec_team.key}")
        _set(team, f"team {spec_team.key}", report,
             name=spec_team.name, kind=spec_team.kind, vendor_name=spec_team.vendor,
             timezone=spec_team.timezone, locale=spec_team.locale, channel_id=spec_team.channel,
             config=team_config(spec_team), active=True)
        wanted[spec_team.key] = team
    for key, team in existing.items():
        if key not in wanted and team.active:
            team.active = False
            report.removed.append(f"team {key}")
    await session.flush()
    return wanted


async def _apply_memberships(session: AsyncSession, spec: OrgSpec, teams: dict[str, Team],
                             members: dict[str, Member], report: ApplyReport) -> None:
    existing = {(ms.team_id, ms.member_id): ms for ms in (await session.scalars(select(Membership))).all()}
    keep: set[tuple[int, int]] = set()
    for spec_team in spec.teams:
        team = teams[spec_team.key]
        for entry in spec_team.members:
            member = members[entry.email]
            pair = (team.id, member.id)
            keep.add(pair)
            roles = sorted(set(entry.roles) | {"member"})
            ms = existing.get(pair)
            if ms is None:
                session.add(Membership(team_id=team.id, member_id=member.id, roles=roles))
                report.created.append(f"{entry.email} in {spec_team.key} as {', '.join(roles)}")
            elif sorted(ms.roles) != roles:
                report.changed.append(f"{entry.email} in {spec_team.key}: roles {ms.roles} -> {roles}")
                ms.roles = roles
    for pair, ms in existing.items():
        if pair not in keep:
            await session.delete(ms)
            left = next((t for t in teams.values() if t.id == pair[0]), None)
            leaver = next((m for m in members.values() if m.id == pair[1]), None)
            if left is not None and leaver is not None:
                report.removed.append(f"{leaver.email} from {left.key}")


async def follow_profile(services: Services, user: dict[str, Any]) -> None:
    """A person changed their Slack profile (the `user_change` event carries the whole user object); a snapshot
    kept for their check-in prompt (Slack Connect staff) takes the new one."""
    profile = profile_from(user)
    async with services.sessions.begin() as session:
        await refresh_kept_profile(session, snapshot_values(profile, services.clock.now()))
    await apply_profile(services, profile)


async def on_profile_read(services: Services, event: ProfileRead) -> None:
    """`ProfileRead` (a check-in prompt read it at send time): the member record follows the profile."""
    await apply_profile(services, event.profile)


async def apply_profile(services: Services, profile: SlackProfile) -> None:
    """Keeps the member's time zone and locale as Slack has them, and publishes `MemberTimezoneChanged`
    so that work already scheduled in the old zone moves."""
    async with services.sessions.begin() as session:
        member = await session.scalar(select(Member).where(Member.slack_user_id == profile.user_id,
                                                           Member.active.is_(True)))
        if member is None or profile.deleted:
            return
        moved = bool(profile.timezone) and profile.timezone != member.timezone
        if profile.timezone:
            member.timezone = profile.timezone
        if profile.locale:
            member.locale = profile.locale
        member_id = member.id
    if moved:
        await services.events.publish(MemberTimezoneChanged(member_id))
