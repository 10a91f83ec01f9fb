-- Loads landed objects on Redshift in one batch (one transaction): COPY reads the ledger rows and the
-- objects (through a manifest naming every one, never a prefix match) into temporary tables; the shared
-- insert moves the events into raw_events; the ledger rows follow. A batch takes no parameters, so the
-- values are literals written by inlineValues (lib/core/elt/sql-values.ts): $ledger_url and $manifest_url
-- (s3:// URLs of checked keys), $role_arn (a checked IAM role ARN), $manifest_key and $run_id.
--
-- Redshift keeps PRIMARY KEY as information only, so the ledger cannot refuse a second row for an
-- object. Under an exclusive lock on it, nothing of the batch is written when any of its objects is
-- already there (a load of an earlier run that outlived its function); the caller replans.
LOCK elt_loaded_objects;
CREATE TEMP TABLE ledger_load (object_key VARCHAR(1024), size_bytes BIGINT);
COPY ledger_load FROM $ledger_url IAM_ROLE $role_arn FORMAT JSON 'auto';
CREATE TEMP TABLE raw_load_input (event {{ json_type() }});
COPY raw_load_input FROM $manifest_url IAM_ROLE $role_arn FORMAT JSON 'noshred' GZIP MANIFEST;
CREATE TEMP TABLE raw_load AS
SELECT CAST($manifest_key AS VARCHAR(1024)) AS object_key, event FROM raw_load_input
WHERE NOT EXISTS (SELECT 1 FROM ledger_load n JOIN elt_loaded_objects l ON l.object_key = n.object_key);
-- What the batch writes, counted before it writes it: events into raw_events, rows into the ledger.
CREATE TEMP TABLE load_counts AS
SELECT
  (SELECT COUNT(*) FROM raw_load) AS events,
  (SELECT COUNT(*) FROM ledger_load WHERE NOT EXISTS (SELECT 1 FROM ledger_load n JOIN elt_loaded_objects l ON l.object_key = n.object_key)) AS ledger_rows;

-- insert-raw-events.sql runs here.

-- The ledger rows (none: another transaction loaded some of these objects meanwhile).
INSERT INTO elt_loaded_objects (object_key, size_bytes, events, run_id, loaded_at)
SELECT object_key, size_bytes, NULL, $run_id, {{ now_utc() }} FROM ledger_load
WHERE NOT EXISTS (SELECT 1 FROM ledger_load n JOIN elt_loaded_objects l ON l.object_key = n.object_key);
-- The batch's only result: read by column name.
SELECT events, ledger_rows FROM load_counts;
DROP TABLE raw_load_input;
DROP TABLE raw_load;
DROP TABLE ledger_load;
DROP TABLE load_counts;
