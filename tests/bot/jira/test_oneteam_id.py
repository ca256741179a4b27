"""The id OneTeam tags a Jira issue with (unique per link): origins never share one."""

from __future__ import annotations

from bot.jira.service import oneteam_id
from bot.services import Services


async def test_an_action_item_and_a_blocker_of_the_same_id_get_different_issue_ids(services: Services) -> None:
    # The column is unique: a shared id made the action item's link fail to insert, so it never got a ticket.
    ids = {oneteam_id(services, origin, 7) for origin in ("escalation", "blocker", "action_item")}
    assert len(ids) == 3
    assert oneteam_id(services, "blocker", 7).endswith("-blk-7")  # existing links keep their ids
