"""pulse: no answer dates, receipts held by a process until their batch is written, side split per survey

Revision ID: pulse_0002
Revises: pulse_0001
Create Date: 2026-11-30 14:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'pulse_0002'
down_revision: str | Sequence[str] | None = 'pulse_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Surveys stored before this revision where a side had fewer answers than the threshold: that side was
# readable from the database. Fold all their answers into the whole team.
FOLD_SMALL_SIDES = """
UPDATE {table} SET side = 'team' WHERE survey_id IN (
    SELECT s.id FROM pulse_surveys s WHERE EXISTS (
        SELECT 1 FROM pulse_answers a WHERE a.survey_id = s.id AND a.question_id = 'enps'
        GROUP BY a.side HAVING count(*) < s.threshold))
"""


def upgrade() -> None:
    for table in ('pulse_comments', 'pulse_answers'):  # comments first: the answers decide
        op.execute(FOLD_SMALL_SIDES.format(table=table))
    with op.batch_alter_table('pulse_answers', schema=None) as batch_op:
        batch_op.drop_column('answered_on')
    with op.batch_alter_table('pulse_comments', schema=None) as batch_op:
        batch_op.drop_column('answered_on')
    with op.batch_alter_table('pulse_receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder', sa.String(length=32), nullable=True))
    with op.batch_alter_table('pulse_surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_side', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('pulse_surveys', schema=None) as batch_op:
        batch_op.drop_column('by_side')
    with op.batch_alter_table('pulse_receipts', schema=None) as batch_op:
        batch_op.drop_column('holder')
    for table in ('pulse_comments', 'pulse_answers'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('answered_on', sa.Date(), server_default=sa.func.current_date(),
                                          nullable=False))
