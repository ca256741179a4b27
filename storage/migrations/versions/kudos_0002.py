"""kudos: the daily limit taken atomically (a per-giver-per-day counter row)

Revision ID: kudos_0002
Revises: kudos_0001
Create Date: 2026-11-30 15:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'kudos_0002'
down_revision: str | Sequence[str] | None = 'kudos_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kudos_days',
    sa.Column('giver_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('given', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['giver_id'], ['members.id'], name=op.f('fk_kudos_days_giver_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('giver_id', 'day', name=op.f('pk_kudos_days'))
    )
    # Thanks already given count against their day's limit.
    op.execute("INSERT INTO kudos_days (giver_id, day, given) SELECT giver_id, day, COUNT(*) FROM kudos "
               "GROUP BY giver_id, day")


def downgrade() -> None:
    op.drop_table('kudos_days')
