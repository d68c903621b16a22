"""the GP practices each social prescribing team takes referrals from

Revision ID: 0039
Revises: 0038
"""
from alembic import op
import sqlalchemy as sa

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sp_team_practice",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("team_id", sa.String(36), sa.ForeignKey("sp_team.id", ondelete="CASCADE",
                                                          name="fk_sp_team_practice_team_id_sp_team"), nullable=False),
        sa.Column("ods_code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sp_team_practice"),
        sa.UniqueConstraint("team_id", "ods_code", name="uq_sp_team_practice_team_code"),
    )
    op.create_index("ix_sp_team_practice_team_id", "sp_team_practice", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_sp_team_practice_team_id", table_name="sp_team_practice")
    op.drop_table("sp_team_practice")
