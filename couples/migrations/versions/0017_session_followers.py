"""live_sessions.followers_version: raised by each join, so an event knows when the session's followers changed

An event reads the presence board after its commit to know which viewers to send to and on which
process their sockets are. A join raises this number in the update that reads the state, and each
event's write returns it, so a process reads the board again only when a join came in between.

Revision ID: 0017_session_followers
Revises: 0016_session_plans
Create Date: 2026-11-28 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_session_followers'
down_revision = "0016_session_plans"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('live_sessions', sa.Column('followers_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('live_sessions') as batch:
        batch.drop_column('followers_version')
