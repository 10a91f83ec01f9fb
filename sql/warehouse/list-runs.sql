-- The run history, newest first. $1: how many.
SELECT
  run_id,
  status,
  {{ timestamp_text(started_at) }} AS started_at,
  {{ timestamp_text(finished_at) }} AS finished_at,
  duration_ms,
  objects_loaded,
  events_loaded,
  {{ json_to_text(models) }} AS models,
  {{ json_to_text(tests) }} AS tests,
  error
FROM elt_runs
ORDER BY started_at DESC, run_id DESC
LIMIT $1
