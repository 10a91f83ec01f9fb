-- description: Bids as the events report them: one row per BidCreated event that carries the marketplace
-- description: database's bid id (bidId, set by the outbox), to reconcile with the database's bids table
-- description: (fct_bids; its reconciles test also finds a bid reported twice). Generated bids without a bidId are
-- description: not here.
-- test: not_null bid_id, item_id, bidder_id, amount_minor, currency, placed_at
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
    {{ json_text(detail, 'bidId', 64) }} as bid_id,
    item_id,
    user_id as bidder_id,
    amount_minor,
    currency,
    event_time as placed_at
  from {{ ref('stg_events') }}
  where detail_type = 'BidCreated'
) bids
where bid_id is not null
