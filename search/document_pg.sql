-- The PostgreSQL search document: its tables, indexes, functions and triggers as the migrations
-- leave them (read back from the catalog: python -m search.document DATABASE_URL). Do not edit:
-- change it with a migration, then write this file again. tests/search/test_document.py checks it.

CREATE TABLE service_search (
  id character varying(36) NOT NULL,
  name character varying(255) NOT NULL,
  organization_id character varying(36) NOT NULL,
  status character varying(20) NOT NULL,
  last_reviewed_at timestamp with time zone,
  deprioritised_at timestamp with time zone,
  minimum_age integer,
  maximum_age integer,
  self_referral boolean NOT NULL,
  professional_referral boolean NOT NULL,
  delivered_in_person boolean NOT NULL,
  delivered_online boolean NOT NULL,
  delivered_by_phone boolean NOT NULL,
  sort_name text NOT NULL,
  search_free boolean NOT NULL,
  search_terms text[] NOT NULL,
  search_vector tsvector NOT NULL,
  geom geography,
  area_codes text[] NOT NULL DEFAULT '{}'::text[],
  languages text[] NOT NULL DEFAULT '{}'::text[],
  accessibility text[] NOT NULL DEFAULT '{}'::text[],
  terms_set text DEFAULT search_set_key(search_terms),
  languages_set text DEFAULT search_set_key(languages),
  accessibility_set text DEFAULT search_set_key(accessibility),
  CONSTRAINT service_search_id_fkey FOREIGN KEY (id) REFERENCES service(id) ON DELETE CASCADE,
  CONSTRAINT service_search_pkey PRIMARY KEY (id)
);

CREATE INDEX ix_service_search_area_codes ON public.service_search USING gin (area_codes) WITH (fastupdate=off);

CREATE INDEX ix_service_search_demoted ON public.service_search USING btree (id) WHERE (deprioritised_at IS NOT NULL);

CREATE INDEX ix_service_search_geom ON public.service_search USING gist (geom);

CREATE INDEX ix_service_search_terms_doc ON public.service_search USING gin (search_terms) WITH (fastupdate=off);

CREATE INDEX ix_service_search_vector_doc ON public.service_search USING gin (search_vector);

CREATE TABLE service_search_commit (
  txid bigint NOT NULL,
  CONSTRAINT service_search_commit_pkey PRIMARY KEY (txid),
  CONSTRAINT service_search_flush_at_commit TRIGGER DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE service_search_pending (
  id character varying(36) NOT NULL,
  CONSTRAINT service_search_pending_pkey PRIMARY KEY (id)
);

CREATE OR REPLACE FUNCTION public.accessibility_search_del()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT sl.service_id FROM old_rows r JOIN service_at_location sl ON sl.location_id = r.location_id)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.accessibility_search_ins()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT sl.service_id FROM new_rows r JOIN service_at_location sl ON sl.location_id = r.location_id)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.accessibility_search_upd()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT sl.service_id FROM new_rows r JOIN service_at_location sl ON sl.location_id = r.location_id UNION SELECT sl.service_id FROM old_rows r JOIN service_at_location sl ON sl.location_id = r.location_id)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.attribute_search_del()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.attribute_search_ins()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM new_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.attribute_search_touch()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.service_id IS NOT NULL THEN
    UPDATE service SET name = name WHERE id = NEW.service_id;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.service_id IS NOT NULL THEN
    UPDATE service SET name = name WHERE id = OLD.service_id;
  END IF;
  RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.attribute_search_touch_rows()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$;

CREATE OR REPLACE FUNCTION public.attribute_search_upd()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT service_id FROM new_rows WHERE service_id IS NOT NULL UNION SELECT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.cost_option_search_del()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.cost_option_search_ins()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM new_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.cost_option_search_upd()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT service_id FROM new_rows WHERE service_id IS NOT NULL UNION SELECT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.language_search_del()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.language_search_ins()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM new_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.language_search_upd()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT service_id FROM new_rows WHERE service_id IS NOT NULL UNION SELECT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.location_point_moved()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE service_at_location sl SET geom = n.geom
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE sl.location_id = n.id AND (n.latitude IS DISTINCT FROM o.latitude OR n.longitude IS DISTINCT FROM o.longitude);
  RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.organization_search_touch()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM service_search_refresh(ARRAY(SELECT id FROM service WHERE organization_id = NEW.id));
  RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.search_set_key(a text[])
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ SELECT CASE WHEN cardinality(a) > 0 THEN CAST(a AS text) END $function$;

CREATE OR REPLACE FUNCTION public.service_area_search_del()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.service_area_search_ins()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM new_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.service_area_search_upd()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT service_id FROM new_rows WHERE service_id IS NOT NULL UNION SELECT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.service_at_location_point()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW.geom := (SELECT geom FROM location WHERE id = NEW.location_id);
  RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.service_at_location_search_del()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.service_at_location_search_ins()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT DISTINCT service_id FROM new_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.service_at_location_search_upd()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT service_id FROM new_rows WHERE service_id IS NOT NULL UNION SELECT service_id FROM old_rows WHERE service_id IS NOT NULL)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.service_search_before()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$;

CREATE OR REPLACE FUNCTION public.service_search_flush()
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
DECLARE ids text[];
BEGIN
  WITH gone AS (DELETE FROM service_search_pending RETURNING id)
  SELECT coalesce(array_agg(id), '{}') INTO ids FROM gone;
  IF cardinality(ids) > 0 THEN
    PERFORM service_search_refresh(ids);
  END IF;
  RETURN cardinality(ids);
END $function$;

CREATE OR REPLACE FUNCTION public.service_search_flush_at_commit()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM service_search_flush();
  DELETE FROM service_search_commit WHERE txid = NEW.txid;
  RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.service_search_ins()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT id FROM new_rows)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.service_search_refresh(ids text[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
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
END $function$;

CREATE OR REPLACE FUNCTION public.service_search_touch(ids text[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF current_setting('assets_hub.search_refresh', true) = 'deferred' THEN
    INSERT INTO service_search_pending (id) SELECT DISTINCT unnest(ids) ON CONFLICT DO NOTHING;
    -- one marker row per transaction: its deferred trigger flushes at commit, once
    INSERT INTO service_search_commit (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
  ELSE
    PERFORM service_search_refresh(ids);
  END IF;
END $function$;

CREATE OR REPLACE FUNCTION public.service_search_upd()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$ BEGIN PERFORM service_search_touch(ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.name IS DISTINCT FROM o.name OR n.organization_id IS DISTINCT FROM o.organization_id OR n.status IS DISTINCT FROM o.status OR n.last_reviewed_at IS DISTINCT FROM o.last_reviewed_at OR n.deprioritised_at IS DISTINCT FROM o.deprioritised_at OR n.minimum_age IS DISTINCT FROM o.minimum_age OR n.maximum_age IS DISTINCT FROM o.maximum_age OR n.self_referral IS DISTINCT FROM o.self_referral OR n.professional_referral IS DISTINCT FROM o.professional_referral OR n.delivered_in_person IS DISTINCT FROM o.delivered_in_person OR n.delivered_online IS DISTINCT FROM o.delivered_online OR n.delivered_by_phone IS DISTINCT FROM o.delivered_by_phone OR n.description IS DISTINCT FROM o.description)); RETURN NULL; END $function$;

CREATE OR REPLACE FUNCTION public.service_search_words_ins()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  WITH changed AS (SELECT id, name, description FROM new_rows)
  
  INSERT INTO search_word (word, n)
    SELECT w, count(*) FROM (
      SELECT DISTINCT c.id, w FROM changed c,
        regexp_split_to_table(lower(coalesce(c.name, '') || ' ' || coalesce(c.description, '') || ' ' ||
          coalesce((SELECT string_agg(t.name || ' ' || coalesce(p.name, ''), ' ') FROM attribute a
                    JOIN taxonomy_term t ON t.id = a.taxonomy_term_id LEFT JOIN taxonomy_term p ON p.id = t.parent_id
                    WHERE a.service_id = c.id), '')), '[^a-z]+') AS w
      WHERE length(w) >= 3) per_service
    GROUP BY w
  ON CONFLICT (word) DO UPDATE SET n = search_word.n + EXCLUDED.n;
  RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.service_search_words_upd()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  WITH changed AS (SELECT n.id, n.name, n.description FROM new_rows n JOIN old_rows o ON o.id = n.id
                   WHERE n.name IS DISTINCT FROM o.name OR n.description IS DISTINCT FROM o.description)
  
  INSERT INTO search_word (word, n)
    SELECT w, count(*) FROM (
      SELECT DISTINCT c.id, w FROM changed c,
        regexp_split_to_table(lower(coalesce(c.name, '') || ' ' || coalesce(c.description, '') || ' ' ||
          coalesce((SELECT string_agg(t.name || ' ' || coalesce(p.name, ''), ' ') FROM attribute a
                    JOIN taxonomy_term t ON t.id = a.taxonomy_term_id LEFT JOIN taxonomy_term p ON p.id = t.parent_id
                    WHERE a.service_id = c.id), '')), '[^a-z]+') AS w
      WHERE length(w) >= 3) per_service
    GROUP BY w
  ON CONFLICT (word) DO UPDATE SET n = search_word.n + EXCLUDED.n;
  RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.taxonomy_term_parent_touch()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM service_search_refresh(ARRAY(
    WITH RECURSIVE down(id) AS (
        SELECT NEW.id
      UNION
        SELECT t.id FROM taxonomy_term t JOIN down ON t.parent_id = down.id)
    SELECT DISTINCT a.service_id FROM attribute a JOIN down ON down.id = a.taxonomy_term_id
    WHERE a.service_id IS NOT NULL));
  RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.taxonomy_term_search_touch()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM service_search_refresh(ARRAY(SELECT service_id FROM attribute WHERE taxonomy_term_id = NEW.id
                                       AND service_id IS NOT NULL));
  RETURN NULL;
END $function$;

CREATE TRIGGER accessibility_search_del AFTER DELETE ON public.accessibility REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION accessibility_search_del();

CREATE TRIGGER accessibility_search_ins AFTER INSERT ON public.accessibility REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION accessibility_search_ins();

CREATE TRIGGER accessibility_search_upd AFTER UPDATE ON public.accessibility REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION accessibility_search_upd();

CREATE TRIGGER attribute_search_del AFTER DELETE ON public.attribute REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION attribute_search_del();

CREATE TRIGGER attribute_search_ins AFTER INSERT ON public.attribute REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attribute_search_ins();

CREATE TRIGGER attribute_search_upd AFTER UPDATE ON public.attribute REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attribute_search_upd();

CREATE TRIGGER cost_option_search_del AFTER DELETE ON public.cost_option REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cost_option_search_del();

CREATE TRIGGER cost_option_search_ins AFTER INSERT ON public.cost_option REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cost_option_search_ins();

CREATE TRIGGER cost_option_search_upd AFTER UPDATE ON public.cost_option REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cost_option_search_upd();

CREATE TRIGGER language_search_del AFTER DELETE ON public.language REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION language_search_del();

CREATE TRIGGER language_search_ins AFTER INSERT ON public.language REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION language_search_ins();

CREATE TRIGGER language_search_upd AFTER UPDATE ON public.language REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION language_search_upd();

CREATE TRIGGER location_point_moved AFTER UPDATE ON public.location REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION location_point_moved();

CREATE TRIGGER organization_search_touch AFTER UPDATE OF name ON public.organization FOR EACH ROW WHEN (((old.name)::text IS DISTINCT FROM (new.name)::text)) EXECUTE FUNCTION organization_search_touch();

CREATE TRIGGER service_search_ins AFTER INSERT ON public.service REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_search_ins();

CREATE TRIGGER service_search_upd AFTER UPDATE ON public.service REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_search_upd();

CREATE TRIGGER service_search_words_ins AFTER INSERT ON public.service REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_search_words_ins();

CREATE TRIGGER service_search_words_upd AFTER UPDATE ON public.service REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_search_words_upd();

CREATE TRIGGER service_area_search_del AFTER DELETE ON public.service_area REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_area_search_del();

CREATE TRIGGER service_area_search_ins AFTER INSERT ON public.service_area REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_area_search_ins();

CREATE TRIGGER service_area_search_upd AFTER UPDATE ON public.service_area REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_area_search_upd();

CREATE TRIGGER service_at_location_point BEFORE INSERT OR UPDATE OF location_id ON public.service_at_location FOR EACH ROW EXECUTE FUNCTION service_at_location_point();

CREATE TRIGGER service_at_location_search_del AFTER DELETE ON public.service_at_location REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_at_location_search_del();

CREATE TRIGGER service_at_location_search_ins AFTER INSERT ON public.service_at_location REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_at_location_search_ins();

CREATE TRIGGER service_at_location_search_upd AFTER UPDATE ON public.service_at_location REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_at_location_search_upd();

CREATE CONSTRAINT TRIGGER service_search_flush_at_commit AFTER INSERT ON public.service_search_commit DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION service_search_flush_at_commit();

CREATE TRIGGER taxonomy_term_parent_touch AFTER UPDATE OF parent_id ON public.taxonomy_term FOR EACH ROW WHEN (((old.parent_id)::text IS DISTINCT FROM (new.parent_id)::text)) EXECUTE FUNCTION taxonomy_term_parent_touch();

CREATE TRIGGER taxonomy_term_search_touch AFTER UPDATE OF name ON public.taxonomy_term FOR EACH ROW WHEN (((old.name)::text IS DISTINCT FROM (new.name)::text)) EXECUTE FUNCTION taxonomy_term_search_touch();
