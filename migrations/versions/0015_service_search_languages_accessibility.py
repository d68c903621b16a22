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
import importlib.util
from pathlib import Path

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _migration(number: str):
    """Another migration's module (its file name starts with a digit, so it cannot be imported)."""
    spec = importlib.util.spec_from_file_location(f"migration_{number}",
                                                  next(Path(__file__).parent.glob(f"{number}_*.py")))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PREVIOUS = _migration("0013")  # its refresh, columns and trigger helpers (0012's, through it)
COPIED, _event, _referencing = PREVIOUS.COPIED, PREVIOUS._event, PREVIOUS._referencing
DERIVED = PREVIOUS.DERIVED + ("languages", "accessibility")

NEW_COLUMNS = """,
         coalesce((SELECT array_agg(DISTINCT l.code::text) FROM language l
                    WHERE l.service_id = s.id AND l.code IS NOT NULL), '{}'),
         coalesce((SELECT array_agg(DISTINCT a.details) FROM service_at_location sl
                    JOIN accessibility a ON a.location_id = sl.location_id
                    WHERE sl.service_id = s.id AND a.details IS NOT NULL), '{}')
  FROM service s
"""


def _column_lists(derived: tuple) -> list[str]:
    """The refresh's lists of columns, in the forms 0013 wrote them (most specific first)."""
    columns = COPIED + derived
    return [", ".join(f"{c} = EXCLUDED.{c}" for c in columns), ", ".join("d." + c for c in columns),
            ", ".join("EXCLUDED." + c for c in columns), ", ".join(columns)]


def _refresh() -> str:
    """0013's refresh with the two columns added: to its lists of columns and to its SELECT."""
    sql = PREVIOUS.REFRESH
    for old, new in zip(_column_lists(PREVIOUS.DERIVED), _column_lists(DERIVED)):
        assert sql.count(old) == 1, old
        sql = sql.replace(old, new)
    assert sql.count("\n  FROM service s\n") == 1
    return sql.replace("\n  FROM service s\n", NEW_COLUMNS)


REFRESH = _refresh()

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
    for name, body in TRIGGER_FUNCTIONS.items():
        table, event = name.rsplit("_search_", 1)[0], _event(name)
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} {_referencing(event)} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    op.execute("SELECT service_search_refresh(ARRAY(SELECT service_id FROM language WHERE service_id IS NOT NULL"
               " UNION " + AT_LOCATION.format(rows="accessibility") + "))")
    op.execute("ANALYZE service_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRIGGER_FUNCTIONS:
        op.execute(f"DROP TRIGGER {name} ON {name.rsplit('_search_', 1)[0]}")
        op.execute(f"DROP FUNCTION {name}()")
    op.execute("ALTER TABLE service_search DROP COLUMN languages, DROP COLUMN accessibility")
    op.execute(PREVIOUS.REFRESH)
