"""reports over every year: each need keeps its referral's local authority and whether it found
no service (marked unmet, or its case closed with nothing found), with a partial index holding
what the unmet-needs report groups by; covering indexes for waiting time and onward referrals

Revision ID: 0038
Revises: 0037
"""
from alembic import op
import sqlalchemy as sa

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sp_need") as batch:
        batch.add_column(sa.Column("lad_code", sa.String(9), nullable=True))
        batch.add_column(sa.Column("no_service", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE sp_need SET lad_code = (SELECT r.lad_code FROM sp_referral r WHERE r.id = sp_need.referral_id),"
               " no_service = (unmet OR COALESCE((SELECT r.nothing_found FROM sp_referral r"
               " WHERE r.id = sp_need.referral_id), false))")
    op.create_index("ix_sp_need_no_service", "sp_need", ["received_at"],
                    postgresql_include=["team_id", "lad_code", "code"],
                    postgresql_where=sa.text("no_service"), sqlite_where=sa.text("no_service"))
    op.create_index("ix_sp_referral_contacted", "sp_referral", ["received_at"],
                    postgresql_include=["first_contact_at"],
                    postgresql_where=sa.text("first_contact_at IS NOT NULL"),
                    sqlite_where=sa.text("first_contact_at IS NOT NULL"))
    op.create_index("ix_sp_onward_sent", "sp_onward", ["sent_at"],
                    postgresql_include=["service_id", "kind", "status", "service_name"])


def downgrade() -> None:
    op.drop_index("ix_sp_onward_sent", "sp_onward")
    op.drop_index("ix_sp_referral_contacted", "sp_referral")
    op.drop_index("ix_sp_need_no_service", "sp_need")
    with op.batch_alter_table("sp_need") as batch:
        batch.drop_column("no_service")
        batch.drop_column("lad_code")
