"""One vocabulary for the org file: weekdays spelled one way (old spellings read, with a deprecation note on
their line), one HH:MM, and a JSON Schema from `oneteam org schema` that editors check org.yml with."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from bot.checkins.config import CheckinConfig
from bot.cli import main
from bot.digest.config import DigestConfig
from bot.escalations.config import BusinessHours
from bot.orgfile import parse
from sandbox.harness import EXAMPLE_ORG

HEAD = "organisation:\n  name: Acme\npeople:\n  - email: a@x.io\n    name: A\n"
TEAM = "teams:\n  - key: t1\n    name: T\n    kind: internal\n"


def schema() -> dict:
    result = CliRunner().invoke(main, ["org", "schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_example_org_validates_against_the_printed_schema() -> None:
    jsonschema.validate(YAML(typ="safe").load(EXAMPLE_ORG.read_text()), schema())


def test_the_schema_flags_a_typo_d_key_and_a_long_weekday() -> None:
    validator = jsonschema.Draft202012Validator(schema())
    data = YAML(typ="safe").load(HEAD + TEAM + "    checkins: {weekday: fri, tme: '16:00'}\n")
    errors = list(validator.iter_errors(data))
    assert len(errors) == 1 and "tme" in errors[0].message
    data["teams"][0]["checkins"] = {"weekday": "friday"}
    assert not validator.is_valid(data)


def test_every_section_spells_weekdays_and_times_one_way() -> None:
    assert CheckinConfig.model_validate({"weekday": "friday", "time": "9:30"}).weekday == "fri"
    assert CheckinConfig.model_validate({"weekday": "friday", "time": "9:30"}).time == "09:30"
    assert BusinessHours.model_validate({"days": ["monday", "tue"]}).days == ("mon", "tue")
    assert DigestConfig.model_validate({"weekday": "monday"}).weekday == "mon"
    for bad in ({"weekday": "someday"}, {"time": "24:00"}, {"time": "4pm"}):
        with pytest.raises(ValueError, match=r"weekday|time"):
            CheckinConfig.model_validate(bad)


def test_old_weekday_spellings_load_with_a_deprecation_note_on_their_line() -> None:
    text = HEAD + TEAM + "    checkins:\n      weekday: friday\n    escalation:\n" \
                         "      business_hours: {days: [mon, tuesday]}\n"
    spec, notes = parse(text)
    assert spec is not None and spec.teams[0].checkins.weekday == "fri"
    assert [(n.line, n.deprecated) for n in notes] == [(11, True), (13, True)]
    assert "'friday' is the old spelling: write 'fri'" in notes[0].message
    assert "teams.0.escalation.business_hours.days" in notes[1].message


def test_org_validate_prints_the_deprecation_and_passes(tmp_path: Path) -> None:
    old = tmp_path / "old.yml"
    old.write_text(HEAD + TEAM + "    checkins:\n      weekday: friday\n")
    result = CliRunner().invoke(main, ["org", "validate", str(old)])
    assert result.exit_code == 0, result.output
    assert f"{old}:11: deprecated: teams.0.checkins.weekday" in result.output
    assert "is valid" in result.output
