"""time banks: offers and requests with a kind of help and a place, and the conversations that
answering one starts

Revision ID: 0028
Revises: 0027
"""
from alembic import op
import sqlalchemy as sa

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def _ref(name, table, nullable=False):
    return sa.Column(name, sa.String(36), sa.ForeignKey(f'{table}.id', name=f'fk_%(table_name)s_{name}_{table}'),
                     nullable=nullable, index=True)


def upgrade() -> None:
    op.create_table(
        'tb_listing', sa.Column('id', sa.String(36), nullable=False), _ref('bank_id', 'tb_bank'),
        _ref('account_id', 'tb_account'), sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('title', sa.String(200), nullable=False), sa.Column('description', sa.Text(), nullable=False),
        sa.Column('category', sa.String(40), nullable=True), sa.Column('place', sa.String(120), nullable=True),
        sa.Column('latitude', sa.Float(), nullable=True), sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('offer','request')", name='ck_tb_listing_kind_known'),
        sa.CheckConstraint("status IN ('open','closed')", name='ck_tb_listing_status_known'),
        sa.PrimaryKeyConstraint('id', name='pk_tb_listing'))
    op.create_table(
        'tb_conversation', sa.Column('id', sa.String(36), nullable=False), _ref('listing_id', 'tb_listing'),
        _ref('account_id', 'tb_account'), sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_tb_conversation'),
        sa.UniqueConstraint('listing_id', 'account_id', name='uq_tb_conversation_listing_account'))
    op.create_table(
        'tb_message', sa.Column('id', sa.String(36), nullable=False), _ref('conversation_id', 'tb_conversation'),
        _ref('author_id', 'tb_account'), sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_tb_message'))


def downgrade() -> None:
    for table in ('tb_message', 'tb_conversation', 'tb_listing'):
        op.drop_table(table)
