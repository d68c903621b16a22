"""time banks: group activities (one giver to many receivers or many to one, with a split rule)
and a category on every exchange

Revision ID: 0027
Revises: 0026
"""
from alembic import op
import sqlalchemy as sa

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'tb_activity', sa.Column('id', sa.String(36), nullable=False),
        sa.Column('bank_id', sa.String(36), sa.ForeignKey('tb_bank.id', name='fk_tb_activity_bank_id_tb_bank'),
                  nullable=False, index=True),
        sa.Column('one_id', sa.String(36), sa.ForeignKey('tb_account.id', name='fk_tb_activity_one_id_tb_account'),
                  nullable=False, index=True),
        sa.Column('direction', sa.String(10), nullable=False), sa.Column('rule', sa.String(10), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False), sa.Column('people', sa.Integer(), nullable=False),
        sa.Column('on', sa.Date(), nullable=False), sa.Column('description', sa.Text(), nullable=False),
        sa.Column('category', sa.String(40), nullable=True),
        sa.Column('recorded_by', sa.String(36), nullable=False),
        sa.Column('idempotency_key', sa.String(100), nullable=False),
        sa.Column('request_hash', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("direction IN ('gives','receives')", name='ck_tb_activity_direction_known'),
        sa.CheckConstraint("rule IN ('each','split')", name='ck_tb_activity_rule_known'),
        sa.CheckConstraint('minutes > 0 AND people > 0', name='ck_tb_activity_positive'),
        sa.PrimaryKeyConstraint('id', name='pk_tb_activity'),
        sa.UniqueConstraint('bank_id', 'recorded_by', 'idempotency_key', name='uq_tb_activity_idempotency'))
    # New nullable columns: ADD COLUMN on both engines (no table rebuild on SQLite, where rebuilding
    # tb_exchange would have to drop a table the append-only entries refer to).
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('tb_exchange', sa.Column(
            'activity_id', sa.String(36), sa.ForeignKey('tb_activity.id', name='fk_tb_exchange_activity_id_tb_activity'),
            nullable=True))
    else:  # SQLite adds a column with its reference in place (alembic would rebuild the table)
        op.execute("ALTER TABLE tb_exchange ADD COLUMN activity_id VARCHAR(36) "
                   "CONSTRAINT fk_tb_exchange_activity_id_tb_activity REFERENCES tb_activity (id)")
    # Only a group activity's exchanges have one: a partial index, so recording an ordinary exchange
    # (the ledger's hot path) writes no entry in it.
    op.create_index('ix_tb_exchange_activity_id', 'tb_exchange', ['activity_id'],
                    postgresql_where=sa.text('activity_id IS NOT NULL'), sqlite_where=sa.text('activity_id IS NOT NULL'))
    op.add_column('tb_exchange', sa.Column('category', sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_index('ix_tb_exchange_activity_id', table_name='tb_exchange')
    with op.batch_alter_table('tb_exchange') as batch:
        batch.drop_column('category')
        batch.drop_column('activity_id')
    op.drop_table('tb_activity')
