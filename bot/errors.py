"""Errors that carry a message for the person who caused them."""

from __future__ import annotations

from typing import Any


class UserFacingError(Exception):
    """A user's mistake: shown to them (ephemeral or as modal errors), never logged as a failure.

    `key` is an i18n catalog key; `params` fill its placeholders. `block_id` set means the error
    belongs to one input of a modal and is answered with `response_action: errors`.
    """

    def __init__(self, key: str, *, block_id: str | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.block_id = block_id
        self.params = params
