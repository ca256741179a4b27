"""A tiny JQL parser: enough grammar for what OneTeam sends, with Jira-like error messages.

Grammar (case-insensitive keywords)::

    query    := [or_expr] [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}]
    or_expr  := and_expr {OR and_expr}
    and_expr := not_expr {AND not_expr}
    not_expr := NOT not_expr | "(" or_expr ")" | clause
    clause   := field op operand
    op       := = | != | > | >= | < | <= | ~ | !~ | IN | NOT IN | IS | IS NOT
    operand  := value | function "(" [value {, value}] ")" | "(" operand {, operand} ")" | EMPTY | NULL

Evaluation against issues lives in `query.py`; this module only knows syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import JiraError

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
     |(?P<op>!=|>=|<=|!~|=|>|<|~)
     |(?P<punct>[(),])
     |(?P<word>[^\s"'(),=!<>~]+)
    )""",
    re.X,
)
_KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "EMPTY", "NULL", "ORDER", "BY", "ASC", "DESC"}
_OPERATORS_HELP = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
)


@dataclass(frozen=True)
class Token:
    kind: str  # "str" | "op" | "punct" | "word" | "kw" | "end"
    text: str  # unquoted text for strings, upper-cased for keywords
    pos: int  # 1-based character position, as Jira reports it
    raw: str = ""


@dataclass(frozen=True)
class Value:
    """A literal operand; `quoted` keeps `"EMPTY"` (a string) apart from `EMPTY` (the keyword)."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Empty:
    """The EMPTY / NULL keyword."""


@dataclass(frozen=True)
class Func:
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListOperand:
    items: tuple[Value | Func | Empty, ...]


Operand = Value | Func | Empty | ListOperand


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # upper-cased: "=", "!=", "IN", "NOT IN", "IS", "IS NOT", ...
    operand: Operand
    pos: int


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool | None  # None: no direction given


@dataclass
class Query:
    where: Node | None
    order_by: list[SortKey] = field(default_factory=list)


def jql_error(message: str) -> JiraError:
    """A 400 with the body Jira sends for a bad query."""
    return JiraError(400, message)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        if text[i:].strip() == "":
            break
        m = _TOKEN.match(text, i)
        if not m or m.end() == i:
            pos = i + 1 + (len(text[i:]) - len(text[i:].lstrip()))
            ch = text[pos - 1]
            raise jql_error(
                f"Error in the JQL Query: The character '{ch}' is a reserved JQL character. You must enclose it "
                f"in a string or use the escape '\\u{ord(ch):04x}' instead. (line 1, character {pos})"
            )
        kind = m.lastgroup or "word"
        raw = m.group(kind)
        pos = m.start(kind) + 1
        if kind == "str":
            body = raw[1:-1]
            tokens.append(Token("str", re.sub(r"\\(.)", r"\1", body), pos, raw))
        elif kind == "word" and raw.upper() in _KEYWORDS:
            tokens.append(Token("kw", raw.upper(), pos, raw))
        else:
            tokens.append(Token(kind, raw, pos, raw))
        i = m.end()
    tokens.append(Token("end", "", len(text) + 1, ""))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at_kw(self, *words: str) -> bool:
        return self.tok.kind == "kw" and self.tok.text in words

    def at_punct(self, ch: str) -> bool:
        return self.tok.kind == "punct" and self.tok.text == ch

    def fail(self, expecting: str, extra: str = "") -> JiraError:
        t = self.tok
        if t.kind == "end":
            return jql_error(f"Error in the JQL Query: Expecting {expecting} but got the end of the query.{extra}")
        return jql_error(
            f"Error in the JQL Query: Expecting {expecting} but got '{t.raw}'.{extra} "
            f"(line 1, character {t.pos})"
        )

    def parse(self) -> Query:
        where: Node | None = None
        if self.tok.kind != "end" and not self.at_kw("ORDER"):
            where = self.or_expr()
        order: list[SortKey] = []
        if self.at_kw("ORDER"):
            self.next()
            if not self.at_kw("BY"):
                raise self.fail("'by'")
            self.next()
            order.append(self.sort_key())
            while self.at_punct(","):
                self.next()
                order.append(self.sort_key())
        if self.tok.kind != "end":
            raise self.fail("either 'OR' or 'AND'")
        return Query(where, order)

    def sort_key(self) -> SortKey:
        if self.tok.kind not in ("word", "str"):
            raise self.fail("a field name")
        name = self.next().text
        desc: bool | None = None
        if self.at_kw("ASC", "DESC"):
            desc = self.next().text == "DESC"
        return SortKey(name, desc)

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.at_kw("OR"):
            self.next()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.at_kw("AND"):
            self.next()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.at_kw("NOT"):
            self.next()
            return Not(self.not_expr())
        if self.at_punct("("):
            self.next()
            node = self.or_expr()
            if not self.at_punct(")"):
                raise self.fail("')'")
            self.next()
            return node
        return self.clause()

    def clause(self) -> Clause:
        t = self.tok
        if t.kind not in ("word", "str"):
            raise self.fail("a field name")
        self.next()
        op = self.operator()
        if op in ("IN", "NOT IN"):
            if not self.at_punct("("):
                raise self.fail("'('")
            operand: Operand = self.list_operand()
        else:
            operand = self.operand()
        return Clause(t.text, op, operand, t.pos)

    def operator(self) -> str:
        t = self.tok
        if t.kind == "op":
            self.next()
            return t.text
        if t.kind == "kw" and t.text in ("IN", "IS"):
            self.next()
            if t.text == "IS" and self.at_kw("NOT"):
                self.next()
                return "IS NOT"
            return t.text
        if t.kind == "kw" and t.text == "NOT":
            self.next()
            if self.at_kw("IN"):
                self.next()
                return "NOT IN"
            raise self.fail("'IN'")
        raise self.fail("operator", " " + _OPERATORS_HELP)

    def list_operand(self) -> ListOperand:
        self.next()  # "("
        items: list[Value | Func | Empty] = []
        while True:
            item = self.operand()
            if isinstance(item, ListOperand):
                raise self.fail("either a value or function")
            items.append(item)
            if self.at_punct(","):
                self.next()
                continue
            if self.at_punct(")"):
                self.next()
                return ListOperand(tuple(items))
            raise self.fail("')'")

    def operand(self) -> Operand:
        t = self.tok
        if t.kind == "str":
            self.next()
            return Value(t.text, quoted=True)
        if t.kind == "kw" and t.text in ("EMPTY", "NULL"):
            self.next()
            return Empty()
        if t.kind == "punct" and t.text == "(":
            return self.list_operand()
        if t.kind == "word":
            self.next()
            if self.at_punct("("):
                self.next()
                args: list[str] = []
                while not self.at_punct(")"):
                    if self.tok.kind not in ("word", "str"):
                        raise self.fail("')'")
                    args.append(self.next().text)
                    if self.at_punct(","):
                        self.next()
                self.next()
                return Func(t.text, tuple(args))
            return Value(t.text)
        extra = ""
        if t.kind in ("kw", "op"):
            extra = f" You must surround '{t.raw}' in quotation marks to use it as a value."
        raise self.fail("either a value, list or function", extra)


def parse(text: str) -> Query:
    """Parse JQL into a `Query`; raises `JiraError(400)` with Jira-like messages on syntax errors."""
    return _Parser(text or "").parse()
