-- description: UserLoggedIn events per UTC minute (minutes without logins have no row).
-- test: unique minute
-- test: not_null minute, logins
-- sort_key: minute
select
  date_trunc('minute', event_time) as minute,
  count(*) as logins
from {{ ref('stg_events') }}
where detail_type = 'UserLoggedIn'
group by date_trunc('minute', event_time)
