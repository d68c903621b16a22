"""Open Referral API: indexes that let lists page in name order without sorting the table

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

VISIBLE = sa.text("status IN ('active', 'temporarily closed')")


def upgrade() -> None:
    # Partial: only what the API and search show. Also serves count(*) as an index-only scan.
    op.create_index("ix_service_visible_name", "service", ["name", "id"],
                    postgresql_where=VISIBLE, sqlite_where=VISIBLE)
    op.create_index("ix_organization_name", "organization", ["name", "id"])


def downgrade() -> None:
    op.drop_index("ix_organization_name", table_name="organization")
    op.drop_index("ix_service_visible_name", table_name="service")
