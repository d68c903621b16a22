"""time banks: banks, coordinators, accounts with cached balances, exchanges and append-only entries

Revision ID: 0024
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def _id():
    return sa.Column('id', sa.String(length=36), nullable=False)


def _ref(name, table, ondelete=None, nullable=False, index=True, unique=False):
    return sa.Column(name, sa.String(length=36), sa.ForeignKey(f'{table}.id', ondelete=ondelete,
                                                               name=f'fk_%(table_name)s_{name}_{table}'),
                     nullable=nullable, index=index, unique=unique)


def _when(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'tb_bank', _id(), sa.Column('name', sa.String(200), nullable=False),
        sa.Column('min_minutes', sa.Integer(), nullable=False), sa.Column('max_minutes', sa.Integer(), nullable=False),
        _when('created_at'),
        sa.CheckConstraint('min_minutes <= 0 AND max_minutes >= 0', name='ck_tb_bank_limits_around_zero'),
        sa.PrimaryKeyConstraint('id', name='pk_tb_bank'), sa.UniqueConstraint('name', name='uq_tb_bank_name'))
    op.create_table(
        'tb_coordinator', _id(), _ref('bank_id', 'tb_bank', 'CASCADE'), _ref('user_id', 'user_account', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_tb_coordinator'),
        sa.UniqueConstraint('bank_id', 'user_id', name='uq_tb_coordinator_bank_user'))
    op.create_table(
        'tb_account', _id(), _ref('bank_id', 'tb_bank'), _ref('user_id', 'user_account', nullable=True),
        sa.Column('kind', sa.String(10), nullable=False), sa.Column('status', sa.String(10), nullable=False),
        sa.Column('balance_minutes', sa.Integer(), nullable=False), _when('created_at'),
        sa.CheckConstraint("kind IN ('member','bank')", name='ck_tb_account_kind_known'),
        sa.CheckConstraint("(kind = 'bank') = (user_id IS NULL)", name='ck_tb_account_bank_account_has_no_user'),
        sa.CheckConstraint("status IN ('active','paused','left')", name='ck_tb_account_status_known'),
        sa.PrimaryKeyConstraint('id', name='pk_tb_account'),
        sa.UniqueConstraint('bank_id', 'user_id', name='uq_tb_account_bank_user'))
    op.create_table(
        'tb_exchange', _id(), _ref('bank_id', 'tb_bank'), _ref('giver_id', 'tb_account'),
        _ref('receiver_id', 'tb_account'), sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('on', sa.Date(), nullable=False), sa.Column('description', sa.Text(), nullable=False),
        sa.Column('status', sa.String(10), nullable=False, index=True),
        sa.Column('recorded_by', sa.String(36), nullable=False), sa.Column('by_coordinator', sa.Boolean(), nullable=False),
        sa.Column('idempotency_key', sa.String(100), nullable=False),
        sa.Column('request_hash', sa.String(64), nullable=False),
        _ref('reverses_id', 'tb_exchange', nullable=True, index=False, unique=True),
        sa.Column('reason', sa.Text(), nullable=True), _when('created_at'), _when('confirmed_at', True),
        sa.CheckConstraint('minutes > 0', name='ck_tb_exchange_minutes_positive'),
        sa.CheckConstraint('giver_id <> receiver_id', name='ck_tb_exchange_parties_differ'),
        sa.CheckConstraint("status IN ('pending','confirmed','disputed','rejected')", name='ck_tb_exchange_status_known'),
        sa.PrimaryKeyConstraint('id', name='pk_tb_exchange'),
        sa.UniqueConstraint('bank_id', 'recorded_by', 'idempotency_key', name='uq_tb_exchange_idempotency'))
    op.create_table(
        'tb_entry', _id(), _ref('exchange_id', 'tb_exchange'), _ref('account_id', 'tb_account'),
        sa.Column('minutes', sa.Integer(), nullable=False), _when('created_at'),
        sa.CheckConstraint('minutes <> 0', name='ck_tb_entry_minutes_not_zero'),
        sa.PrimaryKeyConstraint('id', name='pk_tb_entry'))
    # Entries are written once and never changed: the database refuses, for every role.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION tb_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'ledger entries are never changed or deleted' USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("""CREATE TRIGGER tb_entry_append_only BEFORE UPDATE OR DELETE ON tb_entry
                      FOR EACH ROW EXECUTE FUNCTION tb_entry_refuse_change()""")
        op.execute("""CREATE TRIGGER tb_entry_no_truncate BEFORE TRUNCATE ON tb_entry
                      FOR EACH STATEMENT EXECUTE FUNCTION tb_entry_refuse_change()""")
    else:
        for event in ('UPDATE', 'DELETE'):
            op.execute(f"""CREATE TRIGGER tb_entry_no_{event.lower()} BEFORE {event} ON tb_entry
                           BEGIN SELECT RAISE(ABORT, 'ledger entries are never changed or deleted'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER tb_entry_no_truncate ON tb_entry")
        op.execute("DROP TRIGGER tb_entry_append_only ON tb_entry")
        op.execute("DROP FUNCTION tb_entry_refuse_change()")
    for table in ('tb_entry', 'tb_exchange', 'tb_account', 'tb_coordinator', 'tb_bank'):
        op.drop_table(table)
