-- Stages a load on PostgreSQL: the objects' lines arrive by COPY … FROM STDIN into raw_load, then
-- insert-raw-events.sql moves them into raw_events and the ledger rows follow, in one transaction.
CREATE TEMP TABLE raw_load (object_key TEXT NOT NULL, event JSONB NOT NULL) ON COMMIT DROP;

-- insert-raw-events.sql runs here.

-- The ledger rows. $1: run id; $2: object keys; $3: their sizes (same order).
INSERT INTO elt_loaded_objects (object_key, size_bytes, events, run_id, loaded_at)
SELECT k.object_key, k.size_bytes, COALESCE(c.events, 0), $1, (now() AT TIME ZONE 'UTC')
FROM unnest(CAST($2 AS TEXT[]), CAST($3 AS BIGINT[])) AS k(object_key, size_bytes)
LEFT JOIN (SELECT object_key, COUNT(*) AS events FROM raw_load GROUP BY object_key) c ON c.object_key = k.object_key;
