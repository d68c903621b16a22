"""time banks and social prescribing: a bank's listing in the directory, and invitations to join
made from an accepted referral, with the person's choice to let their link worker see their hours

Revision ID: 0029
Revises: 0028
"""
from alembic import op
import sqlalchemy as sa

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not a foreign key (as sp_onward.service_id): a listing's removal does not remove the bank.
    op.add_column('tb_bank', sa.Column('service_id', sa.String(36), nullable=True))
    op.create_index('uq_tb_bank_service_id', 'tb_bank', ['service_id'], unique=True)
    op.create_table(
        'tb_invitation', sa.Column('id', sa.String(36), nullable=False),
        sa.Column('bank_id', sa.String(36), sa.ForeignKey('tb_bank.id', name='fk_tb_invitation_bank_id_tb_bank'),
                  nullable=False, index=True),
        sa.Column('onward_id', sa.String(36), nullable=False, index=True),
        sa.Column('person_id', sa.String(36), nullable=False, index=True),
        sa.Column('token_hash', sa.String(64), nullable=False),
        sa.Column('created_by', sa.String(36), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('account_id', sa.String(36),
                  sa.ForeignKey('tb_account.id', name='fk_tb_invitation_account_id_tb_account'), nullable=True,
                  index=True),
        sa.Column('share_hours', sa.Boolean(), nullable=False),
        sa.Column('share_changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_tb_invitation'),
        sa.UniqueConstraint('token_hash', name='uq_tb_invitation_token_hash'))


def downgrade() -> None:
    op.drop_table('tb_invitation')
    op.drop_index('uq_tb_bank_service_id', table_name='tb_bank')
    with op.batch_alter_table('tb_bank') as batch:
        batch.drop_column('service_id')
