"""unmet needs: a closed case says whether nothing was found for the person (no signpost, every
referral to a service declined or expired), so the report need not look through every onward
referral (a commissioner's year of unmet needs: 260 ms, 150 of them in that anti-join)

Revision ID: 0033
Revises: 0032
"""
from alembic import op
import sqlalchemy as sa

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('sp_referral', sa.Column('nothing_found', sa.Boolean(), nullable=True))
    op.execute("UPDATE sp_referral SET nothing_found = NOT EXISTS (SELECT 1 FROM sp_onward o "
               "WHERE o.referral_id = sp_referral.id AND o.status NOT IN ('declined', 'expired')) "
               "WHERE status = 'closed'")


def downgrade() -> None:
    with op.batch_alter_table('sp_referral') as batch:
        batch.drop_column('nothing_found')
