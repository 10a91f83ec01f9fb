-- description: Items as a type 2 slowly changing dimension: one row per extracted version of an items row,
-- description: valid from valid_from (inclusive) to valid_to (exclusive; NULL for the current version).
-- description: valid_from is the version's updated_at, except that an item's first extracted version is valid
-- description: from listed_at (the first state an extract saw stands for the states before it). Prices in
-- description: minor units of currency; is_deleted: the row was soft-deleted in this version.
-- test: unique item_version_id
-- test: not_null item_version_id, item_id, seller_id, valid_from, updated_at, is_current, is_deleted, category, currency
-- test: accepted_values status open|closed
-- test: relationships_as_of seller_id listed_at dim_users.user_id
-- sort_key: item_id
select
  version_id as item_version_id,
  item_id,
  case when previous_updated_at is null and listed_at < updated_at then listed_at else updated_at end as valid_from,
  valid_to,
  case when valid_to is null then true else false end as is_current,
  case when op = 'delete' then true else false end as is_deleted,
  seller_id,
  title,
  category,
  price_minor,
  currency,
  status,
  listed_at,
  closed_at,
  updated_at
from (
  select
    version_id,
    row_key as item_id,
    updated_at,
    op,
    lag(updated_at) over (partition by row_key order by updated_at) as previous_updated_at,
    lead(updated_at) over (partition by row_key order by updated_at) as valid_to,
    {{ json_text(row_data, 'seller_id', 64) }} as seller_id,
    {{ json_text(row_data, 'title', 512) }} as title,
    {{ json_text(row_data, 'category', 32) }} as category,
    {{ json_bigint(row_data, 'price_minor') }} as price_minor,
    {{ json_text(row_data, 'currency', 3) }} as currency,
    {{ json_text(row_data, 'status', 16) }} as status,
    {{ json_timestamp(row_data, 'listed_at') }} as listed_at,
    {{ json_timestamp(row_data, 'closed_at') }} as closed_at
  from {{ ref('stg_oltp_rows') }}
  where table_name = 'items'
) versions
