"""The whole org file: the org feature's people and teams, with each feature's section of a team hung under
it. A composition root like bot/wiring.py (the features contract lets it import every feature), so that the
org feature, which reads and applies the file, imports no other feature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bot.calendar import CalendarConfig
from bot.checkins.config import CheckinConfig
from bot.digest.config import DigestConfig
from bot.escalations.config import EscalationConfig
from bot.jira.config import JiraConfig
from bot.kpi.config import KpiConfig
from bot.kudos.config import KudosConfig
from bot.org import loader
from bot.org.loader import Problem, line_of
from bot.org.schema import OrgSpec, TeamSpec
from bot.pulse.config import PulseConfig
from bot.rotations import ROTATION, OncallConfig
from bot.sync.config import SyncConfig


class KpiSection(KpiConfig):
    """A team's `kpi` section: the KPI feature's definitions and the digest's schedule (`kpi.digest`)."""

    digest: DigestConfig = DigestConfig()


class TeamFile(TeamSpec):
    """A team with every feature's section."""

    calendar: CalendarConfig = CalendarConfig()
    checkins: CheckinConfig = CheckinConfig()
    escalation: EscalationConfig = EscalationConfig()
    oncall: OncallConfig = OncallConfig()
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
    return loader.parse(text, OrgFile, source, _rotation_checks)


def parse_file(path: Path) -> tuple[OrgFile | None, list[Problem]]:
    return loader.parse_file(path, OrgFile, _rotation_checks)


def load(path: Path) -> OrgFile:
    """The valid org file; OrgFileError lists every problem otherwise."""
    return loader.load(path, OrgFile, _rotation_checks)


def _rotation_checks(data: CommentedMap, spec: OrgFile) -> list[Problem]:
    """Escalation levels name rotations their team has, and rotations name people of the org file: the two
    sections belong to different features, so they are checked here, where the whole file is composed."""
    problems: list[Problem] = []
    people = {p.email for p in spec.people}
    for t, team in enumerate(spec.teams):
        known = {r.name for r in team.oncall.rotations}
        for n, level in enumerate(team.escalation.levels):
            for who in level:
                if who.startswith(ROTATION) and who.removeprefix(ROTATION) not in known:
                    problems.append(Problem(line_of(data, ("teams", t, "escalation", "levels", n)),
                                            f"escalation level {n + 1} calls {who!r}, but oncall.rotations has no "
                                            f"such rotation (known: {', '.join(sorted(known)) or 'none'})"))
        for r, rotation in enumerate(team.oncall.rotations):
            for email in rotation.people:
                if email not in people:
                    problems.append(Problem(line_of(data, ("teams", t, "oncall", "rotations", r, "people")),
                                            f"rotation {rotation.name}: {email} is not in people"))
    return problems


def json_schema() -> dict[str, Any]:
    """The whole org file as JSON Schema, for editors to autocomplete and check `org.yml`."""
    schema = OrgFile.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "OneTeam org file"
    return schema
