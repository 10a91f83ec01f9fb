-- Loads landed gzip NDJSON objects in bulk. $paths: local files; $keys: their object keys, same order;
-- $sizes: their sizes; $run_id: the run. Every value is bound; paths come from the pipeline's own key scheme.
INSERT INTO raw_events
SELECT
  f.object_key,
  json_extract_string(o.json, '$.id'),
  json_extract_string(o.json, '$.version'),
  json_extract_string(o.json, '$."detail-type"'),
  json_extract_string(o.json, '$.source'),
  json_extract_string(o.json, '$.account'),
  json_extract_string(o.json, '$.region'),
  CAST(CAST(json_extract_string(o.json, '$.time') AS TIMESTAMPTZ) AS TIMESTAMP),
  json_extract(o.json, '$.resources'),
  o.json,
  $run_id,
  CAST(now() AS TIMESTAMP)
FROM read_ndjson_objects($paths, filename = true, compression = 'gzip') o
JOIN (SELECT unnest($paths) AS path, unnest($keys) AS object_key) f ON f.path = o.filename;

-- The ledger rows of the same objects, in the same transaction.
INSERT INTO elt_loaded_objects
SELECT f.object_key, f.size_bytes, COALESCE(c.events, 0), $run_id, CAST(now() AS TIMESTAMP)
FROM (SELECT unnest($keys) AS object_key, unnest($sizes) AS size_bytes) f
LEFT JOIN (
  SELECT object_key, COUNT(*) AS events FROM raw_events WHERE run_id = $run_id GROUP BY object_key
) c ON c.object_key = f.object_key;
