"""follow-ups done apart (live_sessions.mode), reflections, the next joint session

Revision ID: 0007_followups_apart
Revises: 0006_start
Create Date: 2026-11-27 20:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_followups_apart'
down_revision = "0006_start"
branch_labels = None
depends_on = None

_OPEN = "status IN ('active', 'paused')"
_OPEN_TOGETHER = "status IN ('active', 'paused') AND mode = 'together'"


def _one_open_index(where: str) -> None:
    op.create_index('uq_live_sessions_one_open', 'live_sessions', ['couple_id'], unique=True,
                    sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade():
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mode', sa.String(length=16), server_default='together', nullable=False))
    op.drop_index('uq_live_sessions_one_open', table_name='live_sessions')
    _one_open_index(_OPEN_TOGETHER)
    op.create_table('followup_reflections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['followup_occurrences.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('occurrence_id', 'user_id', name='uq_followup_reflection')
    )
    op.create_index('ix_followup_reflections_occurrence_id', 'followup_reflections', ['occurrence_id'])
    op.create_table('joint_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('couple_id', sa.Integer(), nullable=False),
    sa.Column('counselor_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('starts_local', sa.DateTime(timezone=False), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], ),
    sa.ForeignKeyConstraint(['counselor_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_joint_sessions_couple_id', 'joint_sessions', ['couple_id'])


def downgrade():
    op.drop_index('ix_joint_sessions_couple_id', table_name='joint_sessions')
    op.drop_table('joint_sessions')
    op.drop_index('ix_followup_reflections_occurrence_id', table_name='followup_reflections')
    op.drop_table('followup_reflections')
    op.drop_index('uq_live_sessions_one_open', table_name='live_sessions')
    _one_open_index(_OPEN)
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.drop_column('mode')
