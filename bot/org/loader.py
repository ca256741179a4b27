"""Reads the org YAML and reports every problem with the line it is on.

ruamel.yaml keeps each key's position, so a pydantic error location (`teams.1.members.0.roles`)
maps back to a line the admin can find. YAML merge keys (`- <<: *team`) are supported: a problem in a
merged key points at the line where that key is written.

The file's size is limited (checked before parsing), since validating costs time and memory in proportion:
60,000 people took 23 s and 313 MB.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.config_types import LONG_WEEKDAYS
from bot.org.schema import OrgSpec

MAX_ORG_BYTES = 2 * 1024 * 1024  # about 14,000 people with their team memberships; validates in ~6 s
MAX_PEOPLE = 10_000
_DATE_SHAPED = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
S = TypeVar("S", bound=OrgSpec)
Checks = Callable[[CommentedMap, S], list["Problem"]]  # a composed file's own cross-checks, with lines


@dataclass(frozen=True)
class Problem:
    line: int
    message: str
    deprecated: bool = False  # read as meant, but spelled the old way: a note, not an error

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class OrgFileError(Exception):
    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}:{p.line}: {p.message}" for p in problems))


def line_of(root: Any, path: tuple[int | str, ...]) -> int:
    """1-based line of the node at `path`, or of the nearest enclosing node that exists
    (a missing key is reported on the line of the mapping that lacks it)."""
    node, line = root, 1
    for step in path:
        if isinstance(node, CommentedMap) and step in node:
            line = _key_line(node, step) or line
            node = node[step]
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
            line = node.lc.item(step)[0] + 1
            node = node[step]
    return line


def _key_line(node: CommentedMap, key: int | str) -> int | None:
    """1-based line where `key` is written: in this mapping, or in a mapping merged into it (`<<: *x`)."""
    if key in node.lc.data:
        return node.lc.key(key)[0] + 1
    for merged in getattr(node, "merge", ()):
        merged = merged[1] if isinstance(merged, tuple) else merged  # older ruamel.yaml: (position, map)
        if isinstance(merged, CommentedMap) and key in merged:
            return _key_line(merged, key)
    return None


def _too_big(size: int) -> Problem:
    return Problem(1, f"the file is {size:,} bytes; the limit is {MAX_ORG_BYTES:,} bytes (about 10,000 people)")


def _bad_date(text: str) -> Problem:
    """The first date-shaped word that is not a date, with its line."""
    for number, line in enumerate(text.splitlines(), start=1):
        for m in _DATE_SHAPED.finditer(line):
            try:
                date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return Problem(number, f"{m[0]!r} is not a date (use YYYY-MM-DD, e.g. 2026-12-24)")
    return Problem(1, "a value is not a date (use YYYY-MM-DD, e.g. 2026-12-24)")


def parse(text: str, model: type[S], source: str = "<org>",
          checks: Checks[S] | None = None) -> tuple[S | None, list[Problem]]:
    """Validate org YAML text against the whole file's `model` (bot/orgfile.py composes it, with `checks`
    across its feature sections); returns the spec (when valid) and every problem found."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_ORG_BYTES:
        return None, [_too_big(size)]
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [Problem((mark.line + 1) if mark else 1, f"YAML syntax: {exc.problem or exc.context}")]
    except YAMLError as exc:  # e.g. a control character: not tied to a mark
        return None, [Problem(1, f"YAML: {str(exc).splitlines()[0]}")]
    except RecursionError:
        return None, [Problem(1, "the YAML is nested too deep")]
    except ValueError:  # a date-shaped scalar that is no date (2026-13-01): the YAML reader gives no line
        return None, [_bad_date(text)]
    if not isinstance(data, CommentedMap):
        return None, [Problem(1, "the file must be a mapping with `organisation`, `people` and `teams`")]
    people = data.get("people")
    if isinstance(people, list) and len(people) > MAX_PEOPLE:
        return None, [Problem(line_of(data, ("people",)),
                              f"people: {len(people):,} people; the limit is {MAX_PEOPLE:,}")]
    notes = _deprecations(data, ())
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        return None, sorted(_problems(data, exc) + notes, key=lambda p: p.line)
    problems = _cross_checks(data, spec) + (checks(data, spec) if checks else [])
    return (None if problems else spec), sorted(problems + notes, key=lambda p: p.line)


def parse_file(path: Path, model: type[S], checks: Checks[S] | None = None) -> tuple[S | None, list[Problem]]:
    """`parse` on a file, whose size is checked before it is read."""
    try:
        size = path.stat().st_size
        if size > MAX_ORG_BYTES:
            return None, [_too_big(size)]
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(1, f"cannot read the file: {exc.strerror}")]
    except UnicodeDecodeError as exc:
        return None, [Problem(1, f"the file is not UTF-8 text (byte {exc.start})")]
    return parse(text, model, str(path), checks)


def load(path: Path, model: type[S], checks: Checks[S] | None = None) -> S:
    spec, problems = parse_file(path, model, checks)
    if spec is None:
        raise OrgFileError(str(path), problems)
    return spec


def _problems(data: CommentedMap, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        out.append(Problem(line_of(data, loc), f"{where}: {msg}" if where else msg))
    return out


def _deprecations(node: Any, path: tuple[int | str, ...]) -> list[Problem]:
    """Weekdays written the old long way (`friday`) under a `weekday` or `days` key, with their lines."""
    found: list[Problem] = []
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            here = (*path, key)
            values = value if key == "days" and isinstance(value, list) else [value] if key == "weekday" else []
            for old in values:
                if isinstance(old, str) and old in LONG_WEEKDAYS:
                    where = ".".join(str(p) for p in here)
                    found.append(Problem(line_of(node, (key,)),
                                         f"{where}: {old!r} is the old spelling: write {LONG_WEEKDAYS[old]!r}", True))
            found += _deprecations(value, here)
    elif isinstance(node, CommentedSeq):
        for i, item in enumerate(node):
            found += _deprecations(item, (*path, i))
    return found


def _cross_checks(data: CommentedMap, spec: OrgSpec) -> list[Problem]:
    problems: list[Problem] = []
    seen_people: set[str] = set()
    for i, person in enumerate(spec.people):
        if person.email in seen_people:
            problems.append(Problem(line_of(data, ("people", i)), f"{person.email} is listed twice in people"))
        seen_people.add(person.email)
    seen_teams: set[str] = set()
    for t, team in enumerate(spec.teams):
        if team.key in seen_teams:
            problems.append(Problem(line_of(data, ("teams", t, "key")), f"team key {team.key!r} is used twice"))
        seen_teams.add(team.key)
        in_team: set[str] = set()
        for m, member in enumerate(team.members):
            where = line_of(data, ("teams", t, "members", m))
            if member.email not in seen_people:
                problems.append(Problem(where, f"{member.email} is not in people"))
            if member.email in in_team:
                problems.append(Problem(where, f"{member.email} is listed twice in team {team.key}"))
            in_team.add(member.email)
    return problems
