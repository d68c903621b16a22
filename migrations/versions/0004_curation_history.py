"""curation: listing versions and field-level changes (HSDS metadata)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_version",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("service_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("updated_by", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.UniqueConstraint("service_id", "number", name="uq_listing_version_number"),
    )
    op.create_index("ix_listing_version_service_id", "listing_version", ["service_id"])
    op.create_table(
        "listing_change",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("version_id", sa.String(36), sa.ForeignKey("listing_version.id", ondelete="CASCADE",
                                                             name="fk_listing_change_version_id_listing_version")),
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("resource_type", sa.String(40), nullable=False),
        sa.Column("last_action_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_action_type", sa.String(20), nullable=False),
        sa.Column("field_name", sa.String(80), nullable=False),
        sa.Column("previous_value", sa.Text(), nullable=False),
        sa.Column("replacement_value", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=False),
    )
    op.create_index("ix_listing_change_version_id", "listing_change", ["version_id"])
    op.create_index("ix_listing_change_resource", "listing_change", ["resource_id", "last_action_date"])


    # Real HSDS data describes attendance in a sentence ("in person at the centre or online ...").
    with op.batch_alter_table("schedule") as batch:
        batch.alter_column("attending_type", type_=sa.Text(), existing_type=sa.String(60))


def downgrade() -> None:
    op.drop_table("listing_change")
    op.drop_table("listing_version")
