"""Slack action, callback and block ids of the pulse feature."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    OPEN = "pulse_open"  # DM button: value = survey id
    FOLLOW_UP = "pulse_follow_up"  # results button: value = "survey_id:question_id"


class Callback(StrEnum):
    ANSWER = "pulse_answer"  # private_metadata = survey id
    FOLLOW_UP = "pulse_follow_up_modal"  # private_metadata = "survey_id:question_id"


class Block(StrEnum):
    ENPS = "pulse_enps"
    COMMENT = "pulse_comment"
    FOLLOW_UP = "follow_up"


QUESTION_PREFIX = "pulse_q_"


def question_block(question_id: str) -> str:
    return "pulse_enps" if question_id == "enps" else QUESTION_PREFIX + question_id


def block_question(block_id: str) -> str | None:
    """The question id an input block carries, or "comment"."""
    if block_id == Block.ENPS:
        return "enps"
    if block_id == Block.COMMENT:
        return "comment"
    return block_id.removeprefix(QUESTION_PREFIX) if block_id.startswith(QUESTION_PREFIX) else None
