"""Loading a row that must exist: one a foreign key points at, or one a job has just claimed."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def existing(session: AsyncSession, model: type[T], ident: Any, *, populate_existing: bool = False) -> T:
    """`session.get` for rows whose absence is a bug, not bad input: typed without `None`, and failing with
    a clear error instead of an AttributeError on `None` further down."""
    row = await session.get(model, ident, populate_existing=populate_existing)
    if row is None:
        raise LookupError(f"{model.__name__} {ident!r} does not exist")
    return row


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched (a claim won when 1). `AsyncSession.execute` is typed to return a
    plain `Result` for every statement, but for DML SQLAlchemy returns a `CursorResult`, which has it."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} is not the result of an UPDATE or DELETE")
    return result.rowcount
