"""referrals: a second factor for staff, teams, people, referrals and their records, onward referrals, API tokens, the referrer
role, and an audit log the database refuses to change

Revision ID: 0023
Revises: 0022
"""
from alembic import op
import sqlalchemy as sa

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin','curator','provider','link_worker','timebank_coordinator','member')"
NEW_ROLES = "role IN ('admin','curator','provider','link_worker','referrer','timebank_coordinator','member')"


def _id(name='id'):
    return sa.Column(name, sa.String(length=36), nullable=False)


def _ref(name, table, ondelete=None, nullable=False, index=True):
    return sa.Column(name, sa.String(length=36), sa.ForeignKey(f'{table}.id', ondelete=ondelete,
                                                               name=f'fk_%(table_name)s_{name}_{table}'),
                     nullable=nullable, index=index)


def _when(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint(op.f('ck_user_account_role_known'), type_='check')
        batch.create_check_constraint('role_known', NEW_ROLES)
        batch.add_column(sa.Column('totp_secret', sa.String(64), nullable=True))
        batch.add_column(sa.Column('totp_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.create_table(
        'recovery_code', _id(), _ref('user_id', 'user_account', 'CASCADE'),
        sa.Column('code_hash', sa.String(64), nullable=False), _when('used_at', True),
        sa.PrimaryKeyConstraint('id', name='pk_recovery_code'))

    op.create_table(
        'api_token', _id(), _ref('user_id', 'user_account', 'CASCADE'),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('token_hash', sa.String(64), nullable=False),
        sa.Column('prefix', sa.String(12), nullable=False),
        _when('created_at'), _when('last_used_at', True), _when('revoked_at', True),
        sa.PrimaryKeyConstraint('id', name='pk_api_token'),
        sa.UniqueConstraint('token_hash', name='uq_api_token_token_hash'))

    op.create_table(
        'sp_team', _id(), sa.Column('name', sa.String(200), nullable=False), _when('created_at'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_team'), sa.UniqueConstraint('name', name='uq_sp_team_name'))
    op.create_table(
        'sp_team_member', _id(), _ref('team_id', 'sp_team', 'CASCADE'), _ref('user_id', 'user_account', 'CASCADE'),
        sa.Column('lead', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_sp_team_member'),
        sa.UniqueConstraint('team_id', 'user_id', name='uq_sp_team_member_team_user'))
    op.create_table(
        'sp_person', _id(), _ref('team_id', 'sp_team'),
        sa.Column('given_name', sa.String(100), nullable=False),
        sa.Column('family_name', sa.String(100), nullable=False),
        sa.Column('date_of_birth', sa.Date(), nullable=False, index=True),
        sa.Column('postcode', sa.String(10), nullable=False),
        sa.Column('nhs_number', sa.String(10), nullable=True, index=True),
        sa.Column('phone', sa.String(40), nullable=True),
        sa.Column('email', sa.String(254), nullable=True),
        sa.Column('preferred_contact', sa.String(20), nullable=True),
        sa.Column('what_matters', sa.Text(), nullable=False),
        sa.Column('do_not_contact', sa.Boolean(), nullable=False),
        sa.Column('sensitive', sa.Boolean(), nullable=False),
        _when('created_at'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_person'))
    op.create_table(
        'sp_referral', _id(), _ref('person_id', 'sp_person', 'CASCADE'), _ref('team_id', 'sp_team'),
        sa.Column('source', sa.String(10), nullable=False),
        _ref('referrer_id', 'user_account', 'SET NULL', nullable=True),
        _ref('link_worker_id', 'user_account', 'SET NULL', nullable=True),
        sa.Column('gp_ods_code', sa.String(6), nullable=True),
        sa.Column('gp_name', sa.String(200), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('known_risks', sa.Boolean(), nullable=False),
        sa.Column('risk_details', sa.Text(), nullable=True),
        sa.Column('information_sharing', sa.Boolean(), nullable=False),
        sa.Column('consent_reason', sa.Text(), nullable=True),
        sa.Column('status', sa.String(20), nullable=False, index=True),
        sa.Column('closed_reason', sa.String(20), nullable=True),
        _when('received_at'), _when('first_contact_at', True),
        sa.Column('next_contact_due', sa.Date(), nullable=True),
        _when('closed_at', True),
        sa.CheckConstraint("status IN ('received','contacted','first_appointment','supported','closed')",
                           name='ck_sp_referral_status_known'),
        sa.CheckConstraint("source IN ('staff','self','api')", name='ck_sp_referral_source_known'),
        sa.CheckConstraint("known_risks = false OR risk_details IS NOT NULL", name='ck_sp_referral_risks_described'),
        sa.CheckConstraint("information_sharing = true OR consent_reason IS NOT NULL",
                           name='ck_sp_referral_consent_explained'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_referral'))
    op.create_index('ix_sp_referral_open', 'sp_referral', ['team_id', 'received_at'],
                    postgresql_where=sa.text("status <> 'closed'"), sqlite_where=sa.text("status <> 'closed'"))
    op.create_table(
        'sp_need', _id(), _ref('referral_id', 'sp_referral', 'CASCADE'),
        sa.Column('code', sa.String(40), nullable=False), sa.Column('note', sa.Text(), nullable=False),
        _when('created_at'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_need'),
        sa.UniqueConstraint('referral_id', 'code', name='uq_sp_need_referral_code'))
    op.create_table(
        'sp_referral_event', _id(), _ref('referral_id', 'sp_referral', 'CASCADE'), _when('at'),
        sa.Column('actor', sa.String(254), nullable=False), sa.Column('action', sa.String(40), nullable=False),
        sa.Column('status', sa.String(20), nullable=True), sa.Column('detail', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_sp_referral_event'))
    op.create_table(
        'sp_contact', _id(), _ref('referral_id', 'sp_referral', 'CASCADE'),
        sa.Column('on', sa.Date(), nullable=False), sa.Column('method', sa.String(20), nullable=False),
        sa.Column('outcome', sa.String(20), nullable=False), sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False), sa.Column('by', sa.String(254), nullable=False),
        _when('created_at'),
        sa.CheckConstraint('minutes >= 0 AND minutes <= 1440', name='ck_sp_contact_minutes_range'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_contact'))
    op.create_table(
        'sp_goal', _id(), _ref('referral_id', 'sp_referral', 'CASCADE'),
        sa.Column('text', sa.Text(), nullable=False), sa.Column('importance', sa.Integer(), nullable=False),
        sa.Column('confidence', sa.Integer(), nullable=False), _when('created_at'),
        sa.CheckConstraint('importance BETWEEN 1 AND 10', name='ck_sp_goal_importance_range'),
        sa.CheckConstraint('confidence BETWEEN 1 AND 10', name='ck_sp_goal_confidence_range'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_goal'))
    op.create_table(
        'sp_onward', _id(), _ref('referral_id', 'sp_referral', 'CASCADE'),
        sa.Column('service_id', sa.String(36), nullable=False, index=True),
        sa.Column('service_name', sa.String(300), nullable=False),
        sa.Column('kind', sa.String(10), nullable=False), sa.Column('status', sa.String(20), nullable=False, index=True),
        sa.Column('shared', sa.Text(), nullable=False), sa.Column('message', sa.Text(), nullable=False),
        sa.Column('decline_reason', sa.Text(), nullable=True), sa.Column('note_back', sa.Text(), nullable=True),
        sa.Column('sent_by', sa.String(36), nullable=True), _when('sent_at'),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True, index=True),
        _when('reminded_at', True), _when('answered_at', True),
        sa.CheckConstraint("kind IN ('signpost','referral')", name='ck_sp_onward_kind_known'),
        sa.CheckConstraint("status IN ('signposted','sent','accepted','declined','expired','attended',"
                           "'did_not_attend')", name='ck_sp_onward_status_known'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_onward'))
    op.create_table(
        'sp_kept_apart', _id(), _ref('person_a', 'sp_person', 'CASCADE'), _ref('person_b', 'sp_person', 'CASCADE'),
        sa.Column('decided_by', sa.String(254), nullable=False), _when('decided_at'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_kept_apart'),
        sa.UniqueConstraint('person_a', 'person_b', name='uq_sp_kept_apart_person_a'))
    op.create_table(
        'sp_erased', _id(), _ref('team_id', 'sp_team'), sa.Column('source', sa.String(10), nullable=False),
        sa.Column('month', sa.String(7), nullable=False), sa.Column('status', sa.String(20), nullable=False),
        sa.Column('closed_reason', sa.String(20), nullable=True), sa.Column('needs', sa.Text(), nullable=False),
        _when('erased_at'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_erased'))
    op.create_table(
        'audit_entry', _id(), sa.Column('at', sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column('actor_id', sa.String(36), nullable=True, index=True),
        sa.Column('actor', sa.String(254), nullable=False), sa.Column('action', sa.String(20), nullable=False),
        sa.Column('what', sa.String(200), nullable=False),
        sa.Column('person_id', sa.String(36), nullable=True, index=True),
        sa.Column('referral_id', sa.String(36), nullable=True, index=True),
        sa.Column('address', sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_audit_entry'))
    # The audit log is written once and never changed: the database itself refuses, for every role.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'audit entries are never changed or deleted' USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("""CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
                      FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()""")
        op.execute("""CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
                      FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()""")
    else:
        op.execute("""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
                      BEGIN SELECT RAISE(ABORT, 'audit entries are never changed or deleted'); END""")
        op.execute("""CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
                      BEGIN SELECT RAISE(ABORT, 'audit entries are never changed or deleted'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION audit_entry_refuse_change()")
    for table in ('audit_entry', 'sp_erased', 'sp_kept_apart', 'sp_onward', 'sp_goal', 'sp_contact', 'sp_referral_event', 'sp_need', 'sp_referral',
                  'sp_person', 'sp_team_member', 'sp_team', 'api_token', 'recovery_code'):
        op.drop_table(table)
    op.execute("DELETE FROM user_account WHERE role = 'referrer'")
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint(op.f('ck_user_account_role_known'), type_='check')
        batch.create_check_constraint('role_known', OLD_ROLES)
        batch.drop_column('totp_last_step')
        batch.drop_column('totp_confirmed_at')
        batch.drop_column('totp_secret')
