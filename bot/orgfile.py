"""The whole org file: the org feature's people and teams, with each feature's section of a team hung under
it. A composition root like bot/wiring.py (the features contract lets it import every feature), so that the
org feature, which reads and applies the file, imports no other feature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.checkins.config import CheckinConfig
from bot.digest.config import DigestConfig
from bot.escalations.config import EscalationConfig
from bot.jira.config import JiraConfig
from bot.kpi.config import KpiConfig
from bot.kudos.config import KudosConfig
from bot.org import loader
from bot.org.loader import Problem
from bot.org.schema import OrgSpec, TeamSpec
from bot.pulse.config import PulseConfig
from bot.sync.config import SyncConfig


class KpiSection(KpiConfig):
    """A team's `kpi` section: the KPI feature's definitions and the digest's schedule (`kpi.digest`)."""

    digest: DigestConfig = DigestConfig()


class TeamFile(TeamSpec):
    """A team with every feature's section."""

    checkins: CheckinConfig = CheckinConfig()
    escalation: EscalationConfig = EscalationConfig()
    pulse: PulseConfig = PulseConfig()
    kpi: KpiSection = KpiSection()
    jira: JiraConfig = JiraConfig()
    kudos: KudosConfig = KudosConfig()
    sync: SyncConfig | None = None


class OrgFile(OrgSpec):
    """The org YAML as `oneteam org validate` checks it and `oneteam org apply` stores it."""

    teams: tuple[TeamFile, ...] = ()


def parse(text: str, source: str = "<org>") -> tuple[OrgFile | None, list[Problem]]:
    """Validate org YAML text; returns the spec (when valid) and every problem found, with its line."""
    return loader.parse(text, OrgFile, source)


def parse_file(path: Path) -> tuple[OrgFile | None, list[Problem]]:
    return loader.parse_file(path, OrgFile)


def load(path: Path) -> OrgFile:
    """The valid org file; OrgFileError lists every problem otherwise."""
    return loader.load(path, OrgFile)


def json_schema() -> dict[str, Any]:
    """The whole org file as JSON Schema, for editors to autocomplete and check `org.yml`."""
    schema = OrgFile.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "OneTeam org file"
    return schema
