"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import Database, alembic_config
from storage.models import Base


async def test_migrations_match_models(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    await db.dispose()
    assert diff == []


async def test_migrate_twice_is_a_no_op(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    await db.migrate()
    async with db.engine.connect() as conn:
        heads = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    await db.dispose()
    assert set(heads) == set(ScriptDirectory.from_config(alembic_config()).get_heads())
