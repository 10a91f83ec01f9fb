-- description: Bids (BidCreated events) per UTC day, item category and currency, with their amounts in minor
-- description: units, the category read from the dim_items version valid at each bid's event time. Event
-- description: times have whole seconds: the version that counts is the one valid at the end of the bid's
-- description: second, so the version the bid's own transaction wrote counts. Bids on items the marketplace
-- description: database does not hold (other producers) are left out.
-- test: not_null day, category, currency, bids, amount_minor
-- sort_key: day
select
  cast(b.event_time as date) as day,
  i.category,
  b.currency,
  count(*) as bids,
  cast(sum(b.amount_minor) as bigint) as amount_minor
from {{ ref('stg_events') }} b
join {{ ref('dim_items') }} i
  on i.item_id = b.item_id
  and date_trunc('second', i.valid_from) <= b.event_time
  and (i.valid_to is null or date_trunc('second', i.valid_to) > b.event_time)
where b.detail_type = 'BidCreated'
group by cast(b.event_time as date), i.category, b.currency
