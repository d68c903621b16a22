"""reports count needs without reading the referrals: each need keeps its referral's team and the
day it arrived (the referrals benchmark: needs by need over 200,000 referrals for every team took
300 ms at p95 for a year with the join; docs/PERFORMANCE.md); and every team's referrals in a date
range (a commissioner's reports) are read by the day they arrived, not the whole table

Revision ID: 0032
Revises: 0031
"""
from alembic import op
import sqlalchemy as sa

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sp_need') as batch:
        batch.add_column(sa.Column('team_id', sa.String(36), nullable=True))
        batch.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE sp_need SET team_id = (SELECT r.team_id FROM sp_referral r WHERE r.id = sp_need.referral_id), "
               "received_at = (SELECT r.received_at FROM sp_referral r WHERE r.id = sp_need.referral_id)")
    with op.batch_alter_table('sp_need') as batch:
        batch.alter_column('team_id', existing_type=sa.String(36), nullable=False)
        batch.alter_column('received_at', existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index('ix_sp_need_received_code', 'sp_need', ['received_at', 'code'])
    op.create_index('ix_sp_need_team_received', 'sp_need', ['team_id', 'received_at'])
    op.create_index('ix_sp_referral_received_at', 'sp_referral', ['received_at'])


def downgrade() -> None:
    op.drop_index('ix_sp_referral_received_at', table_name='sp_referral')
    op.drop_index('ix_sp_need_team_received', table_name='sp_need')
    op.drop_index('ix_sp_need_received_code', table_name='sp_need')
    with op.batch_alter_table('sp_need') as batch:
        batch.drop_column('received_at')
        batch.drop_column('team_id')
