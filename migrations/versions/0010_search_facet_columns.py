"""search: each service carries its category ids (with their ancestors) and whether it is free

Revision ID: 0010
Revises: 0009

Facets and the category and free filters used to join attribute, taxonomy_term and cost_option
for every matched service (about 3.5 ms for 400 matches, 11 ms for 2,000). The same triggers that
keep ``search_vector`` now keep two more columns on the service, in the same transaction:

- ``search_terms``: the ids of the service's categories and of all their ancestors, so "in this
  category or below" is ``search_terms @> ARRAY[id]`` and the category facet is an ``unnest``;
- ``search_free``: some cost option of the service has amount 0.

The row trigger now runs only when a column it reads changes (name, description, organisation),
or when a category, organisation or term change touches the service (``SET name = name``), so a
status change or the free flag alone no longer rebuilds the text vector. PostgreSQL only.
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SERVICE_BEFORE = """
CREATE OR REPLACE FUNCTION service_search_before() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE org text; cats text; terms text[];
BEGIN
  SELECT name INTO org FROM organization WHERE id = NEW.organization_id;
  SELECT string_agg(t.name || ' ' || coalesce(p.name, ''), ' ') INTO cats
    FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
    LEFT JOIN taxonomy_term p ON p.id = t.parent_id WHERE a.service_id = NEW.id;
  WITH RECURSIVE up(id, parent_id) AS (
      SELECT t.id, t.parent_id FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
      WHERE a.service_id = NEW.id
    UNION
      SELECT p.id, p.parent_id FROM up JOIN taxonomy_term p ON p.id = up.parent_id)
  SELECT coalesce(array_agg(DISTINCT id::text), '{}') INTO terms FROM up;
  NEW.search_terms := terms;
  NEW.search_free := EXISTS (SELECT 1 FROM cost_option c WHERE c.service_id = NEW.id AND c.amount = 0);
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(cats, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(org, '')), 'D');
  RETURN NEW;
END $$"""

# Only the free flag: a direct update of one column, which does not fire the row trigger above.
COST_TOUCH = """
CREATE FUNCTION cost_option_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH ids AS (
    SELECT service_id FROM new_rows WHERE service_id IS NOT NULL
    UNION SELECT service_id FROM old_rows WHERE service_id IS NOT NULL),
  flags AS (
    SELECT ids.service_id AS id,
           EXISTS (SELECT 1 FROM cost_option c WHERE c.service_id = ids.service_id AND c.amount = 0) AS free
    FROM ids)
  UPDATE service s SET search_free = flags.free FROM flags
  WHERE s.id = flags.id AND s.search_free IS DISTINCT FROM flags.free;
  RETURN NULL;
END $$"""

TERM_PARENT_TOUCH = """
CREATE FUNCTION taxonomy_term_parent_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH RECURSIVE down(id) AS (
      SELECT NEW.id
    UNION
      SELECT t.id FROM taxonomy_term t JOIN down ON t.parent_id = down.id)
  UPDATE service SET name = name
  WHERE id IN (SELECT a.service_id FROM attribute a JOIN down ON down.id = a.taxonomy_term_id);
  RETURN NULL;
END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE service ADD COLUMN search_terms text[] NOT NULL DEFAULT '{}', "
               "ADD COLUMN search_free boolean NOT NULL DEFAULT false")
    op.execute(SERVICE_BEFORE)
    op.execute("DROP TRIGGER service_search_before ON service")
    op.execute("CREATE TRIGGER service_search_before BEFORE INSERT OR UPDATE OF name, description, organization_id "
               "ON service FOR EACH ROW EXECUTE FUNCTION service_search_before()")
    # A trigger with transition tables serves one event, hence three.
    op.execute(COST_TOUCH)
    op.execute("""
CREATE FUNCTION cost_option_search_touch_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH flags AS (SELECT DISTINCT service_id AS id FROM new_rows WHERE service_id IS NOT NULL AND amount = 0)
  UPDATE service s SET search_free = true FROM flags WHERE s.id = flags.id AND NOT s.search_free;
  RETURN NULL;
END $$""")
    op.execute("""
CREATE FUNCTION cost_option_search_touch_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH flags AS (
    SELECT ids.service_id AS id,
           EXISTS (SELECT 1 FROM cost_option c WHERE c.service_id = ids.service_id AND c.amount = 0) AS free
    FROM (SELECT DISTINCT service_id FROM old_rows WHERE service_id IS NOT NULL) ids)
  UPDATE service s SET search_free = flags.free FROM flags
  WHERE s.id = flags.id AND s.search_free IS DISTINCT FROM flags.free;
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER cost_option_search_touch_ins AFTER INSERT ON cost_option "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cost_option_search_touch_ins()")
    op.execute("CREATE TRIGGER cost_option_search_touch_del AFTER DELETE ON cost_option "
               "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cost_option_search_touch_del()")
    op.execute("CREATE TRIGGER cost_option_search_touch_upd AFTER UPDATE ON cost_option "
               "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION cost_option_search_touch()")
    op.execute(TERM_PARENT_TOUCH)
    op.execute("CREATE TRIGGER taxonomy_term_parent_touch AFTER UPDATE OF parent_id ON taxonomy_term "
               "FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id) "
               "EXECUTE FUNCTION taxonomy_term_parent_touch()")
    op.execute("UPDATE service SET name = name")
    op.execute("CREATE INDEX ix_service_search_terms ON service USING gin (search_terms)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_service_search_terms")
    op.execute("DROP TRIGGER taxonomy_term_parent_touch ON taxonomy_term")
    op.execute("DROP FUNCTION taxonomy_term_parent_touch()")
    for name in ("cost_option_search_touch_ins", "cost_option_search_touch_del", "cost_option_search_touch_upd"):
        op.execute(f"DROP TRIGGER {name} ON cost_option")
    for fn in ("cost_option_search_touch_ins", "cost_option_search_touch_del", "cost_option_search_touch"):
        op.execute(f"DROP FUNCTION {fn}()")
    op.execute("DROP TRIGGER service_search_before ON service")
    op.execute(SERVICE_BEFORE.replace("  NEW.search_terms := terms;\n", "").replace(
        "  NEW.search_free := EXISTS (SELECT 1 FROM cost_option c WHERE c.service_id = NEW.id AND c.amount = 0);\n", ""))
    op.execute("CREATE TRIGGER service_search_before BEFORE INSERT OR UPDATE ON service "
               "FOR EACH ROW EXECUTE FUNCTION service_search_before()")
    op.execute("ALTER TABLE service DROP COLUMN search_terms, DROP COLUMN search_free")
