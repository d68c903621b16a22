"""search: each search row carries its service's languages and its locations' accessibility

Revision ID: 0015
Revises: 0014

The language and accessibility facets counted the matching services by joining ``language``
(and ``accessibility`` through ``service_at_location``) to the matches: the whole table, or one
look-up per match, for every search. With languages on a quarter of 100,000 listings that was
most of a place search's time. The filters were EXISTS subqueries per candidate. Now
``service_search`` carries ``languages`` (the codes of the service's languages) and
``accessibility`` (the details of its locations' accessibility), so a filter is an array test
on the row and a facet counts the matching rows' arrays.

Kept like the rest of the row: statement-level triggers on ``language`` (by service, as 0012's
on categories) and on ``accessibility`` (by the services at its location) refresh the services
they belong to. PostgreSQL only.
"""
from pathlib import Path

from alembic import op
from alembic.util import load_python_file

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


HERE = Path(__file__).parent
# (a migration's file name starts with a digit, so it is loaded as alembic loads it, not imported)
# The previous migration: its refresh and how to extend it, its columns, the trigger helpers.
PREVIOUS = load_python_file(HERE, next(HERE.glob("0013_*.py")).name)
DERIVED = PREVIOUS.DERIVED + ("languages", "accessibility")

NEW_COLUMNS = """,
         coalesce((SELECT array_agg(DISTINCT l.code::text) FROM language l
                    WHERE l.service_id = s.id AND l.code IS NOT NULL), '{}'),
         coalesce((SELECT array_agg(DISTINCT a.details) FROM service_at_location sl
                    JOIN accessibility a ON a.location_id = sl.location_id
                    WHERE sl.service_id = s.id AND a.details IS NOT NULL), '{}')
  FROM service s
"""


REFRESH = PREVIOUS.extend_refresh(PREVIOUS.REFRESH, PREVIOUS.DERIVED, DERIVED,
                                  [("\n  FROM service s\n", NEW_COLUMNS)])

# Languages by the services they belong to (0012's bodies for categories); accessibility by the
# services at its location.
TRIGGER_FUNCTIONS = {name.replace("attribute", "language"): body
                     for name, body in PREVIOUS.PREVIOUS.TRIGGER_FUNCTIONS.items() if name.startswith("attribute")}
AT_LOCATION = "SELECT sl.service_id FROM {rows} r JOIN service_at_location sl ON sl.location_id = r.location_id"
TRIGGER_FUNCTIONS.update({
    "accessibility_search_ins": f"PERFORM service_search_touch(ARRAY({AT_LOCATION.format(rows='new_rows')}));",
    "accessibility_search_del": f"PERFORM service_search_touch(ARRAY({AT_LOCATION.format(rows='old_rows')}));",
    "accessibility_search_upd": (f"PERFORM service_search_touch(ARRAY({AT_LOCATION.format(rows='new_rows')}"
                                 f" UNION {AT_LOCATION.format(rows='old_rows')}));"),
})


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE service_search ADD COLUMN languages text[] NOT NULL DEFAULT '{}', "
               "ADD COLUMN accessibility text[] NOT NULL DEFAULT '{}'")
    op.execute(REFRESH)
    PREVIOUS.create_statement_triggers(TRIGGER_FUNCTIONS)
    op.execute("SELECT service_search_refresh(ARRAY(SELECT service_id FROM language WHERE service_id IS NOT NULL"
               " UNION " + AT_LOCATION.format(rows="accessibility") + "))")
    op.execute("ANALYZE service_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    PREVIOUS.drop_statement_triggers(TRIGGER_FUNCTIONS)
    op.execute("ALTER TABLE service_search DROP COLUMN languages, DROP COLUMN accessibility")
    op.execute(PREVIOUS.REFRESH)
