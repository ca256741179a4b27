"""escalations: SLA clocks and the waiting-on state

Revision ID: escalations_0002
Revises: escalations_0001
Create Date: 2026-11-30 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = 'escalations_0002'
down_revision: str | Sequence[str] | None = 'escalations_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_used_s', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sla_running_since', storage.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('sla_next_at', storage.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sla_flags', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('waiting_on', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_escalations_sla_due', ['state', 'sla_next_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_escalations_sla_due')
        batch_op.drop_column('waiting_on')
        batch_op.drop_column('sla_flags')
        batch_op.drop_column('sla_next_at')
        batch_op.drop_column('sla_running_since')
        batch_op.drop_column('sla_used_s')
