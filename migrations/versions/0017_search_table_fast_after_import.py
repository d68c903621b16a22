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
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# The statements as this migration first ran them, frozen: a migration never loads another, so
# later changes to the search document (search/document_pg.sql is today's) cannot change
# what this one did. PostgreSQL only.
UPGRADE = [
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
  ORDER BY coalesce(ST_GeoHash(g.geom::geometry, 6),
                  '~' || (SELECT min(a.area_code) FROM service_area a WHERE a.service_id = s.id)) COLLATE "C"
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, organization_id = EXCLUDED.organization_id, status = EXCLUDED.status, last_reviewed_at = EXCLUDED.last_reviewed_at, deprioritised_at = EXCLUDED.deprioritised_at, minimum_age = EXCLUDED.minimum_age, maximum_age = EXCLUDED.maximum_age, self_referral = EXCLUDED.self_referral, professional_referral = EXCLUDED.professional_referral, delivered_in_person = EXCLUDED.delivered_in_person, delivered_online = EXCLUDED.delivered_online, delivered_by_phone = EXCLUDED.delivered_by_phone, sort_name = EXCLUDED.sort_name, search_free = EXCLUDED.search_free, search_terms = EXCLUDED.search_terms, search_vector = EXCLUDED.search_vector, geom = EXCLUDED.geom, area_codes = EXCLUDED.area_codes, languages = EXCLUDED.languages, accessibility = EXCLUDED.accessibility
  WHERE (d.name, d.organization_id, d.status, d.last_reviewed_at, d.deprioritised_at, d.minimum_age, d.maximum_age, d.self_referral, d.professional_referral, d.delivered_in_person, d.delivered_online, d.delivered_by_phone, d.sort_name, d.search_free, d.search_terms, d.search_vector, d.geom, d.area_codes, d.languages, d.accessibility)
        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.organization_id, EXCLUDED.status, EXCLUDED.last_reviewed_at, EXCLUDED.deprioritised_at, EXCLUDED.minimum_age, EXCLUDED.maximum_age, EXCLUDED.self_referral, EXCLUDED.professional_referral, EXCLUDED.delivered_in_person, EXCLUDED.delivered_online, EXCLUDED.delivered_by_phone, EXCLUDED.sort_name, EXCLUDED.search_free, EXCLUDED.search_terms, EXCLUDED.search_vector, EXCLUDED.geom, EXCLUDED.area_codes, EXCLUDED.languages, EXCLUDED.accessibility);
END $$
''',
    'ALTER INDEX ix_service_search_area_codes SET (fastupdate = off)',
    "SELECT gin_clean_pending_list('ix_service_search_area_codes'::regclass)",
    'ALTER INDEX ix_service_search_terms_doc SET (fastupdate = off)',
    "SELECT gin_clean_pending_list('ix_service_search_terms_doc'::regclass)",
]

DOWNGRADE = [
    'ALTER INDEX ix_service_search_area_codes RESET (fastupdate)',
    'ALTER INDEX ix_service_search_terms_doc RESET (fastupdate)',
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
