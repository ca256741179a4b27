"""The `pulse:` section of the org YAML."""

from __future__ import annotations

from bot.orgfile import parse
from bot.pulse.questions import bank, rotation

ORG = """organisation: {name: Acme}
people:
  - {email: a@acme.example, name: A}
teams:
  - key: ops
    name: Ops
    kind: internal
    members: [a@acme.example]
    pulse:
PULSE
"""


def _parse(pulse: str) -> tuple[object, list]:
    return parse(ORG.replace("PULSE", pulse))


def test_threshold_below_three_is_a_validation_error_with_its_line() -> None:
    spec, problems = _parse("      threshold: 2")
    assert spec is None
    assert len(problems) == 1 and "at least 3" in problems[0].message and problems[0].line == 10


def test_defaults_and_own_questions() -> None:
    spec, problems = _parse("      every_days: 7\n      questions:\n"
                            "        - {id: tooling, en: I have the tools I need., ko: 필요한 도구가 있습니다.}")
    assert problems == []
    cfg = spec.teams[0].pulse
    assert (cfg.every_days, cfg.open_days, cfg.threshold, cfg.questions_per_survey) == (7, 3, 5, 3)
    section = cfg.model_dump(mode="json")
    assert [q.id for q in bank(section)][-1] == "tooling"
    asked = {q for seq in range(4) for q in rotation(section, seq, 3)}
    assert len(asked) == 10  # every concern, built-in and own, comes round


def test_own_question_ids_must_not_clash() -> None:
    _spec, problems = _parse("      questions:\n        - {id: roles, en: Who does what is clear.}")
    assert problems and "unique" in problems[0].message
