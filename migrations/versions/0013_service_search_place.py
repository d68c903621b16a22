"""search: each search row carries its service's points and area codes, so a place is one scan

Revision ID: 0013
Revises: 0012

A search by place found its candidates in two places (the GiST index on service_at_location for
locations near the place, service_area for areas covering it), grouped them by service and then
looked each one up in ``service_search`` by key: about 9 us a candidate, so the 2,100 candidates
within 5 km of Westminster took 21 ms. Now ``service_search`` carries ``geom`` (the points of the
service's locations, one MultiPoint; ST_Distance to it is the distance to the nearest location)
in a GiST index and ``area_codes`` (the ONS codes of its service areas) in a GIN index, so the
candidates and every column search needs come from one bitmap scan of one table (10 ms for the
same search). Drawn areas (GeoJSON) are few and still come from service_area.

Kept like the rest of the row: statement-level triggers on service_at_location (its point follows
its location: 0011) and on service_area refresh the services they belong to. PostgreSQL only.
"""
from pathlib import Path

from alembic import op
from alembic.util import load_python_file

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


HERE = Path(__file__).parent
# (a migration's file name starts with a digit, so it is loaded as alembic loads it, not imported)
# The previous migration: its columns, visibility, trigger helpers and (for downgrade) refresh.
PREVIOUS = load_python_file(HERE, next(HERE.glob("0012_*.py")).name)
COPIED, VISIBLE = PREVIOUS.COPIED, PREVIOUS.VISIBLE
create_statement_triggers = PREVIOUS.create_statement_triggers
drop_statement_triggers = PREVIOUS.drop_statement_triggers
DERIVED = PREVIOUS.DERIVED + ("geom", "area_codes")


def column_lists(derived: tuple) -> list[str]:
    """The refresh's lists of columns, in the forms 0012 wrote them (most specific first)."""
    columns = COPIED + derived
    return [", ".join(f"{c} = EXCLUDED.{c}" for c in columns), ", ".join("d." + c for c in columns),
            ", ".join("EXCLUDED." + c for c in columns), ", ".join(columns)]


def extend_refresh(sql: str, derived_before: tuple, derived_after: tuple, edits: list[tuple[str, str]]) -> str:
    """A refresh function's SQL with derived columns added: its four lists of columns, then each
    (old, new) edit. Each piece must be found exactly once (later migrations extend it too)."""
    for old, new in [*zip(column_lists(derived_before), column_lists(derived_after)), *edits]:
        assert sql.count(old) == 1, old
        sql = sql.replace(old, new)
    return sql


# 0012's refresh, with the points of the service's locations (one MultiPoint) and its areas' codes.
REFRESH = extend_refresh(PREVIOUS.REFRESH, PREVIOUS.DERIVED, DERIVED, [
    ("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
    ("\n  FROM service s\n", """,
         g.geom,
         coalesce((SELECT array_agg(DISTINCT a.area_code::text) FROM service_area a
                    WHERE a.service_id = s.id AND a.area_code IS NOT NULL), '{}')
  FROM service s
"""),
    ("\n  WHERE s.id = ANY(ids)", """
  LEFT JOIN LATERAL (SELECT ST_Collect(sl.geom::geometry)::geography AS geom FROM service_at_location sl
                     WHERE sl.service_id = s.id AND sl.geom IS NOT NULL) g ON true
  WHERE s.id = ANY(ids)"""),
    ("\n  ON CONFLICT", """
  -- rows near each other on the same pages: a place's candidates in a bulk-written table are read
  -- from a few hundred pages, not one page each
  ORDER BY ST_GeoHash(g.geom::geometry, 6)
  ON CONFLICT"""),
])

# Locations and areas, by the services they belong to (old and new owners on update): the same
# bodies as 0012's attribute triggers.
TRIGGER_FUNCTIONS = {name.replace("attribute", table): body
                     for table in ("service_at_location", "service_area")
                     for name, body in PREVIOUS.TRIGGER_FUNCTIONS.items() if name.startswith("attribute")}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE service_search ADD COLUMN geom geography, "
               "ADD COLUMN area_codes text[] NOT NULL DEFAULT '{}'")
    op.execute(REFRESH)
    create_statement_triggers(TRIGGER_FUNCTIONS)
    op.execute("SELECT service_search_refresh(ARRAY(SELECT service_id FROM service_at_location"
               " UNION SELECT service_id FROM service_area))")
    op.execute("CREATE INDEX ix_service_search_geom ON service_search USING gist (geom)")
    op.execute("CREATE INDEX ix_service_search_area_codes ON service_search USING gin (area_codes)")
    op.execute("ANALYZE service_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    drop_statement_triggers(TRIGGER_FUNCTIONS)
    op.execute("ALTER TABLE service_search DROP COLUMN geom, DROP COLUMN area_codes")
    op.execute(PREVIOUS.REFRESH.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
