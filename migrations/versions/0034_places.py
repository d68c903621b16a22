"""place names: GB cities, towns, suburbs, villages and hamlets (OS Open Names), with their Welsh
and Gaelic names, so a person can type "Leith" or "Aber-miwl" wherever a postcode is asked for;
loaded by `assets-hub postcodes load`

Revision ID: 0034
Revises: 0033
"""
from alembic import op
import sqlalchemy as sa

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'place',
        sa.Column('id', sa.String(24), nullable=False),
        sa.Column('name', sa.String(120), nullable=False),
        sa.Column('name_lang', sa.String(3)),
        sa.Column('name_alt', sa.String(120)),
        sa.Column('name_alt_lang', sa.String(3)),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('size_rank', sa.Integer(), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=False),
        sa.Column('longitude', sa.Float(), nullable=False),
        sa.Column('extent_m', sa.Integer(), nullable=False),
        sa.Column('postcode_district', sa.String(4)),
        sa.Column('area', sa.String(120)),
        sa.Column('areas_key', sa.String(400), nullable=False),
        sa.Column('lad_code', sa.String(9)),
        sa.Column('region_code', sa.String(9)),
        sa.Column('country_code', sa.String(9)),
        sa.PrimaryKeyConstraint('id', name='pk_place'),
    )
    op.create_table(
        'place_name',
        sa.Column('key', sa.String(120), nullable=False),
        sa.Column('place_id', sa.String(24), nullable=False),
        sa.Column('name', sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(['place_id'], ['place.id'], name='fk_place_name_place_id_place', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', 'place_id', name='pk_place_name'),
    )
    op.create_index('ix_place_name_prefix', 'place_name', ['key'],
                    postgresql_ops={'key': 'varchar_pattern_ops'})


def downgrade() -> None:
    op.drop_index('ix_place_name_prefix', table_name='place_name')
    op.drop_table('place_name')
    op.drop_table('place')
