"""escalations: escalations and their timelines

Revision ID: escalations_0001
Revises: 0001
Create Date: 2026-11-23 06:40:35.905705
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = 'escalations_0001'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=2), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('raiser_slack_id', sa.String(length=32), nullable=False),
    sa.Column('raiser_name', sa.String(length=200), nullable=False),
    sa.Column('raiser_org', sa.String(length=200), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('rounds', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('synced_step', sa.Integer(), nullable=False),
    sa.Column('next_step_at', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('channel_shared', sa.Boolean(), nullable=False),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_ack_at', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acked_by_slack_id', sa.String(length=32), nullable=True),
    sa.Column('acked_by_name', sa.String(length=200), nullable=True),
    sa.Column('acked_by_org', sa.String(length=200), nullable=True),
    sa.Column('resolved_at', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('jira_wanted', sa.Boolean(), nullable=False),
    sa.Column('jira_key', sa.String(length=64), nullable=True),
    sa.Column('blocker_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_escalations_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations'))
    )

    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index('ix_escalations_due', ['state', 'next_step_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalations_team_id'), ['team_id'], unique=False)

    op.create_table('escalation_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_slack_id', sa.String(length=32), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=True),
    sa.Column('actor_org', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalations.id'], name=op.f('fk_escalation_steps_escalation_id_escalations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_steps')),
    sa.UniqueConstraint('escalation_id', 'seq', name=op.f('uq_escalation_steps_escalation_id_seq'))
    )


def downgrade() -> None:
    op.drop_table('escalation_steps')

    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalations_team_id'))
        batch_op.drop_index('ix_escalations_due')

    op.drop_table('escalations')
