"""live_sessions: each session's plan in a table of its own (live_session_plans)

SQLite writes a whole row again on every update; with the plan (about 20 KB) in the session's row,
every live event copied it into the log once more.

Revision ID: 0016_session_plans
Revises: 0015_invitation_language
Create Date: 2026-11-28 10:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_session_plans'
down_revision = "0015_invitation_language"
branch_labels = None
depends_on = None

_sessions = sa.table('live_sessions', sa.column('id', sa.Integer()), sa.column('plan', sa.JSON()))
_plans = sa.table('live_session_plans', sa.column('session_id', sa.Integer()), sa.column('plan', sa.JSON()))


def upgrade():
    op.create_table('live_session_plans',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], ),
    sa.PrimaryKeyConstraint('session_id')
    )
    op.execute(_plans.insert().from_select(['session_id', 'plan'], sa.select(_sessions.c.id, _sessions.c.plan)))
    op.drop_column('live_sessions', 'plan')


def downgrade():
    # A default lets the column be added NOT NULL to a table that has rows; every row gets its plan next.
    op.add_column('live_sessions', sa.Column('plan', sa.JSON(), server_default='{}', nullable=False))
    op.execute(_sessions.update().values(plan=sa.select(_plans.c.plan).where(_plans.c.session_id == _sessions.c.id)
                                         .scalar_subquery()))
    op.drop_table('live_session_plans')
