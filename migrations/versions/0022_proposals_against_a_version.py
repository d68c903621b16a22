"""curation: a proposed change remembers the version it was made against and the values it changes

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pending_change') as batch:
        batch.add_column(sa.Column('base_version', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('base_values', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pending_change') as batch:
        batch.drop_column('base_values')
        batch.drop_column('base_version')
