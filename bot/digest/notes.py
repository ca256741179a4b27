"""The digest's "notes for the other side" section: what the team's members wrote for the other side in
the week's check-ins (check-ins deliver each note when it is written; managers see them here too)."""

from __future__ import annotations

from bot.checkins.other_side import notes_of
from bot.digest.model import Part, Section
from bot.digest.providers import Context


async def other_side_notes(ctx: Context) -> Part | None:
    notes = await notes_of(ctx.session, ctx.team.id, ctx.start, ctx.end)
    if not notes:
        return None
    quotes = tuple(ctx.t.plain("digest.notes.quote", member=n.member, text=" ".join(n.text.split())) for n in notes)
    return Part(Section("notes", ctx.t("digest.notes.title"), (), quotes))
