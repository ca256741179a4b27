"""The JQL subset: parsing, Jira's semantics for each clause, ordering, and Jira-shaped 400s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.jira import JiraSandbox
from sandbox.jira.errors import JiraError
from sandbox.jira.jql import And, Clause, ListOperand, parse


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sb(clock: FakeClock) -> JiraSandbox:
    return JiraSandbox(projects=("OPS", "ENG"), clock=clock)


def error_of(sb: JiraSandbox, jql: str) -> str:
    with pytest.raises(JiraError) as err:
        sb.search(jql)
    assert err.value.status == 400
    return err.value.messages[0]


def test_parser_builds_clauses_and_order() -> None:
    q = parse('project = OPS AND key in (OPS-1, "OPS-2") ORDER BY updated ASC, key')
    assert isinstance(q.where, And)
    first, second = q.where.items
    assert isinstance(first, Clause) and (first.field, first.op) == ("project", "=")
    assert isinstance(second, Clause) and second.op == "IN" and isinstance(second.operand, ListOperand)
    assert [(s.field, s.descending) for s in q.order_by] == [("updated", False), ("key", None)]


def test_project_key_and_labels(sb: JiraSandbox) -> None:
    a = sb.create_issue("OPS", "a", labels=["x", "y"])
    b = sb.create_issue("OPS", "b", labels=["y"])
    c = sb.create_issue("ENG", "c")
    assert sb.search("project = OPS") == [a, b]
    assert sb.search("project in (OPS, ENG) AND labels = y") == [a, b]
    assert sb.search(f"key in ({a}, {c})") == [c, a]  # no ORDER BY: key order, ENG before OPS
    assert sb.search("labels != x") == [b]  # like Jira, negations skip issues without labels
    assert sb.search("labels is EMPTY") == [c]
    assert sb.search("project = ENG OR labels = x") == [c, a]
    assert sb.search("NOT (project = OPS)") == [c]


def test_issue_property_path(sb: JiraSandbox) -> None:
    a = sb.create_issue("OPS", "a", properties={"oneteam": {"id": "ESC-1", "n": 3, "team": {"name": "core"}}})
    b = sb.create_issue("OPS", "b", properties={"oneteam": {"id": "ESC-2", "n": 10}})
    sb.create_issue("OPS", "c")
    assert sb.search('issue.property[oneteam].id = "ESC-1"') == [a]
    assert sb.search("issue.property[oneteam].n > 5") == [b]
    assert sb.search("issue.property[oneteam].team.name = core") == [a]
    assert sb.search('issue.property[oneteam].id in ("ESC-1", "ESC-2")') == [a, b]
    assert sb.search('issue.property[other].id = "ESC-1"') == []


def test_unindexed_properties_are_not_searchable(clock: FakeClock) -> None:
    """Real Jira only indexes properties an app declares; `indexed_properties` emulates that."""
    strict = JiraSandbox(clock=clock, indexed_properties=("declared",))
    strict.create_issue("OPS", "a", properties={"oneteam": {"id": "ESC-1"}, "declared": {"id": "ESC-1"}})
    assert strict.search('issue.property[oneteam].id = "ESC-1"') == []
    assert strict.search('issue.property[declared].id = "ESC-1"') == ["OPS-1"]


def test_updated_since_with_minute_precision_and_order(sb: JiraSandbox, clock: FakeClock) -> None:
    old = sb.create_issue("OPS", "old", updated=datetime(2024, 2, 1, 9, 0, tzinfo=UTC))
    edge = sb.create_issue("OPS", "edge", updated=datetime(2024, 2, 1, 10, 30, 45, tzinfo=UTC))
    new = sb.create_issue("OPS", "new", updated=datetime(2024, 2, 1, 10, 30, 10, tzinfo=UTC))
    jql = 'project = OPS AND updated >= "2024/02/01 10:30" ORDER BY updated ASC, key ASC'
    assert sb.search(jql) == [new, edge]
    clock.advance(minutes=5)
    sb.set_status(old, "In Progress")  # a human edit bumps `updated`
    assert sb.search(jql) == [new, edge, old]
    assert sb.search('updated >= "2024-02-01" ORDER BY updated DESC') == [old, edge, new]
    assert sb.search("updated >= -10m") == [old]


def test_assignee_status_category_and_resolution(sb: JiraSandbox) -> None:
    mine = sb.create_issue("OPS", "mine", assignee_email="dev@example.com")
    done = sb.create_issue("OPS", "done", assignee_email="dev@example.com", status="Done")
    nobody = sb.create_issue("OPS", "nobody", status="In Progress")
    assert sb.search('assignee = "dev@example.com" AND statusCategory != Done') == [mine]
    assert sb.search(f'assignee = "{sb.account_id("dev@example.com")}"') == [mine, done]
    assert sb.search("assignee is EMPTY") == [nobody]
    assert sb.search('assignee != "dev@example.com"') == []  # unassigned issues never match !=
    assert sb.search("resolution = Unresolved") == [mine, nobody]
    assert sb.search("resolution is not EMPTY") == [done]
    assert sb.search('statusCategory = "In Progress"') == [nobody]
    assert sb.search("status = Done") == [done]
    sb.resolve(mine)
    assert sb.search("resolution = Done ORDER BY key DESC") == [done, mine]


def test_text_search(sb: JiraSandbox) -> None:
    a = sb.create_issue("OPS", "Printer on fire", description="third floor")
    sb.create_issue("OPS", "Coffee machine")
    assert sb.search('summary ~ "printer"') == [a]
    assert sb.search('text ~ "floor"') == [a]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("key = OPS-42", "An issue with key 'OPS-42' does not exist for field 'key'."),
        ("status = Blocked", "The value 'Blocked' does not exist for the field 'status'."),
        ('updated >= "yesterday"', "Date value 'yesterday' for field 'updated' is invalid."),
        ("summary = x", "The operator '=' is not supported by the 'summary' field."),
        ("project OPS", "Error in the JQL Query: Expecting operator but got 'OPS'."),
        ("project = ", "Error in the JQL Query: Expecting either a value, list or function but got the end"),
        ("project = OPS ORDER BY colour", "Field 'colour' does not exist"),
        ("project = OPS AND", "Error in the JQL Query: Expecting a field name"),
        ("project = OPS labels = x", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'labels'."),
        ("assignee = someoneElse()", "Unable to find JQL function 'someoneElse()'."),
    ],
)
def test_bad_jql_is_a_400_with_jira_message(sb: JiraSandbox, jql: str, expected: str) -> None:
    assert error_of(sb, jql).startswith(expected)


def test_current_user(sb: JiraSandbox) -> None:
    key = sb.create_issue("OPS", "bot's", assignee_email="bot@example.com")
    sb.create_issue("OPS", "other", assignee_email="dev@example.com")
    assert sb.search("assignee = currentUser()") == [key]
