"""couples: the counselor's "individual time first" routine and a seats version

Revision ID: 0006_start
Revises: 0005_followups
Create Date: 2026-11-27 17:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_start'
down_revision = "0005_followups"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('couples', schema=None) as batch_op:
        batch_op.add_column(sa.Column('individual_time_first', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('seats_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('couples', schema=None) as batch_op:
        batch_op.drop_column('seats_version')
        batch_op.drop_column('individual_time_first')
