"""search: category changes and the suggestion vocabulary are kept once per statement, not once per row

Revision ID: 0005
Revises: 0004

A bulk import writes a batch of categories in one statement (COPY); a row-level trigger ran one
UPDATE of the service per category row. Statement-level triggers with transition tables run one
UPDATE for all the services a statement touched. Likewise the vocabulary for "Did you mean"
(search_word): counting words row by row made every service insert update the same hot rows
(e.g. "support") again and again inside one transaction; now each statement adds its word counts
once. PostgreSQL only (SQLite keeps its change feed).
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


WORDS = """
  INSERT INTO search_word (word, n)
    SELECT w, count(*) FROM (
      SELECT DISTINCT c.id, w FROM changed c,
        regexp_split_to_table(lower(coalesce(c.name, '') || ' ' || coalesce(c.description, '') || ' ' ||
          coalesce((SELECT string_agg(t.name || ' ' || coalesce(p.name, ''), ' ') FROM attribute a
                    JOIN taxonomy_term t ON t.id = a.taxonomy_term_id LEFT JOIN taxonomy_term p ON p.id = t.parent_id
                    WHERE a.service_id = c.id), '')), '[^a-z]+') AS w
      WHERE length(w) >= 3) per_service
    GROUP BY w
  ON CONFLICT (word) DO UPDATE SET n = search_word.n + EXCLUDED.n;"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
CREATE OR REPLACE FUNCTION service_search_before() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE org text; cats text;
BEGIN
  SELECT name INTO org FROM organization WHERE id = NEW.organization_id;
  SELECT string_agg(t.name || ' ' || coalesce(p.name, ''), ' ') INTO cats
    FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
    LEFT JOIN taxonomy_term p ON p.id = t.parent_id WHERE a.service_id = NEW.id;
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(cats, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(org, '')), 'D');
  RETURN NEW;
END $$""")
    op.execute(f"""
CREATE FUNCTION service_search_words_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH changed AS (SELECT id, name, description FROM new_rows)
  {WORDS}
  RETURN NULL;
END $$""")
    op.execute(f"""
CREATE FUNCTION service_search_words_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH changed AS (SELECT n.id, n.name, n.description FROM new_rows n JOIN old_rows o ON o.id = n.id
                   WHERE n.name IS DISTINCT FROM o.name OR n.description IS DISTINCT FROM o.description)
  {WORDS}
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER service_search_words_ins AFTER INSERT ON service REFERENCING NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION service_search_words_ins()")
    op.execute("CREATE TRIGGER service_search_words_upd AFTER UPDATE ON service "
               "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION service_search_words_upd()")
    op.execute("DROP TRIGGER attribute_search_touch ON attribute")
    op.execute("""
CREATE FUNCTION attribute_search_touch_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE service SET name = name WHERE id IN (SELECT service_id FROM new_rows WHERE service_id IS NOT NULL);
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE service SET name = name WHERE id IN (SELECT service_id FROM old_rows WHERE service_id IS NOT NULL);
  ELSE
    UPDATE service SET name = name WHERE id IN (SELECT service_id FROM new_rows WHERE service_id IS NOT NULL
                                                UNION SELECT service_id FROM old_rows WHERE service_id IS NOT NULL);
  END IF;
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER attribute_search_touch_ins AFTER INSERT ON attribute REFERENCING NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION attribute_search_touch_rows()")
    op.execute("CREATE TRIGGER attribute_search_touch_del AFTER DELETE ON attribute REFERENCING OLD TABLE AS old_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION attribute_search_touch_rows()")
    op.execute("CREATE TRIGGER attribute_search_touch_upd AFTER UPDATE ON attribute "
               "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION attribute_search_touch_rows()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER service_search_words_ins ON service")
    op.execute("DROP TRIGGER service_search_words_upd ON service")
    op.execute("DROP FUNCTION service_search_words_ins()")
    op.execute("DROP FUNCTION service_search_words_upd()")
    # (service_search_before is left without the per-row word counting; re-run 0002 to restore it)
    for name in ("attribute_search_touch_ins", "attribute_search_touch_del", "attribute_search_touch_upd"):
        op.execute(f"DROP TRIGGER {name} ON attribute")
    op.execute("DROP FUNCTION attribute_search_touch_rows()")
    op.execute("CREATE TRIGGER attribute_search_touch AFTER INSERT OR UPDATE OR DELETE ON attribute "
               "FOR EACH ROW EXECUTE FUNCTION attribute_search_touch()")
