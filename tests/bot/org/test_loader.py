from pathlib import Path

import pytest

from bot.org.loader import OrgFileError, load, parse
from sandbox.harness import EXAMPLE_ORG

GOOD_HEAD = "organisation:\n  name: Acme\npeople:\n  - email: a@x.io\n    name: A\n"


def lines(text: str) -> dict[int, str]:
    spec, problems = parse(text)
    assert spec is None
    return {p.line: p.message for p in problems}


def test_the_example_org_is_valid() -> None:
    spec = load(EXAMPLE_ORG)
    assert {t.kind for t in spec.teams} == {"internal", "vendor"}
    hana = next(t for t in spec.teams if t.kind == "vendor")
    assert hana.vendor and hana.timezone == "Asia/Seoul"


def test_yaml_syntax_error_has_its_line() -> None:
    assert list(lines("organisation:\n  name: [Acme\npeople: 3\n")) == [3]


@pytest.mark.parametrize(("body", "line", "words"), [
    ("teams:\n  - key: t1\n    name: T\n    kind: contractor\n", 9, "internal"),
    ("teams:\n  - key: t1\n    name: T\n    kind: internal\n    timezone: Mars/Base\n", 10, "time zone"),
    ("teams:\n  - key: t1\n    name: T\n    kind: internal\n    members:\n      - {email: a@x.io, roles: [boss]}\n",
     11, "liaison"),
    ("teams:\n  - key: t1\n    kind: internal\n", 7, "missing"),
    ("teams:\n  - key: t1\n    name: T\n    kind: internal\n    colour: red\n", 10, "unknown key"),
    ("teams:\n  - key: t1\n    name: T\n    kind: vendor\n", 7, "vendor"),
])
def test_schema_problems_point_at_their_line(body: str, line: int, words: str) -> None:
    found = lines(GOOD_HEAD + body)
    assert line in found, found
    assert words in found[line]


def test_cross_reference_problems_point_at_their_line() -> None:
    text = GOOD_HEAD + (
        "teams:\n  - key: t1\n    name: T\n    kind: internal\n    members:\n      - b@x.io\n"
        "  - key: t1\n    name: U\n    kind: internal\n")
    found = lines(text)
    assert "b@x.io is not in people" in found[11]
    assert "used twice" in found[12]


def test_load_raises_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "org.yml"
    bad.write_text(GOOD_HEAD + "teams:\n  - key: Bad Key\n    name: T\n    kind: internal\n")
    with pytest.raises(OrgFileError) as err:
        load(bad)
    assert f"{bad}:7:" in str(err.value)
