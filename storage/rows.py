"""Loading a row that must exist: one a foreign key points at, or one a job has just claimed."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def existing(session: AsyncSession, model: type[T], ident: Any, *, populate_existing: bool = False) -> T:
    """`session.get` for rows whose absence is a bug, not bad input: typed without `None`, and failing with
    a clear error instead of an AttributeError on `None` further down."""
    row = await session.get(model, ident, populate_existing=populate_existing)
    if row is None:
        raise LookupError(f"{model.__name__} {ident!r} does not exist")
    return row
