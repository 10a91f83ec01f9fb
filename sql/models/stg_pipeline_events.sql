-- description: The pipeline's own events (ELT run outcomes), one row per detail.eventId.
-- test: unique event_id
-- test: not_null event_id, event_time, run_id
-- test: accepted_values detail_type EltRunSucceeded|EltRunFailed
-- sort_key: event_time
-- materialized: incremental event_id
select event_id, detail_type, event_time, run_id, status
from (
  select
    {{ json_text(event, 'detail.eventId') }} as event_id,
    detail_type,
    event_time,
    {{ json_text(event, 'detail.runId') }} as run_id,
    {{ json_text(event, 'detail.status') }} as status,
    row_number() over (
      partition by {{ json_text(event, 'detail.eventId') }}
      order by event_time, id
    ) as copy_number
  from {{ source('raw_events') }}
  where source = 'elt.pipeline'
) ranked
where copy_number = 1
