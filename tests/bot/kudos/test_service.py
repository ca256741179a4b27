"""Parsing `/kudos` and the cross-side balance."""

from __future__ import annotations

import pytest

from bot.errors import UserFacingError
from bot.kudos.service import parse_command
from bot.metrics import KudosMetrics


def test_mentions_come_first_then_the_reason() -> None:
    request = parse_command("<@U0SAM|sam>, <@U0MINJI> <@U0SAM> thanks <@U0X> for <!channel>", "C0HANA")
    assert request.recipients == ("U0SAM", "U0MINJI")  # each person once
    assert request.reason == "thanks <@U0X> for <!channel>"  # kept as typed; escaped where it is shown
    assert request.public and request.channel_id == "C0HANA"


def test_no_one_named_is_the_usage() -> None:
    with pytest.raises(UserFacingError) as refused:
        parse_command("thanks all")
    assert refused.value.key == "kudos.errors.usage"


@pytest.mark.parametrize(("to_vendor", "to_internal", "balance"), [(0, 0, None), (4, 0, 0.0), (2, 4, 0.5), (3, 3, 1.0)])
def test_the_balance_is_one_when_both_sides_thank_each_other_as_often(to_vendor: int, to_internal: int,
                                                                      balance: float | None) -> None:
    assert KudosMetrics(to_vendor + to_internal, to_vendor, to_internal).cross_side_balance == balance
