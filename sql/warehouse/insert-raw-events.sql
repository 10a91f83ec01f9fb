-- Moves a loaded batch from the staging table raw_load (object_key, event) into raw_events: the envelope
-- columns extracted once, the whole envelope kept. $run_id: the run id.
INSERT INTO raw_events (object_key, id, version, detail_type, source, account, region, event_time, resources, event, run_id, loaded_at)
SELECT
  object_key,
  {{ json_text(event, 'id') }},
  {{ json_text(event, 'version') }},
  {{ json_text(event, 'detail-type') }},
  {{ json_text(event, 'source') }},
  {{ json_text(event, 'account') }},
  {{ json_text(event, 'region') }},
  {{ json_timestamp(event, 'time') }},
  {{ json_value(event, 'resources') }},
  event,
  $run_id,
  {{ now_utc() }}
FROM {{ source('raw_load') }}
