"""kudos: thanks across the line

Revision ID: kudos_0001
Revises: 0001
Create Date: 2026-11-30 14:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = 'kudos_0001'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kudos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch', sa.String(length=36), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('giver_id', sa.Integer(), nullable=False),
    sa.Column('receiver_id', sa.Integer(), nullable=False),
    sa.Column('giver_side', sa.String(length=16), nullable=False),
    sa.Column('receiver_side', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['giver_id'], ['members.id'], name=op.f('fk_kudos_giver_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['receiver_id'], ['members.id'], name=op.f('fk_kudos_receiver_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_kudos_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kudos'))
    )
    op.create_index(op.f('ix_kudos_batch'), 'kudos', ['batch'], unique=False)
    op.create_index(op.f('ix_kudos_created_at'), 'kudos', ['created_at'], unique=False)
    op.create_index('ix_kudos_giver_day', 'kudos', ['giver_id', 'day'], unique=False)
    op.create_index(op.f('ix_kudos_receiver_id'), 'kudos', ['receiver_id'], unique=False)
    op.create_index(op.f('ix_kudos_team_id'), 'kudos', ['team_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_kudos_team_id'), table_name='kudos')
    op.drop_index(op.f('ix_kudos_receiver_id'), table_name='kudos')
    op.drop_index('ix_kudos_giver_day', table_name='kudos')
    op.drop_index(op.f('ix_kudos_created_at'), table_name='kudos')
    op.drop_index(op.f('ix_kudos_batch'), table_name='kudos')
    op.drop_table('kudos')
