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
import importlib.util
from pathlib import Path

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _migration(number: str):
    """Another migration's module (its file name starts with a digit, so it cannot be imported)."""
    spec = importlib.util.spec_from_file_location(f"migration_{number}",
                                                  next(Path(__file__).parent.glob(f"{number}_*.py")))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PREVIOUS = _migration("0012")  # its columns, visibility, trigger helpers and (for downgrade) refresh
COPIED, VISIBLE, _event, _referencing = PREVIOUS.COPIED, PREVIOUS.VISIBLE, PREVIOUS._event, PREVIOUS._referencing
DERIVED = PREVIOUS.DERIVED + ("geom", "area_codes")


REFRESH = f"""
CREATE OR REPLACE FUNCTION service_search_refresh(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM service_search WHERE id = ANY(ids)
    AND id NOT IN (SELECT id FROM service WHERE id = ANY(ids) AND status IN {VISIBLE});
  INSERT INTO service_search AS d (id, {", ".join(COPIED + DERIVED)})
  SELECT s.id, {", ".join("s." + c for c in COPIED)}, lower(s.name),
         EXISTS (SELECT 1 FROM cost_option c WHERE c.service_id = s.id AND c.amount = 0),
         coalesce(t.terms, '{{}}'),
         setweight(to_tsvector('english', coalesce(s.name, '')), 'A') ||
         setweight(to_tsvector('english', coalesce(t.cats, '')), 'B') ||
         setweight(to_tsvector('english', coalesce(s.description, '')), 'C') ||
         setweight(to_tsvector('english', coalesce(o.name, '')), 'D'),
         g.geom,
         coalesce((SELECT array_agg(DISTINCT a.area_code::text) FROM service_area a
                    WHERE a.service_id = s.id AND a.area_code IS NOT NULL), '{{}}')
  FROM service s
  LEFT JOIN organization o ON o.id = s.organization_id
  LEFT JOIN LATERAL (
    SELECT (SELECT string_agg(tt.name || ' ' || coalesce(p.name, ''), ' ')
              FROM attribute a JOIN taxonomy_term tt ON tt.id = a.taxonomy_term_id
              LEFT JOIN taxonomy_term p ON p.id = tt.parent_id WHERE a.service_id = s.id) AS cats,
           (WITH RECURSIVE up(id, parent_id) AS (
                SELECT tt.id, tt.parent_id FROM attribute a JOIN taxonomy_term tt ON tt.id = a.taxonomy_term_id
                WHERE a.service_id = s.id
              UNION
                SELECT p.id, p.parent_id FROM up JOIN taxonomy_term p ON p.id = up.parent_id)
            SELECT array_agg(DISTINCT up.id::text) FROM up) AS terms) t ON true
  LEFT JOIN LATERAL (SELECT ST_Collect(sl.geom::geometry)::geography AS geom FROM service_at_location sl
                     WHERE sl.service_id = s.id AND sl.geom IS NOT NULL) g ON true
  WHERE s.id = ANY(ids) AND s.status IN {VISIBLE}
  -- rows near each other on the same pages: a place's candidates in a bulk-written table are read
  -- from a few hundred pages, not one page each
  ORDER BY ST_GeoHash(g.geom::geometry, 6)
  ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in COPIED + DERIVED)}
  WHERE ({", ".join("d." + c for c in COPIED + DERIVED)})
        IS DISTINCT FROM ({", ".join("EXCLUDED." + c for c in COPIED + DERIVED)});
END $$"""

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
    for name, body in TRIGGER_FUNCTIONS.items():
        table, event = name.rsplit("_search_", 1)[0], _event(name)
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} {_referencing(event)} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    op.execute("SELECT service_search_refresh(ARRAY(SELECT service_id FROM service_at_location"
               " UNION SELECT service_id FROM service_area))")
    op.execute("CREATE INDEX ix_service_search_geom ON service_search USING gist (geom)")
    op.execute("CREATE INDEX ix_service_search_area_codes ON service_search USING gin (area_codes)")
    op.execute("ANALYZE service_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRIGGER_FUNCTIONS:
        op.execute(f"DROP TRIGGER {name} ON {name.rsplit('_search_', 1)[0]}")
        op.execute(f"DROP FUNCTION {name}()")
    op.execute("ALTER TABLE service_search DROP COLUMN geom, DROP COLUMN area_codes")
    op.execute(PREVIOUS.REFRESH.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
