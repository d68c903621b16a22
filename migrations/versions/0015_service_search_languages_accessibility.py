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
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# The statements as this migration first ran them, frozen: a migration never loads another, so
# later changes to the search document (search/document_pg.sql is today's) cannot change
# what this one did. PostgreSQL only.
UPGRADE = [
    "ALTER TABLE service_search ADD COLUMN languages text[] NOT NULL DEFAULT '{}', ADD COLUMN accessibility text[] NOT NULL DEFAULT '{}'",
    '''
CREATE OR REPLACE FUNCTION service_search_refresh(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM service_search WHERE id = ANY(ids)
    AND id NOT IN (SELECT id FROM service WHERE id = ANY(ids) AND status IN ('active', 'temporarily closed'));
  INSERT INTO service_search AS d (id, name, organization_id, status, last_reviewed_at, deprioritised_at, minimum_age, maximum_age, self_referral, professional_referral, delivered_in_person, delivered_online, delivered_by_phone, sort_name, search_free, search_terms, search_vector, geom, area_codes, languages, accessibility)
  SELECT s.id, s.name, s.organization_id, s.status, s.last_reviewed_at, s.deprioritised_at, s.minimum_age, s.maximum_age, s.self_referral, s.professional_referral, s.delivered_in_person, s.delivered_online, s.delivered_by_phone, lower(s.name),
         EXISTS (SELECT 1 FROM cost_option c WHERE c.service_id = s.id AND c.amount = 0),
         coalesce(t.terms, '{}'),
         setweight(to_tsvector('english', coalesce(s.name, '')), 'A') ||
         setweight(to_tsvector('english', coalesce(t.cats, '')), 'B') ||
         setweight(to_tsvector('english', coalesce(s.description, '')), 'C') ||
         setweight(to_tsvector('english', coalesce(o.name, '')), 'D'),
         g.geom,
         coalesce((SELECT array_agg(DISTINCT a.area_code::text) FROM service_area a
                    WHERE a.service_id = s.id AND a.area_code IS NOT NULL), '{}'),
         coalesce((SELECT array_agg(DISTINCT l.code::text) FROM language l
                    WHERE l.service_id = s.id AND l.code IS NOT NULL), '{}'),
         coalesce((SELECT array_agg(DISTINCT a.details) FROM service_at_location sl
                    JOIN accessibility a ON a.location_id = sl.location_id
                    WHERE sl.service_id = s.id AND a.details IS NOT NULL), '{}')
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
  WHERE s.id = ANY(ids) AND s.status IN ('active', 'temporarily closed')
  -- rows near each other on the same pages: a place's candidates in a bulk-written table are read
  -- from a few hundred pages, not one page each
  ORDER BY ST_GeoHash(g.geom::geometry, 6)
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, organization_id = EXCLUDED.organization_id, status = EXCLUDED.status, last_reviewed_at = EXCLUDED.last_reviewed_at, deprioritised_at = EXCLUDED.deprioritised_at, minimum_age = EXCLUDED.minimum_age, maximum_age = EXCLUDED.maximum_age, self_referral = EXCLUDED.self_referral, professional_referral = EXCLUDED.professional_referral, delivered_in_person = EXCLUDED.delivered_in_person, delivered_online = EXCLUDED.delivered_online, delivered_by_phone = EXCLUDED.delivered_by_phone, sort_name = EXCLUDED.sort_name, search_free = EXCLUDED.search_free, search_terms = EXCLUDED.search_terms, search_vector = EXCLUDED.search_vector, geom = EXCLUDED.geom, area_codes = EXCLUDED.area_codes, languages = EXCLUDED.languages, accessibility = EXCLUDED.accessibility
  WHERE (d.name, d.organization_id, d.status, d.last_reviewed_at, d.deprioritised_at, d.minimum_age, d.maximum_age, d.self_referral, d.professional_referral, d.delivered_in_person, d.delivered_online, d.delivered_by_phone, d.sort_name, d.search_free, d.search_terms, d.search_vector, d.geom, d.area_codes, d.languages, d.accessibility)
        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.organization_id, EXCLUDED.status, EXCLUDED.last_reviewed_at, EXCLUDED.deprioritised_at, EXCLUDED.minimum_age, EXCLUDED.maximum_age, EXCLUDED.self_referral, EXCLUDED.professional_referral, EXCLUDED.delivered_in_person, EXCLUDED.delivered_online, EXCLUDED.delivered_by_phone, EXCLUDED.sort_name, EXCLUDED.search_free, EXCLUDED.search_terms, EXCLUDED.search_vector, EXCLUDED.geom, EXCLUDED.area_codes, EXCLUDED.languages, EXCLUDED.accessibility);
END $$
''',
    'CREATE FUNCTION language_search_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM new_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $$',
    'CREATE TRIGGER language_search_ins AFTER INSERT ON language REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION language_search_ins()',
    'CREATE FUNCTION language_search_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $$',
    'CREATE TRIGGER language_search_del AFTER DELETE ON language REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION language_search_del()',
    'CREATE FUNCTION language_search_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM service_search_touch(ARRAY(SELECT service_id FROM new_rows WHERE service_id IS NOT NULL UNION SELECT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $$',
    'CREATE TRIGGER language_search_upd AFTER UPDATE ON language REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION language_search_upd()',
    'CREATE FUNCTION accessibility_search_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM service_search_touch(ARRAY(SELECT sl.service_id FROM new_rows r JOIN service_at_location sl ON sl.location_id = r.location_id)); RETURN NULL; END $$',
    'CREATE TRIGGER accessibility_search_ins AFTER INSERT ON accessibility REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION accessibility_search_ins()',
    'CREATE FUNCTION accessibility_search_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM service_search_touch(ARRAY(SELECT sl.service_id FROM old_rows r JOIN service_at_location sl ON sl.location_id = r.location_id)); RETURN NULL; END $$',
    'CREATE TRIGGER accessibility_search_del AFTER DELETE ON accessibility REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION accessibility_search_del()',
    'CREATE FUNCTION accessibility_search_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM service_search_touch(ARRAY(SELECT sl.service_id FROM new_rows r JOIN service_at_location sl ON sl.location_id = r.location_id UNION SELECT sl.service_id FROM old_rows r JOIN service_at_location sl ON sl.location_id = r.location_id)); RETURN NULL; END $$',
    'CREATE TRIGGER accessibility_search_upd AFTER UPDATE ON accessibility REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION accessibility_search_upd()',
    'SELECT service_search_refresh(ARRAY(SELECT service_id FROM language WHERE service_id IS NOT NULL UNION SELECT sl.service_id FROM accessibility r JOIN service_at_location sl ON sl.location_id = r.location_id))',
    'ANALYZE service_search',
]

DOWNGRADE = [
    'DROP TRIGGER language_search_ins ON language',
    'DROP FUNCTION language_search_ins()',
    'DROP TRIGGER language_search_del ON language',
    'DROP FUNCTION language_search_del()',
    'DROP TRIGGER language_search_upd ON language',
    'DROP FUNCTION language_search_upd()',
    'DROP TRIGGER accessibility_search_ins ON accessibility',
    'DROP FUNCTION accessibility_search_ins()',
    'DROP TRIGGER accessibility_search_del ON accessibility',
    'DROP FUNCTION accessibility_search_del()',
    'DROP TRIGGER accessibility_search_upd ON accessibility',
    'DROP FUNCTION accessibility_search_upd()',
    'ALTER TABLE service_search DROP COLUMN languages, DROP COLUMN accessibility',
    '''
CREATE OR REPLACE FUNCTION service_search_refresh(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM service_search WHERE id = ANY(ids)
    AND id NOT IN (SELECT id FROM service WHERE id = ANY(ids) AND status IN ('active', 'temporarily closed'));
  INSERT INTO service_search AS d (id, name, organization_id, status, last_reviewed_at, deprioritised_at, minimum_age, maximum_age, self_referral, professional_referral, delivered_in_person, delivered_online, delivered_by_phone, sort_name, search_free, search_terms, search_vector, geom, area_codes)
  SELECT s.id, s.name, s.organization_id, s.status, s.last_reviewed_at, s.deprioritised_at, s.minimum_age, s.maximum_age, s.self_referral, s.professional_referral, s.delivered_in_person, s.delivered_online, s.delivered_by_phone, lower(s.name),
         EXISTS (SELECT 1 FROM cost_option c WHERE c.service_id = s.id AND c.amount = 0),
         coalesce(t.terms, '{}'),
         setweight(to_tsvector('english', coalesce(s.name, '')), 'A') ||
         setweight(to_tsvector('english', coalesce(t.cats, '')), 'B') ||
         setweight(to_tsvector('english', coalesce(s.description, '')), 'C') ||
         setweight(to_tsvector('english', coalesce(o.name, '')), 'D'),
         g.geom,
         coalesce((SELECT array_agg(DISTINCT a.area_code::text) FROM service_area a
                    WHERE a.service_id = s.id AND a.area_code IS NOT NULL), '{}')
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
  WHERE s.id = ANY(ids) AND s.status IN ('active', 'temporarily closed')
  -- rows near each other on the same pages: a place's candidates in a bulk-written table are read
  -- from a few hundred pages, not one page each
  ORDER BY ST_GeoHash(g.geom::geometry, 6)
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, organization_id = EXCLUDED.organization_id, status = EXCLUDED.status, last_reviewed_at = EXCLUDED.last_reviewed_at, deprioritised_at = EXCLUDED.deprioritised_at, minimum_age = EXCLUDED.minimum_age, maximum_age = EXCLUDED.maximum_age, self_referral = EXCLUDED.self_referral, professional_referral = EXCLUDED.professional_referral, delivered_in_person = EXCLUDED.delivered_in_person, delivered_online = EXCLUDED.delivered_online, delivered_by_phone = EXCLUDED.delivered_by_phone, sort_name = EXCLUDED.sort_name, search_free = EXCLUDED.search_free, search_terms = EXCLUDED.search_terms, search_vector = EXCLUDED.search_vector, geom = EXCLUDED.geom, area_codes = EXCLUDED.area_codes
  WHERE (d.name, d.organization_id, d.status, d.last_reviewed_at, d.deprioritised_at, d.minimum_age, d.maximum_age, d.self_referral, d.professional_referral, d.delivered_in_person, d.delivered_online, d.delivered_by_phone, d.sort_name, d.search_free, d.search_terms, d.search_vector, d.geom, d.area_codes)
        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.organization_id, EXCLUDED.status, EXCLUDED.last_reviewed_at, EXCLUDED.deprioritised_at, EXCLUDED.minimum_age, EXCLUDED.maximum_age, EXCLUDED.self_referral, EXCLUDED.professional_referral, EXCLUDED.delivered_in_person, EXCLUDED.delivered_online, EXCLUDED.delivered_by_phone, EXCLUDED.sort_name, EXCLUDED.search_free, EXCLUDED.search_terms, EXCLUDED.search_vector, EXCLUDED.geom, EXCLUDED.area_codes);
END $$
''',
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DOWNGRADE:
        op.execute(statement)
