"""jira: account ids by email (batched open-issue search)

Revision ID: jira_0003
Revises: jira_0002
Create Date: 2026-11-30 16:31:35.535539
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = 'jira_0003'
down_revision: str | Sequence[str] | None = 'jira_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('jira_accounts',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('account_id', sa.String(length=128), nullable=True),
    sa.Column('checked_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_jira_accounts'))
    )


def downgrade() -> None:
    op.drop_table('jira_accounts')
