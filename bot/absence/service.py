"""`/oneteam away|back` from the text to the answer, and the provider other features read absence through.

An absence is whole days in the person's own time zone, first and last day included. Check-ins, pulse
surveys and escalation levels ask `MetricsProviders.absent` (registered in bot/wiring.py), never this module.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import blocks as bk
from bot.calendar import zone
from bot.errors import UserFacingError
from bot.i18n import Translator
from bot.services import Services
from storage.models import Absence, Member

MAX_AHEAD_DAYS = 366  # an absence ends at most a year from today
NOTE_MAX = 200
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(text: str) -> date:
    """A typed YYYY-MM-DD; anything else is a clear refusal."""
    try:
        if _DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise UserFacingError("absence.errors.bad_date", text=text[:40])


def today_of(services: Services, member: Member) -> date:
    """The person's local date now."""
    return services.clock.now().astimezone(zone(member.timezone)).date()


async def run_command(services: Services, member: Member | None, words: list[str], t: Translator) -> bk.Rendered:
    """`away ‹from› [to] [note]`, `away list`, `back`, `oncall [team]` or `cover …` (the first word)."""
    if member is None:
        raise UserFacingError("core.errors.not_in_org")
    sub, args = words[0].lower(), words[1:]
    if sub in ("oncall", "cover"):
        from bot.absence import oncall  # builds on this module

        return await (oncall.oncall if sub == "oncall" else oncall.cover)(services, member, args, t)
    if sub == "back":
        return await _back(services, member, t)
    if not args or args[0].lower() == "help":
        return _answer(t("absence.usage"))
    if args[0].lower() == "list" and len(args) == 1:
        return await _list(services, member, t)
    return await _away(services, member, args, t)


def _answer(text: str) -> bk.Rendered:
    return bk.Rendered(text, [bk.section(text)])


async def _away(services: Services, member: Member, args: list[str], t: Translator) -> bk.Rendered:
    first = parse_day(args[0])
    has_last = len(args) > 1 and bool(re.match(r"^\d", args[1]))
    last = parse_day(args[1]) if has_last else first
    note = " ".join(args[2 if has_last else 1:]).strip() or None
    today = today_of(services, member)
    if first > last:
        raise UserFacingError("absence.errors.order", first=t.day(first), last=t.day(last))
    if last < today:
        raise UserFacingError("absence.errors.past", last=t.day(last))
    if last > today + timedelta(days=MAX_AHEAD_DAYS):
        raise UserFacingError("absence.errors.too_far", days=MAX_AHEAD_DAYS)
    if note is not None and len(note) > NOTE_MAX:
        raise UserFacingError("absence.errors.note_too_long", max=NOTE_MAX)
    async with services.sessions.begin() as session:
        clash = await session.scalar(select(Absence).where(
            Absence.member_id == member.id, Absence.first_day <= last, Absence.last_day >= first).limit(1))
        if clash is not None:
            raise UserFacingError("absence.errors.overlap", first=t.day(clash.first_day), last=t.day(clash.last_day))
        session.add(Absence(member_id=member.id, first_day=max(first, today), last_day=last, note=note,
                            created_at=services.clock.now()))
    return _answer(t("absence.set", first=t.day(max(first, today)), last=t.day(last)))


async def _list(services: Services, member: Member, t: Translator) -> bk.Rendered:
    async with services.sessions() as session:
        rows = (await session.scalars(select(Absence).where(
            Absence.member_id == member.id, Absence.last_day >= today_of(services, member))
            .order_by(Absence.first_day))).all()
    if not rows:
        return _answer(t("absence.list.empty"))
    lines = [t("absence.list.item", first=t.day(a.first_day), last=t.day(a.last_day), note=a.note or "")
             for a in rows]
    title = t("absence.list.title", count=len(rows))
    return bk.Rendered(title, [bk.section(title), bk.section(bk.Mrkdwn("\n").join(lines))])


async def _back(services: Services, member: Member, t: Translator) -> bk.Rendered:
    """Ends today's absence: it now ended yesterday (or is gone, if it began today). Later ones stay."""
    today = today_of(services, member)
    async with services.sessions.begin() as session:
        current = await session.scalar(select(Absence).where(
            Absence.member_id == member.id, Absence.first_day <= today, Absence.last_day >= today))
        if current is None:
            raise UserFacingError("absence.errors.not_away")
        if current.first_day == today:
            await session.execute(delete(Absence).where(Absence.id == current.id))
        else:
            await session.execute(update(Absence).where(Absence.id == current.id)
                                  .values(last_day=today - timedelta(days=1)))
    return _answer(t("absence.back"))


async def absent_on(session: AsyncSession, member_ids: Collection[int], day: date) -> set[int]:
    """Which of these people set themselves away on `day` (their local date)."""
    if not member_ids:
        return set()
    rows = await session.scalars(select(Absence.member_id).where(
        Absence.member_id.in_(list(member_ids)), Absence.first_day <= day, Absence.last_day >= day))
    return set(rows.all())
