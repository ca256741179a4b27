"""INSERT … ON CONFLICT for SQLite and PostgreSQL: concurrent writers of the same unique row (two
instances, or two requests at once) must not fail on the unique constraint. A failed INSERT is an error in
the server's log (PostgreSQL logs every "duplicate key" violation, which monitoring flags) and aborts the
transaction, so claims are never made by catching `IntegrityError`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows import rowcount


def _insert(session: AsyncSession, model: type, values: dict[str, Any]) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).values(**values)


async def upsert(session: AsyncSession, model: type, values: dict[str, Any], keys: Sequence[str],
                 update: Sequence[str] = ()) -> None:
    """Inserts `values`; on a conflict over `keys` updates the `update` columns (or does nothing)."""
    stmt = _insert(session, model, values)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                          set_={name: stmt.excluded[name] for name in update})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    await session.execute(stmt)


async def insert_once(session: AsyncSession, model: type, values: dict[str, Any],
                      keys: Sequence[str] | None = None) -> bool:
    """A claim by insert: True when this call inserted the row, False when one with the same `keys` (default:
    any unique constraint) already existed. The conflict is resolved by the server without an error."""
    stmt = _insert(session, model, values).on_conflict_do_nothing(index_elements=list(keys) if keys else None)
    return rowcount(await session.execute(stmt)) == 1
