-- Loads landed gzip NDJSON objects in bulk, reading the files in place. $paths: local files; $keys: their
-- object keys, same order; $sizes: their sizes; $run_id: the run. Paths come from the pipeline's own keys.
CREATE OR REPLACE TEMP TABLE raw_load AS
SELECT f.object_key, o.json AS event
FROM read_ndjson_objects($paths, filename = true, compression = 'gzip') o
JOIN (SELECT unnest($paths) AS path, unnest($keys) AS object_key) f ON f.path = o.filename;

-- insert-raw-events.sql runs here.

-- The ledger rows of the same objects, in the same transaction.
INSERT INTO elt_loaded_objects
SELECT f.object_key, f.size_bytes, COALESCE(c.events, 0), $run_id, CAST(now() AS TIMESTAMP)
FROM (SELECT unnest($keys) AS object_key, unnest($sizes) AS size_bytes) f
LEFT JOIN (SELECT object_key, COUNT(*) AS events FROM raw_load GROUP BY object_key) c ON c.object_key = f.object_key;

DROP TABLE raw_load;
