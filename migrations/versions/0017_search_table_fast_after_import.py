"""search: a bulk-written search table is fast to search before `search optimise` runs

Revision ID: 0017
Revises: 0016

Straight after a large import, place searches were twice as slow as after ``assets-hub search
optimise`` (p95 6-7 ms against 4 at 100,000 services), for two reasons.

The GIN indexes on ``area_codes`` and ``search_terms`` kept new entries in a pending list (GIN's
``fastupdate``) until a VACUUM merged them: after an import every one of the 100,000 rows was in
``area_codes``' list (344 pages), and every place search scanned all of it. These two indexes now
take each entry directly (``fastupdate = off``): a row has a few keys, and refreshing 100,000 rows
took 27.4 s against 27.0 with the list. (The text index keeps its list: a row has dozens of words.)

And the refresh (0012, extended by 0013 and 0015) writes a batch of search rows in geohash
order, so a bulk import puts a place's located services on neighbouring pages. Services with
service areas alone have no geohash: they came last in each batch in no order. Every search of a
place reads its council's, its region's and the national ones: SE10 9's 358 such rows lay on 336
pages. They now follow the located ones ordered by their first area code, as ``assets-hub search
optimise`` orders the whole table (``search.engine_pg.PLACE_ORDER``): 67 pages.
PostgreSQL only.
"""
from pathlib import Path

from alembic import op
from alembic.util import load_python_file

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

HERE = Path(__file__).parent
# The refresh as 0015 left it (0016 did not change it), edited the way 0013 edits it.
BASE = load_python_file(HERE, next(HERE.glob("0015_*.py")).name)

REFRESH = BASE.PREVIOUS.extend_refresh(BASE.REFRESH, BASE.DERIVED, BASE.DERIVED, [(
    "ORDER BY ST_GeoHash(g.geom::geometry, 6)\n",
    "ORDER BY coalesce(ST_GeoHash(g.geom::geometry, 6),\n"
    "                  '~' || (SELECT min(a.area_code) FROM service_area a WHERE a.service_id = s.id)) COLLATE \"C\"\n",
)])


DIRECT = ("ix_service_search_area_codes", "ix_service_search_terms_doc")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(REFRESH)
    for index in DIRECT:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")  # what is pending already


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in DIRECT:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
    op.execute(BASE.REFRESH)
