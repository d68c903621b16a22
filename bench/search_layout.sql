-- The search table as a bulk import writes it, from scratch, on a database kept by bench/search.py
-- (BENCH_KEEP_DB=1); then how many pages SE10 9's candidates (5 km) lie on, and what GIN's pending
-- lists hold (needs the pgstattuple extension: CREATE EXTENSION pgstattuple).
--
--   psql postgresql://.../bench_search_xxx -f bench/search_layout.sql
--   python bench/search.py --reuse postgresql+psycopg://.../bench_search_xxx   -- searches on that layout
--   assets-hub search optimise                                                   -- back to place order
--
-- The services are refreshed in 20 batches of 5,000 (in an order unrelated to place), as the
-- importer refreshes a batch of services; each batch is written in the refresh's own order.
DROP TABLE IF EXISTS bench_layout_batches;
CREATE TABLE bench_layout_batches AS
  SELECT id, (row_number() OVER (ORDER BY md5(id)) - 1) / 5000 AS batch FROM service;
TRUNCATE service_search;
DO $$ DECLARE b int; BEGIN
  FOR b IN 0..(SELECT max(batch) FROM bench_layout_batches) LOOP
    PERFORM service_search_refresh(ARRAY(SELECT id FROM bench_layout_batches WHERE batch = b));
  END LOOP;
END $$;
DROP TABLE bench_layout_batches;
ANALYZE service_search;
SELECT count(*) AS candidates, count(DISTINCT (ctid::text::point)[0]) AS pages,
       count(*) FILTER (WHERE geom IS NULL) AS area_only,
       count(DISTINCT (ctid::text::point)[0]) FILTER (WHERE geom IS NULL) AS area_only_pages
FROM service_search s
WHERE s.geom && _ST_Expand(ST_SetSRID(ST_MakePoint(-0.004386, 51.482942), 4326)::geography, 5000)
   OR s.area_codes && '{E09000011,E12000007,E92000001,K02000001,K03000001}';
SELECT c.relname AS gin_index, g.pending_pages, g.pending_tuples
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam,
     LATERAL pgstatginindex(c.oid) g
WHERE i.indrelid = 'service_search'::regclass AND a.amname = 'gin';
