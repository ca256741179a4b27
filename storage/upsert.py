"""INSERT … ON CONFLICT for SQLite and PostgreSQL: concurrent writers of the same unique row (two
instances, or two requests at once) must not fail on the unique constraint. A failed INSERT is an error in
the server's log (PostgreSQL logs every "duplicate key" violation, which monitoring flags) and aborts the
transaction, so claims are never made by catching `IntegrityError`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import rowcount


def _dialect(session: AsyncSession) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def _insert(session: AsyncSession, model: type, values: dict[str, Any]) -> Any:
    return _dialect(session).insert(model).values(**values)


@cache
def _excluded(dialect: Any, model: type) -> Any:
    """The row that was not inserted (`excluded.<column>`), built once per table: each statement's own
    `Insert.excluded` is a fresh copy of every column of the table, garbage that piled up between full
    collections in a long-running bot."""
    return dialect.insert(model).excluded


async def upsert(session: AsyncSession, model: type, values: dict[str, Any], keys: Sequence[str],
                 update: Sequence[str] = ()) -> None:
    """Inserts `values`; on a conflict over `keys` updates the `update` columns (or does nothing)."""
    stmt = _insert(session, model, values)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                          set_={name: _excluded(_dialect(session), model)[name] for name in update})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    await session.execute(stmt)


async def insert_once(session: AsyncSession, model: type, values: dict[str, Any],
                      keys: Sequence[str] | None = None) -> bool:
    """A claim by insert: True when this call inserted the row, False when one with the same `keys` (default:
    any unique constraint) already existed. The conflict is resolved by the server without an error."""
    stmt = _insert(session, model, values).on_conflict_do_nothing(index_elements=list(keys) if keys else None)
    return rowcount(await session.execute(stmt)) == 1
