-- description: Stream against batch, window by window, up to the common watermark (the earlier of the stream's
-- description: newest closed window and the batch's newest minute, less the run's lateness): every window the
-- description: stream processor closed, and every minute with logins in the batch. stream_value is the stream's
-- description: count, batch_value the batch's over every event, on_time_value over the events the stream counted
-- description: (not those whose every landed copy it saw late, stg_stream_late_events). agreement: equal (stream = batch), explained (stream = batch
-- description: without the late events: the difference is exactly those) or unexplained.
-- test: not_null metric, window_kind, window_start, window_end, stream_value, batch_value, agreement
-- test: accepted_values agreement equal|explained
-- sort_key: window_end
with late_events as (
  select late_event_id, count(distinct coalesce(late_bus_id, late_copy_id)) as late_copies
  from {{ ref('stg_stream_late_events') }}
  group by late_event_id
),
-- The copies of each late event that landed (a producer's retry is a copy under another envelope id): the
-- stream counted the event when one of them was not late.
landed_copies as (
  select r.event_id, count(distinct r.id) as copies
  from (
    select {{ json_text(event, 'detail.eventId') }} as event_id, id
    from {{ source('raw_events') }}
    where source <> 'elt.pipeline' and source <> 'elt.stream' and source <> 'oltp'
  ) r
  join late_events l on l.late_event_id = r.event_id
  group by r.event_id
),
evt as (
  select
    e.event_time,
    e.user_id,
    e.detail_type,
    case when l.late_event_id is null or l.late_copies < c.copies then 1 else 0 end as on_time
  from {{ ref('stg_events') }} e
  left join late_events l on l.late_event_id = e.event_id
  left join landed_copies c on c.event_id = e.event_id
),
horizon as (
  select
    case
      when s.last_end is null or b.last_minute is null then null
      when s.last_end < b.last_minute then s.last_end - {{ lateness_interval() }}
      else b.last_minute - {{ lateness_interval() }}
    end as upto
  from (select max(window_end) as last_end from {{ ref('stg_stream_windows') }}) s
  cross join (select date_trunc('minute', max(event_time)) as last_minute from evt) b
),
closed_windows as (
  select w.metric, w.window_kind, w.window_start, w.window_end, w.value
  from {{ ref('stg_stream_windows') }} w
  cross join horizon h
  where w.window_end <= h.upto
),
login_minutes as (
  select
    date_trunc('minute', event_time) as minute,
    count(*) as logins,
    sum(on_time) as on_time_logins
  from evt
  where detail_type = 'UserLoggedIn'
  group by date_trunc('minute', event_time)
),
minute_rows as (
  select
    'logins' as metric,
    'minute' as window_kind,
    coalesce(s.window_start, m.minute) as window_start,
    coalesce(s.window_end, m.minute + interval '1 minute') as window_end,
    cast(coalesce(s.value, 0) as bigint) as stream_value,
    cast(coalesce(m.logins, 0) as bigint) as batch_value,
    cast(coalesce(m.on_time_logins, 0) as bigint) as on_time_value
  from (select * from closed_windows where metric = 'logins' and window_kind = 'minute') s
  full outer join (
    select lm.* from login_minutes lm cross join horizon h where lm.minute + interval '1 minute' <= h.upto
  ) m on m.minute = s.window_start
),
hour_rows as (
  select
    s.metric,
    s.window_kind,
    s.window_start,
    s.window_end,
    cast(s.value as bigint) as stream_value,
    cast(coalesce(sum(m.logins), 0) as bigint) as batch_value,
    cast(coalesce(sum(m.on_time_logins), 0) as bigint) as on_time_value
  from (select * from closed_windows where metric = 'logins' and window_kind = 'hour') s
  left join login_minutes m on m.minute >= s.window_start and m.minute < s.window_end
  group by s.metric, s.window_kind, s.window_start, s.window_end, s.value
),
first_seen as (
  select
    cast(event_time as date) as day,
    user_id,
    min(event_time) as first_any,
    min(case when on_time = 1 then event_time end) as first_on_time
  from evt
  group by cast(event_time as date), user_id
),
new_users as (
  select day, date_trunc('minute', first_any) as minute, count(*) as any_users, 0 as on_time_users
  from first_seen
  group by day, date_trunc('minute', first_any)
  union all
  select day, date_trunc('minute', first_on_time) as minute, 0 as any_users, count(*) as on_time_users
  from first_seen
  where first_on_time is not null
  group by day, date_trunc('minute', first_on_time)
),
day_rows as (
  select
    s.metric,
    s.window_kind,
    s.window_start,
    s.window_end,
    cast(s.value as bigint) as stream_value,
    cast(coalesce(sum(n.any_users), 0) as bigint) as batch_value,
    cast(coalesce(sum(n.on_time_users), 0) as bigint) as on_time_value
  from (select * from closed_windows where metric = 'active_users' and window_kind = 'day') s
  left join new_users n on n.day = cast(s.window_start as date) and n.minute < s.window_end
  group by s.metric, s.window_kind, s.window_start, s.window_end, s.value
),
compared as (
  select * from minute_rows
  union all
  select * from hour_rows
  union all
  select * from day_rows
)
select
  metric,
  window_kind,
  window_start,
  window_end,
  stream_value,
  batch_value,
  on_time_value,
  batch_value - on_time_value as late_difference,
  case
    when stream_value = batch_value then 'equal'
    when stream_value = on_time_value then 'explained'
    else 'unexplained'
  end as agreement
from compared
