"""Evaluate parsed JQL against the in-memory issues, validating values the way Jira does (unknown project,
status or issue key → 400), so the bot meets the same errors here as in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .adf import adf_to_text
from .jql import And, Clause, Empty, Func, ListOperand, Node, Not, Or, Query, Value, jql_error, parse
from .state import (
    CATEGORIES,
    ISSUE_TYPES,
    PRIORITIES,
    RESOLUTIONS,
    STATUSES,
    JiraState,
    User,
    name_by_name_or_id,
    status_by_name_or_id,
)

Issue = dict[str, Any]
Predicate = Callable[[Issue], bool]

_EQ_OPS = {"=", "!=", "IN", "NOT IN", "IS", "IS NOT"}
_ORDER_OPS = {">", ">=", "<", "<="}
_TEXT_OPS = {"~", "!~", "IS", "IS NOT"}
_KEY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")
_PROP_RE = re.compile(r"^issue\.property\[([^\]]+)\](?:\.(.+))?$", re.I)
_PERIOD_RE = re.compile(r"^([-+]?)\s*((?:\d+\s*[wdhm]\s*)+)$")
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_FIELD_ALIASES = {
    "issuekey": "key", "issue": "key", "id": "key", "key": "key", "project": "project", "labels": "labels",
    "status": "status", "statuscategory": "statuscategory", "resolution": "resolution", "assignee": "assignee",
    "reporter": "reporter", "creator": "reporter", "priority": "priority", "type": "issuetype",
    "issuetype": "issuetype", "updated": "updated", "updateddate": "updated", "created": "created",
    "createddate": "created", "resolved": "resolutiondate", "resolutiondate": "resolutiondate",
    "summary": "summary", "description": "description", "text": "text", "comment": "comment",
}
_SORTABLE = {"key", "updated", "created", "resolutiondate", "summary", "priority", "status", "issuetype",
             "project", "assignee"}


def key_sort(key: str) -> tuple[str, int]:
    """Jira orders keys by project, then number (OPS-10 after OPS-9)."""
    m = _KEY_RE.match(key)
    return (m.group(1).upper(), int(m.group(2))) if m else (key, 0)


class Search:
    """Compile JQL once and filter/sort issues with it."""

    def __init__(self, state: JiraState, me: User, indexed_properties: frozenset[str] | None) -> None:
        self.state = state
        self.me = me
        self.indexed_properties = indexed_properties

    def run(self, jql: str, *, require_bound: bool = False) -> list[Issue]:
        query = parse(jql)
        if require_bound and query.where is None:
            raise jql_error("Unbounded JQL queries are not allowed here. Please add a search restriction to "
                            "your query.")
        pred = self._compile(query.where) if query.where is not None else (lambda _i: True)
        hits = [i for i in self.state.issues.values() if pred(i)]
        return self._sort(hits, query)

    # --- sorting ---------------------------------------------------------------------------------------------

    def _sort(self, issues: list[Issue], query: Query) -> list[Issue]:
        # No ORDER BY: Jira leaves the order unspecified; we use key ascending for determinism.
        issues.sort(key=lambda i: key_sort(i["key"]))
        for sk in reversed(query.order_by):
            name = _FIELD_ALIASES.get(sk.field.lower())
            if name not in _SORTABLE:
                raise jql_error(f"Field '{sk.field}' does not exist or you do not have permission to view it.")
            present = [i for i in issues if self._sort_value(i, name) is not None]
            missing = [i for i in issues if self._sort_value(i, name) is None]
            present.sort(key=lambda i, n=name: self._sort_value(i, n), reverse=bool(sk.descending))
            issues = present + missing  # empty values last, either direction
        return issues

    def _sort_value(self, issue: Issue, name: str) -> Any:
        f = issue["fields"]
        if name == "key":
            return key_sort(issue["key"])
        if name in ("updated", "created"):
            return issue[name]
        if name == "priority":
            return int(PRIORITIES[f["priority"]])
        if name == "project":
            return issue["project"]
        return f.get(name)

    # --- compiling -------------------------------------------------------------------------------------------

    def _compile(self, node: Node) -> Predicate:
        if isinstance(node, And):
            parts = [self._compile(n) for n in node.items]
            return lambda i: all(p(i) for p in parts)
        if isinstance(node, Or):
            parts = [self._compile(n) for n in node.items]
            return lambda i: any(p(i) for p in parts)
        if isinstance(node, Not):
            inner = self._compile(node.item)
            return lambda i: not inner(i)
        return self._clause(node)

    def _clause(self, c: Clause) -> Predicate:
        prop = _PROP_RE.match(c.field)
        if prop:
            return self._property_clause(c, prop.group(1), prop.group(2))
        name = _FIELD_ALIASES.get(c.field.lower())
        if name is None:
            raise jql_error(f"Field '{c.field}' does not exist or you do not have permission to view it.")
        if name in ("summary", "description", "text", "comment"):
            return self._text_clause(c, name)
        if name in ("updated", "created", "resolutiondate"):
            return self._date_clause(c, name)
        if c.op not in _EQ_OPS:
            raise _unsupported(c)
        getter, resolve = self._equality_field(c, name)
        return self._equality(c, getter, resolve)

    def _equality_field(self, c: Clause, name: str) -> tuple[Callable[[Issue], list[Any]], Callable[[str], Any]]:
        """For a field: how to read its values from an issue, and how to normalise a JQL literal (raising
        Jira's 400 when the literal names nothing)."""
        state = self.state

        def missing(v: str) -> Exception:
            return jql_error(f"The value '{v}' does not exist for the field '{c.field}'.")

        if name == "key":
            def resolve_key(v: str) -> str:
                if v.isdigit():
                    hit = next((i for i in state.issues.values() if i["id"] == v), None)
                    if hit is None:
                        raise jql_error(f"An issue with key '{v}' does not exist for field '{c.field}'.")
                    return hit["key"]
                if not _KEY_RE.match(v):
                    raise jql_error(f"The issue key '{v}' for field '{c.field}' is invalid.")
                if v.upper() not in state.issues:
                    raise jql_error(f"An issue with key '{v}' does not exist for field '{c.field}'.")
                return v.upper()
            return (lambda i: [i["key"]]), resolve_key
        if name == "project":
            def resolve_project(v: str) -> str:
                p = state.find_project(v)
                if p is None:
                    raise missing(v)
                return p["key"]
            return (lambda i: [i["project"]]), resolve_project
        if name == "labels":
            return (lambda i: list(i["fields"]["labels"])), (lambda v: v)
        if name == "status":
            def resolve_status(v: str) -> str:
                s = status_by_name_or_id(v)
                if s is None:
                    raise missing(v)
                return s.name
            return (lambda i: [i["fields"]["status"]]), resolve_status
        if name == "statuscategory":
            def resolve_cat(v: str) -> str:
                for cat in CATEGORIES.values():
                    if v.lower() in (cat.key, cat.name.lower()) or v == str(cat.id):
                        return cat.key
                raise missing(v)
            return (lambda i: [STATUSES[i["fields"]["status"]].category]), resolve_cat
        if name == "resolution":
            def resolve_res(v: str) -> str | None:
                if v.lower() == "unresolved":
                    return None
                r = name_by_name_or_id(RESOLUTIONS, v)
                if r is None:
                    raise missing(v)
                return r
            return (lambda i: [i["fields"]["resolution"]] if i["fields"]["resolution"] else []), resolve_res
        if name == "priority":
            def resolve_prio(v: str) -> str:
                p = name_by_name_or_id(PRIORITIES, v)
                if p is None:
                    raise missing(v)
                return p
            return (lambda i: [i["fields"]["priority"]]), resolve_prio
        if name == "issuetype":
            def resolve_type(v: str) -> str:
                t = name_by_name_or_id(ISSUE_TYPES, v)
                if t is None:
                    raise missing(v)
                return t
            return (lambda i: [i["fields"]["issuetype"]]), resolve_type
        # assignee / reporter: email, accountId or username
        def resolve_user(v: str) -> str:
            u = state.find_user(v)
            if u is None:
                raise missing(v)
            return u.email
        return (lambda i: [i["fields"][name]] if i["fields"][name] else []), resolve_user

    def _equality(
        self, c: Clause, getter: Callable[[Issue], list[Any]], resolve: Callable[[str], Any]
    ) -> Predicate:
        """=, !=, IN, NOT IN, IS, IS NOT with Jira's semantics: negative operators never match empty fields."""
        values, has_empty = self._literals(c, resolve)
        wanted = set(values)
        op = c.op
        if op in ("IS", "IS NOT"):
            if values or not has_empty:
                raise _empty_only(c)
            return (lambda i: not getter(i)) if op == "IS" else (lambda i: bool(getter(i)))
        if op in ("=", "!=") and isinstance(c.operand, ListOperand):
            raise jql_error(f"The operator '{op}' is not supported by the '{c.field}' field with a list value. "
                            "Use 'IN' or 'NOT IN' instead.")
        positive = op in ("=", "IN")

        def test(i: Issue) -> bool:
            got = getter(i)
            if not got:
                return positive and has_empty
            hit = any(g in wanted for g in got)
            return hit if positive else not hit

        return test

    def _literals(self, c: Clause, resolve: Callable[[str], Any]) -> tuple[list[Any], bool]:
        """The operand as normalised values, plus whether EMPTY was among them."""
        items = c.operand.items if isinstance(c.operand, ListOperand) else (c.operand,)
        values: list[Any] = []
        has_empty = False
        for item in items:
            if isinstance(item, Empty):
                has_empty = True
            elif isinstance(item, Func):
                values.append(self._function(c, item, resolve))
            elif isinstance(item, Value):
                out = resolve(item.text)
                if out is None:
                    has_empty = True
                else:
                    values.append(out)
        return values, has_empty

    def _function(self, c: Clause, fn: Func, resolve: Callable[[str], Any]) -> Any:
        lname = fn.name.lower()
        if lname == "currentuser":
            return resolve(self.me.email)
        if lname == "now":
            return self.state.now()
        if lname in ("startofday", "endofday"):
            day = self.state.now().replace(hour=0, minute=0, second=0, microsecond=0)
            return day if lname == "startofday" else day + timedelta(days=1) - timedelta(microseconds=1)
        raise jql_error(f"Unable to find JQL function '{fn.name}({', '.join(fn.args)})'.")

    def _text_clause(self, c: Clause, name: str) -> Predicate:
        if c.op not in _TEXT_OPS:
            raise _unsupported(c)

        def text_of(i: Issue) -> str:
            f = i["fields"]
            parts = {
                "summary": [f["summary"]],
                "description": [adf_to_text(f["description"])],
                "comment": [adf_to_text(x["body"]) for x in i["comments"]],
            }
            if name == "text":
                return "\n".join(p for ps in parts.values() for p in ps)
            return "\n".join(parts[name])

        if c.op in ("IS", "IS NOT"):
            if not isinstance(c.operand, Empty):
                raise _empty_only(c)
            want_empty = c.op == "IS"
            return lambda i: (not text_of(i).strip()) == want_empty
        if not isinstance(c.operand, Value):
            raise jql_error(f"The operator '{c.op}' is not supported by the '{c.field}' field.")
        words = [w.lower() for w in re.findall(r"\w+", c.operand.text)]
        positive = c.op == "~"

        def contains(i: Issue) -> bool:
            hay = text_of(i).lower()
            return all(w in hay for w in words)

        return (lambda i: contains(i)) if positive else (lambda i: not contains(i))

    def _date_clause(self, c: Clause, name: str) -> Predicate:
        def value(i: Issue) -> datetime | None:
            return i["fields"]["resolutiondate"] if name == "resolutiondate" else i[name]

        def resolve(v: str) -> datetime:
            return self._parse_date(c, v)

        values, has_empty = self._literals(c, resolve)
        op = c.op
        if op in ("IS", "IS NOT"):
            if not has_empty or values:
                raise _empty_only(c)
            return (lambda i: value(i) is None) if op == "IS" else (lambda i: value(i) is not None)
        if op in _ORDER_OPS or op in ("=", "!="):
            if len(values) != 1:
                raise jql_error(f"The operator '{op}' is not supported by the '{c.field}' field with an "
                                f"empty or list value.")
            bound = values[0]
            cmp: dict[str, Callable[[datetime], bool]] = {
                ">": lambda d: d > bound, ">=": lambda d: d >= bound, "<": lambda d: d < bound,
                "<=": lambda d: d <= bound, "=": lambda d: d == bound, "!=": lambda d: d != bound,
            }
            test = cmp[op]
            return lambda i: (d := value(i)) is not None and test(d)
        if op in ("IN", "NOT IN"):
            vals = set(values)
            if op == "IN":
                return lambda i: value(i) in vals or (has_empty and value(i) is None)
            return lambda i: value(i) is not None and value(i) not in vals
        raise _unsupported(c)

    def _parse_date(self, c: Clause, text: str) -> datetime:
        text = text.strip()
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC)
            except ValueError:
                pass
        m = _PERIOD_RE.match(text)
        if m:
            units = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
            minutes = sum(int(n) * units[u] for n, u in re.findall(r"(\d+)\s*([wdhm])", m.group(2)))
            sign = -1 if m.group(1) == "-" else 1
            return self.state.now() + timedelta(minutes=sign * minutes)
        raise jql_error(
            f"Date value '{text}' for field '{c.field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
            "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
        )

    def _property_clause(self, c: Clause, prop_key: str, path: str | None) -> Predicate:
        """`issue.property[key].path op value`. Real Jira only indexes properties declared by an app
        (Connect/Forge entity-property module); `indexed_properties` lets a test emulate that."""
        prop_key = prop_key.strip("\"'")
        indexed = self.indexed_properties is None or prop_key in self.indexed_properties

        def read(i: Issue) -> Any:
            if not indexed or prop_key not in i["properties"]:
                return None
            node: Any = i["properties"][prop_key]
            for part in (path or "").split(".") if path else []:
                if not isinstance(node, dict) or part not in node:
                    return None
                node = node[part]
            if isinstance(node, dict):
                return None
            return node

        def norm(v: Any) -> Any:
            if isinstance(v, bool):
                return str(v).lower()
            if isinstance(v, int | float):
                return float(v)
            return str(v)

        def resolve(text: str) -> Any:
            try:
                return float(text)
            except ValueError:
                return text

        def values_of(i: Issue) -> list[Any]:
            v = read(i)
            if v is None:
                return []
            return [norm(x) for x in v] if isinstance(v, list) else [norm(v)]

        if c.op in _EQ_OPS:
            def loose(i: Issue) -> list[Any]:
                # "42" in JQL matches the number 42 and the string "42"
                out: list[Any] = []
                for v in values_of(i):
                    out.append(v)
                    if isinstance(v, str):
                        try:
                            out.append(float(v))
                        except ValueError:
                            pass
                return out

            return self._equality(c, loose, resolve)
        if c.op in _ORDER_OPS:
            if not isinstance(c.operand, Value):
                raise _unsupported(c)
            bound = resolve(c.operand.text)
            ops: dict[str, Callable[[Any, Any], bool]] = {
                ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
                "<=": lambda a, b: a <= b,
            }
            test = ops[c.op]

            def ordered(i: Issue) -> bool:
                return any(type(v) is type(bound) and test(v, bound) for v in values_of(i))

            return ordered
        if c.op in ("~", "!~") and isinstance(c.operand, Value):
            needle = c.operand.text.lower()
            hit: Predicate = lambda i: any(needle in str(v).lower() for v in values_of(i))  # noqa: E731
            return hit if c.op == "~" else (lambda i: not hit(i))
        raise _unsupported(c)


def _unsupported(c: Clause) -> Exception:
    return jql_error(f"The operator '{c.op}' is not supported by the '{c.field}' field.")


def _empty_only(c: Clause) -> Exception:
    return jql_error(f"The operator '{c.op}' only supports the EMPTY value for the '{c.field}' field.")
