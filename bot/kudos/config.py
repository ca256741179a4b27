"""The team's `kudos:` section of the org YAML."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bot.config_types import Strict


class KudosConfig(Strict):
    # Thanks one person may give in a (local) day: kudos are worth something because they are not spammed.
    daily_limit: int = Field(10, ge=1, le=1000)


def kudos_config(team_config: dict[str, Any] | None) -> KudosConfig:
    return KudosConfig.model_validate((team_config or {}).get("kudos") or {})
