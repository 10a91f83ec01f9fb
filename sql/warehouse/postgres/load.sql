-- Stages a load on PostgreSQL: the objects' lines arrive by COPY … FROM STDIN into raw_load, then
-- insert-raw-events.sql moves them into raw_events and the ledger rows follow, in one transaction.
CREATE TEMP TABLE raw_load (object_key TEXT NOT NULL, event JSONB NOT NULL) ON COMMIT DROP;
-- Fed by the adapter with (object_key, event) rows in COPY text format, decompressed on the way.
COPY raw_load (object_key, event) FROM STDIN;

-- insert-raw-events.sql runs here.

-- The ledger rows. $run_id: the run; $keys: the object keys; $sizes: their sizes (same order).
INSERT INTO elt_loaded_objects (object_key, size_bytes, events, run_id, loaded_at)
SELECT k.object_key, k.size_bytes, COALESCE(c.events, 0), $run_id, (now() AT TIME ZONE 'UTC')
FROM unnest(CAST($keys AS TEXT[]), CAST($sizes AS BIGINT[])) AS k(object_key, size_bytes)
LEFT JOIN (SELECT object_key, COUNT(*) AS events FROM raw_load GROUP BY object_key) c ON c.object_key = k.object_key;
