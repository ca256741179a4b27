"""org: profile snapshots (Slack profiles read ahead of check-in prompts)

Revision ID: org_0002
Revises: org_0001
Create Date: 2026-11-30 17:45:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = 'org_0002'
down_revision: str | Sequence[str] | None = 'org_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('profile_snapshots',
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('status_text', sa.String(length=200), nullable=False),
    sa.Column('status_emoji', sa.String(length=100), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('read_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('slack_user_id', name=op.f('pk_profile_snapshots'))
    )


def downgrade() -> None:
    op.drop_table('profile_snapshots')
