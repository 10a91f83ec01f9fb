-- description: Closed auctions (AuctionClosed events) per UTC day, seller country and currency, with the
-- description: revenue (the winning bids' final prices, in minor units; an auction closed without a sale adds
-- description: none). The seller and their country are those of the dim_items and dim_users versions valid at
-- description: the close (at the end of its second, as in mart_bids_by_category_day). Auctions of items the
-- description: marketplace database does not hold are left out.
-- test: not_null day, seller_country, currency, auctions, revenue_minor
-- sort_key: day
select
  cast(c.event_time as date) as day,
  u.country as seller_country,
  c.currency,
  count(*) as auctions,
  cast(coalesce(sum(c.final_price_minor), 0) as bigint) as revenue_minor
from (
  select event_time, item_id, currency, {{ json_bigint(detail, 'finalPriceMinor') }} as final_price_minor
  from {{ ref('stg_events') }}
  where detail_type = 'AuctionClosed'
) c
join {{ ref('dim_items') }} i
  on i.item_id = c.item_id
  and date_trunc('second', i.valid_from) <= c.event_time
  and (i.valid_to is null or date_trunc('second', i.valid_to) > c.event_time)
join {{ ref('dim_users') }} u
  on u.user_id = i.seller_id
  and date_trunc('second', u.valid_from) <= c.event_time
  and (u.valid_to is null or date_trunc('second', u.valid_to) > c.event_time)
group by cast(c.event_time as date), u.country, c.currency
