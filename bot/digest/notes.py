"""The digest's "notes for the other side" section: what the team's members wrote for the other side in
the week's check-ins (check-ins deliver each note when it is written; managers see them here too)."""

from __future__ import annotations

from bot.digest.model import Part, Section
from bot.digest.providers import Context


async def other_side_notes(ctx: Context) -> Part | None:
    """Through the check-ins' provider (bot/wiring.py); nothing when check-ins are absent."""
    provider = ctx.metrics.other_side_notes
    notes = await provider(ctx.session, ctx.team.id, ctx.start, ctx.end) if provider else ()
    if not notes:
        return None
    quotes = tuple(ctx.t.plain("digest.notes.quote", member=n.member, text=" ".join(n.text.split())) for n in notes)
    return Part(Section("notes", ctx.t("digest.notes.title"), (), quotes))
