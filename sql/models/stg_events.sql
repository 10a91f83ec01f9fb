-- description: One row per product event, deduplicated on the producer's idempotency key (detail.eventId).
-- description: A republished event has a new bus id but the same eventId; the earliest copy wins. The
-- description: pipeline's own events (source elt.pipeline) are in stg_pipeline_events, the marketplace
-- description: database's table extracts (source oltp) in stg_oltp_rows.
-- test: unique event_id
-- test: not_null event_id, bus_event_id, event_time, user_id, detail_type, source
-- test: accepted_values detail_type UserSignedUp|UserLoggedIn|UserAccountClosed|PageViewed|ItemListed|BidCreated|ItemPriceChanged|AuctionClosed
-- test: freshness loaded_at 48h
-- sort_key: event_time
-- materialized: incremental event_id
select
  event_id,
  bus_event_id,
  source,
  detail_type,
  event_time,
  user_id,
  session_id,
  item_id,
  amount_minor,
  currency,
  detail,
  object_key,
  loaded_at
from (
  select
    {{ json_text(event, 'detail.eventId') }} as event_id,
    id as bus_event_id,
    source,
    detail_type,
    event_time,
    {{ json_text(event, 'detail.userId') }} as user_id,
    {{ json_text(event, 'detail.sessionId') }} as session_id,
    {{ json_text(event, 'detail.itemId') }} as item_id,
    {{ json_bigint(event, 'detail.amountMinor') }} as amount_minor,
    {{ json_text(event, 'detail.currency') }} as currency,
    {{ json_value(event, 'detail') }} as detail,
    object_key,
    loaded_at,
    row_number() over (
      partition by {{ json_text(event, 'detail.eventId') }}
      order by event_time, id
    ) as copy_number
  from {{ source('raw_events') }}
  where source <> 'elt.pipeline' and source <> 'elt.stream' and source <> 'oltp'
) ranked
where copy_number = 1
