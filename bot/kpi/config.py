"""The `kpi` section of a team in the org YAML: KPI definitions. (Its `digest` key, when the manager digest
goes out, is the digest feature's: bot/digest/config.py; bot/orgfile.py composes the two.)"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, model_validator

from bot.config_types import Strict

Source = Literal[
    "manual",
    "checkin_response_rate",
    "escalation_ack_median", "escalation_ack_p90",
    "escalation_resolve_median", "escalation_resolve_p90",
    "escalation_within_sla", "escalation_reopen_rate", "escalation_satisfaction", "escalation_sla_breaches",
    "sla_ack_p1", "sla_ack_p2", "sla_ack_p3", "sla_ack_p4",
    "sla_resolve_p1", "sla_resolve_p2", "sla_resolve_p3", "sla_resolve_p4",
    "sla_breaches_internal", "sla_breaches_vendor",
    "jira_resolved", "jira_overdue",
    "pulse_score", "enps",
    "kudos_cross_side_balance", "sync_actions_on_time",
]
# Computed sources: OneTeam's own data, read through the other features' `*_metrics` functions.
COMPUTED_SOURCES: tuple[str, ...] = get_args(Source)[1:]


class KpiSpec(Strict):
    """One KPI: what "good" means for the vendor, and where its weekly value comes from."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str
    unit: str = ""
    target: float
    direction: Literal["higher", "lower"] = "higher"
    source: Source = "manual"
    min: float = 0
    max: float | None = None  # a percentage is capped at 100 unless said otherwise

    @property
    def upper(self) -> float | None:
        return self.max if self.max is not None else (100.0 if self.unit == "%" else None)

    @property
    def manual(self) -> bool:
        return self.source == "manual"

    def on_track(self, value: float) -> bool:
        return value >= self.target if self.direction == "higher" else value <= self.target


class KpiConfig(Strict):
    definitions: tuple[KpiSpec, ...] = ()

    @model_validator(mode="after")
    def _unique_keys(self) -> KpiConfig:
        keys = [d.key for d in self.definitions]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"KPI keys must be unique; repeated: {', '.join(dupes)}")
        return self

    def find(self, name: str) -> KpiSpec | None:
        """By key or by name, ignoring case."""
        wanted = name.strip().lower()
        return next((d for d in self.definitions if wanted in (d.key.lower(), d.name.lower())), None)


def kpi_config(team_config: dict | None) -> KpiConfig:
    """The validated section as stored in `Team.config["kpi"]` (absent means defaults). Only the KPI
    feature's own keys: the section also holds the digest's schedule, which the org file checked."""
    section = (team_config or {}).get("kpi") or {}
    return KpiConfig.model_validate({k: v for k, v in section.items() if k in KpiConfig.model_fields})
