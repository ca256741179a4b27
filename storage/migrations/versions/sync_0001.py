"""sync: weekly meetings, agenda items, action items

Revision ID: sync_0001
Revises: 0001
Create Date: 2026-11-30 14:45:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = 'sync_0001'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sync_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decisions', sa.Text(), nullable=True),
    sa.Column('minuted_at', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_sync_meetings_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_meetings')),
    sa.UniqueConstraint('team_id', 'starts_at', name=op.f('uq_sync_meetings_team_id_starts_at'))
    )
    op.create_index(op.f('ix_sync_meetings_ends_at'), 'sync_meetings', ['ends_at'], unique=False)
    op.create_index(op.f('ix_sync_meetings_team_id'), 'sync_meetings', ['team_id'], unique=False)
    op.create_table('sync_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('owner_side', sa.String(length=16), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('dropped', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['members.id'], name=op.f('fk_sync_items_added_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['sync_meetings.id'], name=op.f('fk_sync_items_meeting_id_sync_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_items'))
    )
    op.create_index(op.f('ix_sync_items_meeting_id'), 'sync_items', ['meeting_id'], unique=False)
    op.create_table('sync_action_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=300), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('jira_wanted', sa.Boolean(), nullable=False),
    sa.Column('jira_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['sync_meetings.id'], name=op.f('fk_sync_action_items_meeting_id_sync_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_sync_action_items_owner_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_sync_action_items_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_action_items'))
    )
    op.create_index(op.f('ix_sync_action_items_meeting_id'), 'sync_action_items', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_sync_action_items_owner_id'), 'sync_action_items', ['owner_id'], unique=False)
    op.create_index(op.f('ix_sync_action_items_team_id'), 'sync_action_items', ['team_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sync_action_items_team_id'), table_name='sync_action_items')
    op.drop_index(op.f('ix_sync_action_items_owner_id'), table_name='sync_action_items')
    op.drop_index(op.f('ix_sync_action_items_meeting_id'), table_name='sync_action_items')
    op.drop_table('sync_action_items')
    op.drop_index(op.f('ix_sync_items_meeting_id'), table_name='sync_items')
    op.drop_table('sync_items')
    op.drop_index(op.f('ix_sync_meetings_team_id'), table_name='sync_meetings')
    op.drop_index(op.f('ix_sync_meetings_ends_at'), table_name='sync_meetings')
    op.drop_table('sync_meetings')
