"""curation: review reminders (one row per stage per review cycle)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_reminder",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("service_id", sa.String(36), sa.ForeignKey("service.id", ondelete="CASCADE",
                                                             name="fk_review_reminder_service_id_service"),
                  nullable=False),
        sa.Column("due_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.UniqueConstraint("service_id", "due_on", "stage", name="uq_review_reminder_stage"),
    )
    op.create_index("ix_review_reminder_service_id", "review_reminder", ["service_id"])


def downgrade() -> None:
    op.drop_table("review_reminder")
