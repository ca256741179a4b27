"""INSERT … ON CONFLICT for SQLite and PostgreSQL: concurrent writers of the same unique row (two
instances, or two requests at once) must not fail on the unique constraint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def upsert(session: AsyncSession, model: type, values: dict[str, Any], keys: Sequence[str],
                 update: Sequence[str] = ()) -> None:
    """Inserts `values`; on a conflict over `keys` updates the `update` columns (or does nothing)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                          set_={name: stmt.excluded[name] for name in update})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    await session.execute(stmt)
