"""Block Kit for kudos: the channel post, the private DM, the modal, the confirmation, App Home lines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.blocks import Block, Mrkdwn, Rendered, context, link, mention, mentions, plain, section
from bot.i18n import Translator
from bot.kudos.ids import WHERE_CHANNEL, WHERE_PRIVATE, View
from bot.kudos.ids import Block as B


def _source(t: Translator, url: str | None) -> Mrkdwn:
    return t("kudos.for_message", message=link(url, t.plain("kudos.this_message"))) if url else Mrkdwn()


def kudos_message(t: Translator, giver: str, receivers: Sequence[str], reason: str, url: str | None) -> Rendered:
    """The thanks in the team channel (the team's language): who thanked whom, and why, as typed."""
    text = t("kudos.posted", giver=mention(giver), receivers=mentions(receivers))
    blocks: list[Block] = [section(text), section(Mrkdwn("> ") + " ".join(reason.split()))]
    if url:
        blocks.append(context(_source(t, url)))
    return Rendered(text, blocks)


def kudos_dm(t: Translator, giver: str, giver_name: str, reason: str, url: str | None) -> Rendered:
    """The thanks sent privately to one person (their language)."""
    text = t("kudos.private", giver=mention(giver), name=giver_name)
    blocks: list[Block] = [section(text), section(Mrkdwn("> ") + " ".join(reason.split()))]
    if url:
        blocks.append(context(_source(t, url)))
    return Rendered(text, blocks)


def confirmation(t: Translator, count: int, channel_id: str | None) -> str:
    if channel_id:
        return t("kudos.done_channel", count=count, channel=Mrkdwn("<#{}>").format(channel_id))
    return t("kudos.done_private", count=count)


def give_modal(t: Translator, *, recipients: Sequence[str] = (), url: str | None = None, reason: str = "",
               source: dict[str, str] | None = None) -> dict[str, Any]:
    """Whom to thank, why, and where (the team channel or privately)."""
    users: dict[str, Any] = {"type": "multi_users_select", "action_id": "users", "max_selected_items": 10,
                             "placeholder": plain(t("kudos.modal.who_placeholder"), 150, emoji=False)}
    if recipients:
        users["initial_users"] = list(recipients)[:10]
    why: dict[str, Any] = {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": 1000}
    if reason:
        why["initial_value"] = reason
    channel_opt = {"text": plain(t("kudos.modal.where_channel"), 75, emoji=False), "value": WHERE_CHANNEL}
    private_opt = {"text": plain(t("kudos.modal.where_private"), 75, emoji=False), "value": WHERE_PRIVATE}
    blocks: list[Block] = [
        {"type": "input", "block_id": B.RECIPIENTS, "label": plain(t("kudos.modal.who"), 2000, emoji=False),
         "element": users},
        {"type": "input", "block_id": B.REASON, "label": plain(t("kudos.modal.why"), 2000, emoji=False),
         "element": why},
        {"type": "input", "block_id": B.WHERE, "label": plain(t("kudos.modal.where"), 2000, emoji=False),
         "element": {"type": "radio_buttons", "action_id": "where", "options": [channel_opt, private_opt],
                     "initial_option": channel_opt}},
    ]
    if url:
        blocks.insert(0, context(_source(t, url)))
    return {
        "type": "modal", "callback_id": View.GIVE,
        "private_metadata": json.dumps(source or {}),
        "title": plain(t("kudos.modal.title"), 24, emoji=False),
        "submit": plain(t("kudos.modal.submit"), 24, emoji=False),
        "close": plain(t("kudos.modal.cancel"), 24, emoji=False),
        "blocks": blocks,
    }
