-- description: The stream processor's window results (StreamWindowCounted events of source elt.stream): one row
-- description: per metric, window and bounds. A result the job sent again after a restart has the same eventId
-- description: (derived from the window) and is kept once: the first copy loaded wins.
-- test: unique result_id
-- test: not_null result_id, metric, window_kind, window_start, window_end, value
-- test: accepted_values metric logins|active_users
-- test: accepted_values window_kind minute|hour|day
-- sort_key: window_end
select
  result_id,
  metric,
  window_kind,
  window_start,
  window_end,
  value,
  allowed_lateness_seconds,
  loaded_at
from (
  select
    {{ json_text(event, 'detail.eventId') }} as result_id,
    {{ json_text(event, 'detail.metric') }} as metric,
    {{ json_text(event, 'detail.window') }} as window_kind,
    {{ json_timestamp(event, 'detail.windowStart') }} as window_start,
    {{ json_timestamp(event, 'detail.windowEnd') }} as window_end,
    {{ json_bigint(event, 'detail.value') }} as value,
    {{ json_bigint(event, 'detail.allowedLatenessSeconds') }} as allowed_lateness_seconds,
    loaded_at,
    row_number() over (
      partition by {{ json_text(event, 'detail.eventId') }}
      order by loaded_at, object_key
    ) as copy_number
  from {{ source('raw_events') }}
  where source = 'elt.stream' and detail_type = 'StreamWindowCounted'
) ranked
where copy_number = 1
