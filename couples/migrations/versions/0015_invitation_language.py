"""couples: the language a counselor noted for a partner, on their invitation link

Revision ID: 0015_invitation_language
Revises: 0014_plan_language
Create Date: 2026-11-28 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_invitation_language'
down_revision = "0014_plan_language"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('language')
