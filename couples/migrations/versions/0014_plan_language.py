"""couples: the language a counselor's own plan is titled in

Revision ID: 0014_plan_language
Revises: 0013_language
Create Date: 2026-11-27 23:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_plan_language'
down_revision = "0013_language"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('custom_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='en'))


def downgrade():
    with op.batch_alter_table('custom_plans', schema=None) as batch_op:
        batch_op.drop_column('language')
