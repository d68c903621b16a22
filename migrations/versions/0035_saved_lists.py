"""saved lists (ALISS's collections): services a person keeps in a named list with notes, shared
read-only by a link; a list belongs to an account or to a browser session (its key, hashed)

Revision ID: 0035
Revises: 0034
"""
from alembic import op
import sqlalchemy as sa

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'saved_list',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('owner_id', sa.String(36), sa.ForeignKey('user_account.id', ondelete='CASCADE',
                                                           name='fk_saved_list_owner_id_user_account')),
        sa.Column('edit_key_hash', sa.String(64)),
        sa.Column('share_token', sa.String(43), nullable=False),
        sa.Column('name', sa.String(120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('owner_id IS NOT NULL OR edit_key_hash IS NOT NULL', name='ck_saved_list_has_keeper'),
        sa.PrimaryKeyConstraint('id', name='pk_saved_list'),
        sa.UniqueConstraint('share_token', name='uq_saved_list_share_token'),
    )
    op.create_index('ix_saved_list_owner_id', 'saved_list', ['owner_id'])
    op.create_index('ix_saved_list_edit_key_hash', 'saved_list', ['edit_key_hash'])
    op.create_table(
        'saved_item',
        sa.Column('list_id', sa.String(36), sa.ForeignKey('saved_list.id', ondelete='CASCADE',
                                                          name='fk_saved_item_list_id_saved_list'), nullable=False),
        sa.Column('service_id', sa.String(36), sa.ForeignKey('service.id', ondelete='CASCADE',
                                                             name='fk_saved_item_service_id_service'), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text()),
        sa.PrimaryKeyConstraint('list_id', 'service_id', name='pk_saved_item'),
    )
    op.create_index('ix_saved_item_service_id', 'saved_item', ['service_id'])


def downgrade() -> None:
    op.drop_index('ix_saved_item_service_id', table_name='saved_item')
    op.drop_table('saved_item')
    op.drop_index('ix_saved_list_edit_key_hash', table_name='saved_list')
    op.drop_index('ix_saved_list_owner_id', table_name='saved_list')
    op.drop_table('saved_list')
