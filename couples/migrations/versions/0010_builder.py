"""couples: counselors edit and retire their own exercises and plans

Revision ID: 0010_builder
Revises: 0009_accounts
Create Date: 2026-11-27 20:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_builder'
down_revision = "0009_accounts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('custom_exercises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('custom_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('custom_plans', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
    with op.batch_alter_table('custom_exercises', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
        batch_op.drop_column('updated_at')
