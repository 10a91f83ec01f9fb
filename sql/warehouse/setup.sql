-- The pipeline's own tables, for every warehouse ({{ json_type() }} is JSON, JSONB or SUPER).
-- Idempotent: runs before every ELT run.
CREATE TABLE IF NOT EXISTS raw_events (
  object_key   VARCHAR(1024)  NOT NULL,  -- the landed object this row came from (Redshift: the COPY manifest)
  id           VARCHAR(64)    NOT NULL,  -- envelope id, assigned by the bus
  version      VARCHAR(16),
  detail_type  VARCHAR(256)   NOT NULL,
  source       VARCHAR(256)   NOT NULL,
  account      VARCHAR(32),
  region       VARCHAR(32),
  event_time   TIMESTAMP      NOT NULL,  -- UTC
  resources    {{ json_type() }},
  event        {{ json_type() }} NOT NULL,  -- the whole envelope as landed
  run_id       VARCHAR(64)    NOT NULL,
  loaded_at    TIMESTAMP      NOT NULL
) {{ sort_key(loaded_at) }};

-- The load ledger: an object listed here is never loaded again. The key is enforced by DuckDB and
-- PostgreSQL only (Redshift keeps it as information): a Redshift load writes an object's row only when
-- no row of its batch is there yet, under a lock on this table. Sorted by loaded_at on Redshift: a plan
-- reads the rows since its watermark, not the whole ledger.
CREATE TABLE IF NOT EXISTS elt_loaded_objects (
  object_key  VARCHAR(1024) PRIMARY KEY,
  size_bytes  BIGINT        NOT NULL,
  events      BIGINT,                    -- NULL on Redshift: COPY does not count rows per file
  run_id      VARCHAR(64)   NOT NULL,
  loaded_at   TIMESTAMP     NOT NULL
) {{ sort_key(loaded_at) }};

-- Compaction (lib/core/elt/compaction.ts): which compacted object replaces which landed original. Written
-- with the originals' ledger rows, before the compacted object exists; the originals are deleted after it
-- is durable. A compacted object made of loaded originals has a ledger row of its own (no events): it is
-- never loaded; one made of unloaded originals has none until an ELT run loads it.
CREATE TABLE IF NOT EXISTS elt_compacted_objects (
  object_key     VARCHAR(1024) NOT NULL,   -- the original
  compacted_key  VARCHAR(1024) NOT NULL,   -- the object holding its events now
  compacted_at   TIMESTAMP     NOT NULL
);

CREATE TABLE IF NOT EXISTS elt_runs (
  run_id          VARCHAR(64) PRIMARY KEY,
  status          VARCHAR(16) NOT NULL,
  started_at      TIMESTAMP   NOT NULL,
  finished_at     TIMESTAMP,
  duration_ms     BIGINT,
  objects_loaded  BIGINT      NOT NULL,
  events_loaded   BIGINT      NOT NULL,
  models          {{ json_type() }},
  tests           {{ json_type() }},
  error           VARCHAR(16000)         -- the run record caps it: a Data API result row is at most 64 KB
);

-- The ELT run lock of orchestrators whose steps share no database session (Step Functions over the Data
-- API): at most one row, the run that holds the lock, until it releases it or the lock expires.
CREATE TABLE IF NOT EXISTS elt_run_lock (
  run_id       VARCHAR(64) NOT NULL,
  acquired_at  TIMESTAMP   NOT NULL,
  expires_at   TIMESTAMP   NOT NULL
);
