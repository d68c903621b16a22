"""search: each set a facet counts, also as one text value, so the facets group by text, not arrays

Revision ID: 0016
Revises: 0015

A search's facets count its matching rows by their sets of categories, languages and
accessibility features: rows with the same set are counted together, then the few sets are
unnested. Grouping by a ``text[]`` hashes and compares it element by element; for the 938
matches within 5 km of SE10 9 (100,000 services) the three groupings took 0.7 ms of a 2.7 ms
statement. Grouped by one text value each, they take about half that (docs/PERFORMANCE.md,
session 6).

``terms_set``, ``languages_set`` and ``accessibility_set`` are generated columns: the array's
text form (``{a,b}``, read back with ``CAST(... AS text[])``), NULL when the array is empty, so
they can never disagree with the arrays the filters use. PostgreSQL only.
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SETS = {"terms_set": "search_terms", "languages_set": "languages", "accessibility_set": "accessibility"}

# array_out is only "stable" because some element types' text depends on settings (dates,
# floats); a text[]'s text depends on nothing but its elements, so this is immutable.
SET_KEY = """
CREATE FUNCTION search_set_key(a text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN cardinality(a) > 0 THEN CAST(a AS text) END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(SET_KEY)
    op.execute("ALTER TABLE service_search " + ", ".join(
        f"ADD COLUMN {column} text GENERATED ALWAYS AS (search_set_key({array})) STORED"
        for column, array in SETS.items()))
    op.execute("ANALYZE service_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE service_search " + ", ".join(f"DROP COLUMN {column}" for column in SETS))
    op.execute("DROP FUNCTION search_set_key(text[])")
