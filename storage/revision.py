"""Developer tool: write a new Alembic revision from the models.

    python -m storage.revision checkins "check-in rounds and answers" [--branch-from 0001]

Autogenerates against a scratch SQLite database upgraded to every head. Features branch off the
foundation revision (`0001`), so that independent features never fight over one linear history.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from alembic import command

from storage.db import Database, alembic_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev_id", help="short revision id, e.g. 'checkins_0001'")
    parser.add_argument("message")
    parser.add_argument("--branch-from", default=None, help="parent revision (default: the current head)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}")

        async def run() -> None:
            if args.branch_from != "base":
                await db.migrate()
            async with db.engine.begin() as conn:
                await conn.run_sync(_revision, args)
            await db.dispose()

        asyncio.run(run())


def _revision(connection: object, args: argparse.Namespace) -> None:
    cfg = alembic_config(connection)  # type: ignore[arg-type]
    head = None if args.branch_from == "base" else args.branch_from
    command.revision(cfg, message=args.message, autogenerate=True, rev_id=args.rev_id,
                     head=head or "heads", splice=bool(head))


if __name__ == "__main__":
    main()
