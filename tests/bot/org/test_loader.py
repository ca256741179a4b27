from pathlib import Path

import pytest

from bot.org.loader import OrgFileError
from bot.orgfile import load, parse
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


MERGED = GOOD_HEAD + (
    "defaults: &team\n"          # line 6
    "  kind: internal\n"
    "  colour: red\n"            # line 8: the bad key, reached through the merge below
    "teams:\n"
    "  - <<: *team\n"            # line 10
    "    key: t1\n"
    "    name: T\n")


def test_a_merge_key_is_supported_and_its_problems_point_at_the_line_written() -> None:
    good = GOOD_HEAD + "teams:\n  - &base\n    key: t0\n    name: T0\n    kind: internal\n  - <<: *base\n    key: t1\n"
    spec, problems = parse(good)
    assert problems == [] and spec is not None and [t.kind for t in spec.teams] == ["internal", "internal"]
    found = lines(MERGED)
    assert "unknown key" in found[8] and "defaults" in found[6]


def test_org_validate_reports_a_merged_bad_key_by_line_without_a_traceback(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    bad = tmp_path / "org.yml"
    bad.write_text(MERGED)
    result = CliRunner().invoke(main, ["org", "validate", str(bad)])
    assert result.exit_code == 1 and not isinstance(result.exception, KeyError)
    assert f"{bad}:8: teams.0.colour: unknown key" in result.output and "Traceback" not in result.output


def _people(n: int) -> str:
    return "organisation:\n  name: Acme\npeople:\n" + "".join(
        f"  - email: p{i}@x.io\n    name: P{i}\n" for i in range(n))


def test_an_org_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    from bot.org.loader import MAX_ORG_BYTES

    big = tmp_path / "org.yml"
    big.write_text(GOOD_HEAD + "# " + "x" * MAX_ORG_BYTES + "\n")
    with pytest.raises(OrgFileError) as err:
        load(big)
    assert "limit" in str(err.value) and f"{big}:1:" in str(err.value)
    found = lines(big.read_text())
    assert "limit" in found[1]


def test_an_org_file_with_too_many_people_is_refused_with_a_clear_message() -> None:
    from bot.org.loader import MAX_PEOPLE

    found = lines(_people(MAX_PEOPLE + 1))
    assert f"{MAX_PEOPLE + 1:,} people" in found[3] and f"limit is {MAX_PEOPLE:,}" in found[3]


@pytest.mark.parametrize(("text", "words"), [
    ("organisation:\n  name: A\x00\n", "YAML"),  # a character YAML does not allow
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deep"),
])
def test_unreadable_yaml_is_a_problem_not_a_traceback(text: str, words: str) -> None:
    found = lines(text)
    assert words in " ".join(found.values())


CAL = "teams:\n  - key: t1\n    name: T\n    kind: internal\n    calendar:\n"


@pytest.mark.parametrize(("body", "line", "words"), [
    (CAL + "      country: XX\n", 11, "unknown country code 'XX'"),
    (CAL + "      country: US\n      subdiv: ZZ\n", 12, "unknown subdiv 'ZZ' of US"),
    (CAL + "      subdiv: NY\n", 11, "subdiv needs a country"),
    (CAL + "      hours: ['18:00', '09:00']\n", 11, "start before end"),
    (CAL + "      days: []\n", 11, "days must be"),
    (CAL + "      closed: [2026-13-01]\n", 11, "date"),
])
def test_calendar_problems_point_at_their_line(body: str, line: int, words: str) -> None:
    found = lines(GOOD_HEAD + body)
    assert line in found, found
    assert words in found[line]
