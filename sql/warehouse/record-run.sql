-- Inserts or replaces one run in the history. $1 run_id, $2 status, $3 started_at, $4 finished_at,
-- $5 duration_ms, $6 objects_loaded, $7 events_loaded, $8 models (JSON text), $9 tests (JSON text), $10 error.
DELETE FROM elt_runs WHERE run_id = $1;
INSERT INTO elt_runs (run_id, status, started_at, finished_at, duration_ms, objects_loaded, events_loaded, models, tests, error)
VALUES (
  $1,
  $2,
  CAST($3 AS TIMESTAMP),
  CAST($4 AS TIMESTAMP),
  CAST($5 AS BIGINT),
  CAST($6 AS BIGINT),
  CAST($7 AS BIGINT),
  {{ json_param(8) }},
  {{ json_param(9) }},
  $10
)
