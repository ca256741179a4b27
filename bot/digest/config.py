"""The digest's schedule: the `digest` key of a team's `kpi` section in the org YAML (`kpi.digest`), where
it has always been written. bot/orgfile.py hangs it under the KPI feature's section."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bot.config_types import HHMM, Strict, Weekday, weekday_index


class DigestConfig(Strict):
    """When the weekly digest reaches the team's managers (in each manager's own time zone)."""

    enabled: bool = True
    weekday: Weekday = "mon"
    time: HHMM = "09:00"
    channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,}$")

    @property
    def hour_minute(self) -> tuple[int, int]:
        h, m = self.time.split(":")
        return int(h), int(m)

    @property
    def isoweekday(self) -> int:
        return weekday_index(self.weekday) + 1


def digest_config(team_config: dict[str, Any] | None) -> DigestConfig:
    """The validated schedule as stored in `Team.config["kpi"]["digest"]` (absent means defaults)."""
    return DigestConfig.model_validate(((team_config or {}).get("kpi") or {}).get("digest") or {})
