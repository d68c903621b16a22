"""claims carry evidence beside the message: how a curator can check the provider's connection to
the listing (a page naming them, a work address, a charity number)

Revision ID: 0037
Revises: 0036
"""
from alembic import op
import sqlalchemy as sa

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claim") as batch:
        batch.add_column(sa.Column("evidence", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("claim") as batch:
        batch.drop_column("evidence")
