-- description: Bids per item and UTC hour, with bidders and amounts in minor units of the bid currency.
-- test: not_null item_id, hour, currency, bids
-- sort_key: hour
select
  item_id,
  date_trunc('hour', event_time) as hour,
  currency,
  count(*) as bids,
  count(distinct user_id) as bidders,
  max(amount_minor) as max_amount_minor,
  cast(sum(amount_minor) as bigint) as total_amount_minor
from {{ ref('stg_events') }}
where detail_type = 'BidCreated'
group by item_id, date_trunc('hour', event_time), currency
