"""milestones: moments recorded once (the first start)

Revision ID: milestones_0001
Revises: 0001
Create Date: 2026-11-30 14:10:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = 'milestones_0001'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('milestones',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_milestones'))
    )


def downgrade() -> None:
    op.drop_table('milestones')
