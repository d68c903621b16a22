"""social prescribing outcomes and reports: outcome measures (ONS4, SWEMWBS), needs marked unmet,
each referral's age band and local authority fixed on arrival, the commissioner role, and erasure
that leaves the referral anonymous in place (so every report still counts it) instead of the
separate sp_erased counts

Revision ID: 0030
Revises: 0029
"""
import uuid
from datetime import date

from alembic import op
import sqlalchemy as sa

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin','curator','provider','link_worker','referrer','timebank_coordinator','member')"
NEW_ROLES = ("role IN ('admin','curator','provider','link_worker','referrer','timebank_coordinator','member',"
             "'commissioner')")
AGE_BANDS = ("0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+")


def _age_band(born, on):
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for band in AGE_BANDS[:-1]:
        if age <= int(band.split("-")[1]):
            return band
    return AGE_BANDS[-1]


def _day(value):
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value if isinstance(value, date) and not hasattr(value, 'hour') else value.date()


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint(op.f('ck_user_account_role_known'), type_='check')
        batch.create_check_constraint('role_known', NEW_ROLES)
    with op.batch_alter_table('sp_referral') as batch:
        batch.alter_column('person_id', existing_type=sa.String(36), nullable=True)
        batch.add_column(sa.Column('age_band', sa.String(8), nullable=True))
        batch.add_column(sa.Column('lad_code', sa.String(9), nullable=True))
        batch.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    # SQLite rebuilt the table: make sure the caseload's partial index is still partial.
    op.execute("DROP INDEX IF EXISTS ix_sp_referral_open")
    op.create_index('ix_sp_referral_open', 'sp_referral', ['team_id', 'received_at'],
                    postgresql_where=sa.text("status <> 'closed'"), sqlite_where=sa.text("status <> 'closed'"))
    op.create_index('ix_sp_referral_team_received', 'sp_referral', ['team_id', 'received_at'])
    with op.batch_alter_table('sp_need') as batch:
        batch.add_column(sa.Column('unmet', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'sp_measure', sa.Column('id', sa.String(36), nullable=False),
        sa.Column('referral_id', sa.String(36),
                  sa.ForeignKey('sp_referral.id', ondelete='CASCADE', name='fk_sp_measure_referral_id_sp_referral'),
                  nullable=False, index=True),
        sa.Column('tool', sa.String(10), nullable=False), sa.Column('stage', sa.String(10), nullable=False),
        sa.Column('taken_on', sa.Date(), nullable=False),
        sa.Column('life_satisfaction', sa.Integer(), nullable=True), sa.Column('worthwhile', sa.Integer(), nullable=True),
        sa.Column('happy', sa.Integer(), nullable=True), sa.Column('anxious', sa.Integer(), nullable=True),
        sa.Column('swemwbs_items', sa.String(20), nullable=True), sa.Column('swemwbs_raw', sa.Integer(), nullable=True),
        sa.Column('swemwbs_metric', sa.Float(), nullable=True),
        sa.Column('by', sa.String(254), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tool IN ('ons4','swemwbs')", name='ck_sp_measure_tool_known'),
        sa.CheckConstraint("stage IN ('start','during','end')", name='ck_sp_measure_stage_known'),
        sa.CheckConstraint("(tool = 'ons4' AND life_satisfaction BETWEEN 0 AND 10 AND worthwhile BETWEEN 0 AND 10 "
                           "AND happy BETWEEN 0 AND 10 AND anxious BETWEEN 0 AND 10) OR "
                           "(tool = 'swemwbs' AND swemwbs_raw BETWEEN 7 AND 35 AND swemwbs_metric IS NOT NULL)",
                           name='ck_sp_measure_scores_in_range'),
        sa.PrimaryKeyConstraint('id', name='pk_sp_measure'))

    bind = op.get_bind()
    # Existing referrals: the age band on the day they arrived, and the local authority of the postcode.
    rows = bind.execute(sa.text(
        "SELECT r.id, r.received_at, p.date_of_birth, "
        "(SELECT lad_code FROM postcode WHERE code = upper(p.postcode)) AS lad "
        "FROM sp_referral r JOIN sp_person p ON p.id = r.person_id")).all()
    for rid, received, born, lad in rows:
        bind.execute(sa.text("UPDATE sp_referral SET age_band = :band, lad_code = :lad WHERE id = :id"),
                     {"band": _age_band(_day(born), _day(received)), "lad": lad, "id": rid})
    # The anonymous counts kept by the old erasure become anonymous referrals, as erasure now leaves them.
    erased = bind.execute(sa.text(
        "SELECT id, team_id, source, month, status, closed_reason, needs, erased_at FROM sp_erased")).all()
    for _, team_id, source, month, status, closed_reason, needs, erased_at in erased:
        rid = str(uuid.uuid4())
        received = f"{month}-01 00:00:00+00:00"
        bind.execute(sa.text(
            "INSERT INTO sp_referral (id, person_id, team_id, source, reason, known_risks, information_sharing, "
            "status, closed_reason, received_at, closed_at, erased_at) VALUES (:id, NULL, :team, :source, '', "
            ":no, :yes, :status, :closed_reason, :received, :closed, :erased)"),
            {"id": rid, "team": team_id, "source": source, "no": False, "yes": True, "status": status,
             "closed_reason": closed_reason, "received": received,
             "closed": received if status == 'closed' else None, "erased": erased_at})
        for code in [c for c in (needs or "").split(",") if c]:
            bind.execute(sa.text("INSERT INTO sp_need (id, referral_id, code, note, unmet, created_at) "
                                 "VALUES (:id, :rid, :code, '', :no, :at)"),
                         {"id": str(uuid.uuid4()), "rid": rid, "code": code, "no": False, "at": received})
    op.drop_table('sp_erased')


def downgrade() -> None:
    op.create_table(
        'sp_erased', sa.Column('id', sa.String(36), nullable=False),
        sa.Column('team_id', sa.String(36), sa.ForeignKey('sp_team.id', name='fk_sp_erased_team_id_sp_team'),
                  nullable=False, index=True),
        sa.Column('source', sa.String(10), nullable=False), sa.Column('month', sa.String(7), nullable=False),
        sa.Column('status', sa.String(20), nullable=False), sa.Column('closed_reason', sa.String(20), nullable=True),
        sa.Column('needs', sa.Text(), nullable=False), sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_sp_erased'))
    # Anonymous referrals cannot go back into a table that needs a person: they are dropped.
    op.execute("DELETE FROM sp_referral WHERE person_id IS NULL")
    op.drop_table('sp_measure')
    with op.batch_alter_table('sp_need') as batch:
        batch.drop_column('unmet')
    op.drop_index('ix_sp_referral_team_received', table_name='sp_referral')
    with op.batch_alter_table('sp_referral') as batch:
        batch.drop_column('erased_at')
        batch.drop_column('lad_code')
        batch.drop_column('age_band')
        batch.alter_column('person_id', existing_type=sa.String(36), nullable=False)
    op.execute("DELETE FROM user_account WHERE role = 'commissioner'")
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint(op.f('ck_user_account_role_known'), type_='check')
        batch.create_check_constraint('role_known', OLD_ROLES)
