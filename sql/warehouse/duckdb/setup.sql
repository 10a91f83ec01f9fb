-- The pipeline's own tables on DuckDB. Idempotent: safe to run before every run.
CREATE TABLE IF NOT EXISTS raw_events (
  object_key   VARCHAR   NOT NULL,  -- the landed object this row came from
  id           VARCHAR   NOT NULL,  -- envelope id, assigned by the bus
  version      VARCHAR,
  detail_type  VARCHAR   NOT NULL,
  source       VARCHAR   NOT NULL,
  account      VARCHAR,
  region       VARCHAR,
  event_time   TIMESTAMP NOT NULL,  -- UTC
  resources    JSON,
  event        JSON      NOT NULL,  -- the whole envelope as landed
  run_id       VARCHAR   NOT NULL,
  loaded_at    TIMESTAMP NOT NULL
);

-- The load ledger: an object listed here is never loaded again.
CREATE TABLE IF NOT EXISTS elt_loaded_objects (
  object_key  VARCHAR   PRIMARY KEY,
  size_bytes  BIGINT    NOT NULL,
  events      BIGINT    NOT NULL,
  run_id      VARCHAR   NOT NULL,
  loaded_at   TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS elt_runs (
  run_id          VARCHAR PRIMARY KEY,
  status          VARCHAR NOT NULL,
  started_at      TIMESTAMP NOT NULL,
  finished_at     TIMESTAMP,
  duration_ms     BIGINT,
  objects_loaded  BIGINT NOT NULL,
  events_loaded   BIGINT NOT NULL,
  models          JSON NOT NULL,
  tests           JSON NOT NULL,
  error           VARCHAR
);
