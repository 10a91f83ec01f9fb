-- description: Every bid the marketplace database holds (its bids table, from the extracts; bids are never
-- description: changed, so each has one version), with the bidder and the item it was placed on.
-- test: unique bid_id
-- test: not_null bid_id, item_id, bidder_id, amount_minor, currency, placed_at
-- test: relationships_as_of item_id placed_at dim_items.item_id
-- test: relationships_as_of bidder_id placed_at dim_users.user_id
-- test: reconciles bid_id placed_at stg_bid_events item_id,bidder_id,amount_minor,currency
-- sort_key: placed_at
select
  bid_id,
  item_id,
  bidder_id,
  amount_minor,
  currency,
  placed_at
from (
  select
    row_key as bid_id,
    {{ json_text(row_data, 'item_id', 64) }} as item_id,
    {{ json_text(row_data, 'bidder_id', 64) }} as bidder_id,
    {{ json_bigint(row_data, 'amount_minor') }} as amount_minor,
    {{ json_text(row_data, 'currency', 3) }} as currency,
    {{ json_timestamp(row_data, 'placed_at') }} as placed_at,
    row_number() over (partition by row_key order by updated_at desc) as newest
  from {{ ref('stg_oltp_rows') }}
  where table_name = 'bids'
) versions
where newest = 1
