"""summary events: client event ids of summary changes, for idempotent retries

Revision ID: 0004_summary
Revises: 0003_summaries
Create Date: 2026-11-27 17:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_summary'
down_revision = '0003_summaries'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('summary_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_event_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['summary_id'], ['summaries.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('summary_id', 'user_id', 'client_event_id', name='uq_summary_event_client_id')
    )


def downgrade():
    op.drop_table('summary_events')
