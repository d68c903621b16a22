"""search: a narrow search document per service, kept by statement-level triggers

Revision ID: 0012
Revises: 0011

Words alone ("support", "community") match tens of thousands of services, and the search reads
every match to rank it. Read from ``service`` (wide rows: descriptions, every column; and bloated
by the updates a listing goes through) ranking 100,000 matches took 47 ms; read from a table with
only what search needs it took 23 ms. So search now reads ``service_search``: one row per visible
service (active or temporarily closed; a listing that stops being visible loses its row) with the
columns the filters, facets, tiers and sorts use, the weighted ``search_vector`` (GIN), the facet
columns ``search_terms`` (the ids of the service's categories and of all their ancestors: "in this
category or below" is ``search_terms @> ARRAY[id]``, the category facet an ``unnest``),
``search_free`` (some cost option is free) and ``sort_name``, the name in lower case compared byte
by byte. The columns keep the service's names, so the search SQL reads the
same against either.

It is derived data, kept in the listing's transaction by statement-level triggers (one set-based
refresh per statement: a bulk import refreshes a batch at once): on service insert and on update
of any column it copies, on category (attribute), cost option, organisation name and taxonomy
term (name or parent) changes. A deleted service takes its row with it (ON DELETE CASCADE).
The column and the row trigger on ``service`` that 0002-0005 used are dropped. PostgreSQL only.
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COPIED = ("name", "organization_id", "status", "last_reviewed_at", "deprioritised_at", "minimum_age", "maximum_age",
          "self_referral", "professional_referral", "delivered_in_person", "delivered_online", "delivered_by_phone")
# assets_hub.directory.services.VISIBLE_STATUSES: only listings search may show have a document.
VISIBLE = "('active', 'temporarily closed')"
DERIVED = ("sort_name", "search_free", "search_terms", "search_vector")

REFRESH = f"""
CREATE FUNCTION service_search_refresh(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
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
         setweight(to_tsvector('english', coalesce(o.name, '')), 'D')
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
  WHERE s.id = ANY(ids) AND s.status IN {VISIBLE}
  ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in COPIED + DERIVED)}
  WHERE ({", ".join("d." + c for c in COPIED + DERIVED)})
        IS DISTINCT FROM ({", ".join("EXCLUDED." + c for c in COPIED + DERIVED)});
END $$"""  # plpgsql, not sql: its statements' plans are kept per session (a single edit: 0.3 ms, not 0.55)

CHANGED = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in COPIED + ("description",))

# A bulk writer (the HSDS importer) may defer the refresh within its transaction:
#   SET LOCAL assets_hub.search_refresh = 'deferred'; ...writes...; SELECT service_search_flush();
# so a service written with its categories and costs in three statements is refreshed once (and
# its row is written once, not three times: a freshly imported table stays compact). Whatever is
# still pending at commit is refreshed then (a deferred constraint trigger), so nothing goes stale.
TOUCH = """
CREATE FUNCTION service_search_touch(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('assets_hub.search_refresh', true) = 'deferred' THEN
    INSERT INTO service_search_pending (id) SELECT DISTINCT unnest(ids) ON CONFLICT DO NOTHING;
    -- one marker row per transaction: its deferred trigger flushes at commit, once
    INSERT INTO service_search_commit (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
  ELSE
    PERFORM service_search_refresh(ids);
  END IF;
END $$"""
FLUSH = """
CREATE FUNCTION service_search_flush() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE ids text[];
BEGIN
  WITH gone AS (DELETE FROM service_search_pending RETURNING id)
  SELECT coalesce(array_agg(id), '{}') INTO ids FROM gone;
  IF cardinality(ids) > 0 THEN
    PERFORM service_search_refresh(ids);
  END IF;
  RETURN cardinality(ids);
END $$"""
FLUSH_AT_COMMIT = """
CREATE FUNCTION service_search_flush_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM service_search_flush();
  DELETE FROM service_search_commit WHERE txid = NEW.txid;
  RETURN NULL;
END $$"""

TRIGGER_FUNCTIONS = {
    # service: every inserted row; updated rows where a copied or searched column changed
    "service_search_ins": "PERFORM service_search_touch(ARRAY(SELECT id FROM new_rows));",
    "service_search_upd": ("PERFORM service_search_touch(ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o"
                           f" ON o.id = n.id WHERE {CHANGED}));"),
    # categories and cost options, by the services they belong to
    "attribute_search_ins": ("PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM new_rows"
                             " WHERE service_id IS NOT NULL));"),
    "attribute_search_del": ("PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM old_rows"
                             " WHERE service_id IS NOT NULL));"),
    "attribute_search_upd": ("PERFORM service_search_touch(ARRAY(SELECT service_id FROM new_rows"
                             " WHERE service_id IS NOT NULL UNION SELECT service_id FROM old_rows"
                             " WHERE service_id IS NOT NULL));"),
}
TRIGGER_FUNCTIONS.update({name.replace("attribute", "cost_option"): body
                          for name, body in list(TRIGGER_FUNCTIONS.items()) if name.startswith("attribute")})

# Row triggers of earlier migrations, re-pointed at the document (their triggers stay), and one
# new: a term moved to another parent moves its services (and its descendants') with it.
ORGANIZATION_TOUCH = """
CREATE OR REPLACE FUNCTION organization_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM service_search_refresh(ARRAY(SELECT id FROM service WHERE organization_id = NEW.id));
  RETURN NULL;
END $$"""
TERM_TOUCH = """
CREATE OR REPLACE FUNCTION taxonomy_term_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM service_search_refresh(ARRAY(SELECT service_id FROM attribute WHERE taxonomy_term_id = NEW.id
                                       AND service_id IS NOT NULL));
  RETURN NULL;
END $$"""
TERM_PARENT_TOUCH = """
CREATE FUNCTION taxonomy_term_parent_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM service_search_refresh(ARRAY(
    WITH RECURSIVE down(id) AS (
        SELECT NEW.id
      UNION
        SELECT t.id FROM taxonomy_term t JOIN down ON t.parent_id = down.id)
    SELECT DISTINCT a.service_id FROM attribute a JOIN down ON down.id = a.taxonomy_term_id
    WHERE a.service_id IS NOT NULL));
  RETURN NULL;
END $$"""

OLD_TRIGGERS = (("service_search_before", "service"), ("attribute_search_touch_ins", "attribute"),
                ("attribute_search_touch_del", "attribute"), ("attribute_search_touch_upd", "attribute"))


def _event(name: str) -> str:
    return {"ins": "INSERT", "del": "DELETE", "upd": "UPDATE"}[name.rsplit("_", 1)[1]]


def _referencing(event: str) -> str:
    return {"INSERT": "REFERENCING NEW TABLE AS new_rows", "DELETE": "REFERENCING OLD TABLE AS old_rows",
            "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"}[event]


def create_statement_triggers(functions: dict[str, str]) -> None:
    """For each ``<table>_search_<ins|del|upd>: body``, a trigger function and its statement-level
    trigger on that table (later migrations add theirs with this too)."""
    for name, body in functions.items():
        table, event = name.rsplit("_search_", 1)[0], _event(name)
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} {_referencing(event)} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")


def drop_statement_triggers(functions: dict[str, str]) -> None:
    for name in functions:
        op.execute(f"DROP TRIGGER {name} ON {name.rsplit('_search_', 1)[0]}")
        op.execute(f"DROP FUNCTION {name}()")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
CREATE TABLE service_search (
  id varchar(36) PRIMARY KEY REFERENCES service (id) ON DELETE CASCADE,
  name varchar(255) NOT NULL,
  organization_id varchar(36) NOT NULL,
  status varchar(20) NOT NULL,
  last_reviewed_at timestamptz,
  deprioritised_at timestamptz,
  minimum_age integer,
  maximum_age integer,
  self_referral boolean NOT NULL,
  professional_referral boolean NOT NULL,
  delivered_in_person boolean NOT NULL,
  delivered_online boolean NOT NULL,
  delivered_by_phone boolean NOT NULL,
  sort_name text COLLATE "C" NOT NULL,
  search_free boolean NOT NULL,
  search_terms text[] NOT NULL,
  search_vector tsvector NOT NULL)""")
    op.execute("CREATE TABLE service_search_pending (id varchar(36) PRIMARY KEY)")
    op.execute("CREATE TABLE service_search_commit (txid bigint PRIMARY KEY)")
    for sql in (REFRESH, TOUCH, FLUSH, FLUSH_AT_COMMIT):
        op.execute(sql)
    op.execute("CREATE CONSTRAINT TRIGGER service_search_flush_at_commit AFTER INSERT ON service_search_commit "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION service_search_flush_at_commit()")
    for name, table in OLD_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    create_statement_triggers(TRIGGER_FUNCTIONS)
    for sql in (ORGANIZATION_TOUCH, TERM_TOUCH, TERM_PARENT_TOUCH):
        op.execute(sql)
    op.execute("CREATE TRIGGER taxonomy_term_parent_touch AFTER UPDATE OF parent_id ON taxonomy_term "
               "FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id) "
               "EXECUTE FUNCTION taxonomy_term_parent_touch()")
    op.execute("SELECT service_search_refresh(ARRAY(SELECT id FROM service))")
    op.execute("CREATE INDEX ix_service_search_vector_doc ON service_search USING gin (search_vector)")
    op.execute("CREATE INDEX ix_service_search_terms_doc ON service_search USING gin (search_terms)")
    op.execute("ANALYZE service_search")
    op.execute("DROP INDEX ix_service_search_vector")
    op.execute("ALTER TABLE service DROP COLUMN search_vector")


def downgrade() -> None:
    """Back to 0011: the vector on ``service`` kept by its row trigger and the touches of 0002-0005."""
    if op.get_bind().dialect.name != "postgresql":
        return
    drop_statement_triggers(TRIGGER_FUNCTIONS)
    op.execute("DROP TRIGGER taxonomy_term_parent_touch ON taxonomy_term")
    op.execute("DROP FUNCTION taxonomy_term_parent_touch()")
    op.execute("DROP TABLE service_search")
    op.execute("DROP TABLE service_search_pending")
    op.execute("DROP TABLE service_search_commit")
    for fn in ("service_search_flush_at_commit()", "service_search_flush()", "service_search_touch(text[])",
               "service_search_refresh(text[])"):
        op.execute(f"DROP FUNCTION {fn}")
    op.execute("""
CREATE OR REPLACE FUNCTION organization_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE service SET name = name WHERE organization_id = NEW.id;
  RETURN NULL;
END $$""")
    op.execute("""
CREATE OR REPLACE FUNCTION taxonomy_term_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE service SET name = name WHERE id IN (SELECT service_id FROM attribute WHERE taxonomy_term_id = NEW.id);
  RETURN NULL;
END $$""")
    for name in ("attribute_search_touch_ins", "attribute_search_touch_del", "attribute_search_touch_upd"):
        event = _event(name)
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON attribute {_referencing(event)} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION attribute_search_touch_rows()")
    # service_search_before (0005's version) computes the vector again for every service.
    op.execute("ALTER TABLE service ADD COLUMN search_vector tsvector")
    op.execute("CREATE TRIGGER service_search_before BEFORE INSERT OR UPDATE ON service "
               "FOR EACH ROW EXECUTE FUNCTION service_search_before()")
    op.execute("UPDATE service SET name = name")
    op.execute("CREATE INDEX ix_service_search_vector ON service USING gin (search_vector)")
