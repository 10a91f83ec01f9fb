-- description: Users as a type 2 slowly changing dimension: one row per extracted version of a users row,
-- description: valid from valid_from (inclusive) to valid_to (exclusive; NULL for the current version).
-- description: valid_from is the version's updated_at, except that a user's first extracted version is valid
-- description: from signed_up_at: extracts see the row as it was at each run, and the first state seen stands
-- description: for the states before it. is_deleted: the account was closed (deleted_at set) in this version.
-- test: unique user_version_id
-- test: not_null user_version_id, user_id, valid_from, updated_at, is_current, is_deleted, country
-- test: accepted_values channel web|ios|android
-- sort_key: user_id
select
  version_id as user_version_id,
  user_id,
  case when previous_updated_at is null and signed_up_at < updated_at then signed_up_at else updated_at end as valid_from,
  valid_to,
  case when valid_to is null then true else false end as is_current,
  case when op = 'delete' then true else false end as is_deleted,
  display_name,
  country,
  channel,
  signed_up_at,
  updated_at
from (
  select
    version_id,
    row_key as user_id,
    updated_at,
    op,
    lag(updated_at) over (partition by row_key order by updated_at) as previous_updated_at,
    lead(updated_at) over (partition by row_key order by updated_at) as valid_to,
    {{ json_text(row_data, 'display_name', 256) }} as display_name,
    {{ json_text(row_data, 'country', 2) }} as country,
    {{ json_text(row_data, 'channel', 16) }} as channel,
    {{ json_timestamp(row_data, 'signed_up_at') }} as signed_up_at
  from {{ ref('stg_oltp_rows') }}
  where table_name = 'users'
) versions
