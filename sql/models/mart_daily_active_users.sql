-- description: Distinct users with at least one valid event on each UTC day.
-- test: unique day
-- test: not_null day, users
-- sort_key: day
select
  cast(event_time as date) as day,
  count(distinct user_id) as users
from {{ ref('stg_events') }}
group by cast(event_time as date)
