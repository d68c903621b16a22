"""outcome report: each referral's start and end of each measure in one row (sp_outcome), kept as
measures are recorded, so the report reads one small row per person instead of ranking every
taking (99 s for a year of 200,000 referrals on the benchmark machine; docs/PERFORMANCE.md)

Revision ID: 0031
Revises: 0030
"""
from alembic import op
import sqlalchemy as sa

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

SCORES = ('life_satisfaction', 'worthwhile', 'happy', 'anxious', 'swemwbs_metric')


def upgrade() -> None:
    columns = []
    for when in ('start', 'end'):
        columns += [sa.Column(f'{when}_on', sa.Date(), nullable=True),
                    sa.Column(f'{when}_at', sa.DateTime(timezone=True), nullable=True)]
    for when in ('start', 'end'):
        columns += [sa.Column(f'{when}_{s}', sa.Float() if s == 'swemwbs_metric' else sa.Integer(), nullable=True)
                    for s in SCORES]
    op.create_table(
        'sp_outcome',
        sa.Column('referral_id', sa.String(36),
                  sa.ForeignKey('sp_referral.id', ondelete='CASCADE', name='fk_sp_outcome_referral_id_sp_referral'),
                  nullable=False),
        sa.Column('tool', sa.String(10), nullable=False),
        sa.Column('team_id', sa.String(36), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint('referral_id', 'tool', name='pk_sp_outcome'))
    op.create_index('ix_sp_outcome_received_at', 'sp_outcome', ['received_at'])
    op.create_index('ix_sp_outcome_team_received', 'sp_outcome', ['team_id', 'received_at'])
    # Measures already recorded: the first start and the last end of each referral's each tool.
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT m.referral_id, m.tool, m.stage, m.taken_on, m.created_at, r.team_id, r.received_at, "
        + ", ".join(f"m.{s}" for s in SCORES) +
        " FROM sp_measure m JOIN sp_referral r ON r.id = m.referral_id WHERE m.stage IN ('start', 'end') "
        "ORDER BY m.referral_id, m.tool, m.taken_on, m.created_at, m.id")).all()
    pairs = {}
    for row in rows:
        key = (row[0], row[1])
        pair = pairs.setdefault(key, {"referral_id": row[0], "tool": row[1], "team_id": row[5], "received_at": row[6]})
        when = row[2]
        if when == 'start' and 'start_on' in pair:
            continue  # the first start stays
        pair[f'{when}_on'], pair[f'{when}_at'] = row[3], row[4]
        for s, value in zip(SCORES, row[7:]):
            pair[f'{when}_{s}'] = value
    table = sa.table('sp_outcome', *(sa.column(c) for c in (
        ['referral_id', 'tool', 'team_id', 'received_at']
        + [f'{w}_{x}' for w in ('start', 'end') for x in ('on', 'at', *SCORES)])))
    if pairs:
        full = [{c.name: p.get(c.name) for c in table.columns} for p in pairs.values()]
        op.bulk_insert(table, full)


def downgrade() -> None:
    op.drop_table('sp_outcome')
