"""What `/oneteam help` shows: the commands, and the caller's teams."""

from __future__ import annotations

from bot import blocks
from bot.i18n import Translator
from storage.models import Member


def help_view(t: Translator, member: Member | None, unknown: str | None = None) -> blocks.Rendered:
    lead = t("core.help.unknown", text=unknown) if unknown else t("core.help.intro")
    teams = sorted(ms.team.name for ms in member.memberships) if member else []
    footer = t("core.help.footer", teams=", ".join(teams)) if teams else t("core.help.no_teams")
    return blocks.Rendered(
        text=t("core.help.title"),
        blocks=[
            blocks.header(t("core.help.title")),
            blocks.section(lead),
            blocks.section(t("core.help.commands")),
            blocks.context(footer),
        ],
    )
