"""time banks: joining applications, coordinator-recorded checks (badges), a bank's DBS rule

Revision ID: 0026
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def _ref(name, table, nullable=False):
    return sa.Column(name, sa.String(length=36), sa.ForeignKey(f'{table}.id', name=f'fk_%(table_name)s_{name}_{table}'),
                     nullable=nullable, index=True)


def upgrade() -> None:
    with op.batch_alter_table('tb_bank') as batch:
        batch.add_column(sa.Column('requires_dbs', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('about', sa.Text(), nullable=False, server_default=''))
    op.create_table(
        'tb_application', sa.Column('id', sa.String(36), nullable=False), _ref('bank_id', 'tb_bank'),
        _ref('user_id', 'user_account'), sa.Column('message', sa.Text(), nullable=False),
        sa.Column('status', sa.String(10), nullable=False), sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('decided_by', sa.String(36), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending','approved','refused','withdrawn')", name='ck_tb_application_status_known'),
        sa.PrimaryKeyConstraint('id', name='pk_tb_application'))
    # one open application per person and bank: a second press of "apply" finds the first
    op.create_index('uq_tb_application_open', 'tb_application', ['bank_id', 'user_id'], unique=True,
                    postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.create_table(
        'tb_check', sa.Column('id', sa.String(36), nullable=False), _ref('bank_id', 'tb_bank'),
        _ref('user_id', 'user_account'), sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False), sa.Column('recorded_by', sa.String(36), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('references','dbs')", name='ck_tb_check_kind_known'),
        sa.PrimaryKeyConstraint('id', name='pk_tb_check'),
        sa.UniqueConstraint('bank_id', 'user_id', 'kind', name='uq_tb_check_bank_user_kind'))


def downgrade() -> None:
    op.drop_table('tb_check')
    op.drop_index('uq_tb_application_open', table_name='tb_application')
    op.drop_table('tb_application')
    with op.batch_alter_table('tb_bank') as batch:
        batch.drop_column('about')
        batch.drop_column('requires_dbs')
