"""jira: channel subscriptions (`/oneteam jira subscribe`)

Revision ID: jira_0002
Revises: jira_0001
Create Date: 2026-11-30 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = 'jira_0002'
down_revision: str | Sequence[str] | None = 'jira_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('jira_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('jql', sa.Text(), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('watermark', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seen', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_jira_subscriptions_team_id_teams'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jira_subscriptions'))
    )
    with op.batch_alter_table('jira_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jira_subscriptions_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jira_subscriptions_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jira_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jira_subscriptions_team_id'))
        batch_op.drop_index(batch_op.f('ix_jira_subscriptions_channel_id'))
    op.drop_table('jira_subscriptions')
