-- description: Event copies the stream processor received after their windows had closed (LateEventSeen events
-- description: of source elt.stream), one row per late copy (its envelope id, late_bus_id; the event's own id
-- description: when the result has none): counted there instead of in the stream's windows. An event is out of
-- description: the stream's counts when every copy of it that landed came late (stream_batch_agreement).
-- test: unique late_copy_id
-- test: not_null late_copy_id, late_event_id, late_detail_type, event_time, watermark
-- sort_key: event_time
select
  late_copy_id,
  late_event_id,
  late_bus_id,
  late_source,
  late_detail_type,
  late_user_id,
  event_time,
  watermark,
  loaded_at
from (
  select
    {{ json_text(event, 'detail.eventId') }} as late_copy_id,
    {{ json_text(event, 'detail.lateEventId') }} as late_event_id,
    {{ json_text(event, 'detail.lateBusId') }} as late_bus_id,
    {{ json_text(event, 'detail.lateSource') }} as late_source,
    {{ json_text(event, 'detail.lateDetailType') }} as late_detail_type,
    {{ json_text(event, 'detail.lateUserId') }} as late_user_id,
    {{ json_timestamp(event, 'detail.eventTime') }} as event_time,
    {{ json_timestamp(event, 'detail.watermark') }} as watermark,
    loaded_at,
    row_number() over (
      partition by {{ json_text(event, 'detail.eventId') }}
      order by loaded_at, object_key
    ) as copy_number
  from {{ source('raw_events') }}
  where source = 'elt.stream' and detail_type = 'LateEventSeen'
) ranked
where copy_number = 1
