"""custom content: counselors' own exercises (TOML source) and plans

Revision ID: 5c3f0b7e9a21
Revises: 61fe7243da3c
Create Date: 2026-11-27 04:05:10.560223

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c3f0b7e9a21'
down_revision = '61fe7243da3c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('custom_exercises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counselor_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['counselor_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('counselor_id', 'slug', name='uq_custom_exercise_slug')
    )
    with op.batch_alter_table('custom_exercises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custom_exercises_counselor_id'), ['counselor_id'], unique=False)

    op.create_table('custom_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counselor_id', sa.Integer(), nullable=False),
    sa.Column('couple_id', sa.Integer(), nullable=True),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('exercise_ids', sa.JSON(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['counselor_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('custom_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custom_plans_counselor_id'), ['counselor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_custom_plans_couple_id'), ['couple_id'], unique=False)



def downgrade():
    with op.batch_alter_table('custom_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custom_plans_couple_id'))
        batch_op.drop_index(batch_op.f('ix_custom_plans_counselor_id'))

    op.drop_table('custom_plans')
    with op.batch_alter_table('custom_exercises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custom_exercises_counselor_id'))

    op.drop_table('custom_exercises')
