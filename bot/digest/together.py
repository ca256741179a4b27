"""The digest's "one team" section: thanks across the line (both directions, the balance, a few public
ones) and the weekly sync's action items. Read through the kudos and sync providers; no individual
leaderboard (it invites gaming)."""

from __future__ import annotations

from bot.digest.model import Item, Part, Section
from bot.digest.providers import Context

MAX_KUDOS_QUOTES = 3


async def one_team(ctx: Context) -> Part | None:
    t, m, items = ctx.t, ctx.metrics, []
    kudos = await m.kudos.get(ctx.start, ctx.end)
    if kudos is not None and kudos.total:
        items.append(Item(t("digest.together.kudos"), t("digest.together.kudos_value",
                                                        to_vendor=kudos.internal_to_vendor,
                                                        to_internal=kudos.vendor_to_internal)))
        if (balance := kudos.cross_side_balance) is not None:
            items.append(Item(t("digest.together.balance"), t.number(balance * 100, "#,##0") + "%"))
    actions = await m.sync.get(ctx.start, ctx.end)
    if actions is not None:
        items.append(Item(t("digest.together.actions"), t("digest.together.actions_value", due=actions.due,
                                                          on_time=actions.closed_on_time, open=actions.open_now)))
    quotes: tuple[str, ...] = ()
    notes = ctx.metrics.kudos_notes
    if notes is not None:
        quotes = tuple(t.plain("digest.together.quote", giver=n.giver, receivers=", ".join(n.receivers),
                               reason=" ".join(n.reason.split())[:200])
                       for n in await notes(ctx.session, ctx.team.id, ctx.start, ctx.end, MAX_KUDOS_QUOTES))
    if not items and not quotes:
        return None
    return Part(Section("together", t("digest.together.title"), tuple(items), quotes))
