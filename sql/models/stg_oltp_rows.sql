-- description: One row per version of a row of the marketplace database (table, key, updated_at), from the
-- description: table extracts (raw_events with source oltp, one envelope per row version). A rerun or a
-- description: snapshot extracts the same version again, under the same envelope id: the first copy loaded wins.
-- description: op is delete when the row was soft-deleted (deleted_at set); row_data is the whole row.
-- test: unique version_id
-- test: not_null version_id, table_name, row_key, updated_at, op, row_data
-- test: accepted_values table_name users|items|bids
-- test: accepted_values op upsert|delete
-- sort_key: updated_at
select
  version_id,
  table_name,
  row_key,
  updated_at,
  op,
  row_data,
  object_key,
  loaded_at
from (
  select
    id as version_id,
    detail_type as table_name,
    {{ json_text(event, 'detail.key', 64) }} as row_key,
    {{ json_timestamp(event, 'detail.updated_at') }} as updated_at,
    {{ json_text(event, 'detail.op', 8) }} as op,
    {{ json_value(event, 'detail.row') }} as row_data,
    object_key,
    loaded_at,
    row_number() over (partition by id order by loaded_at, object_key) as copy_number
  from {{ source('raw_events') }}
  where source = 'oltp'
) ranked
where copy_number = 1
