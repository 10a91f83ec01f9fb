-- description: Signup → page view → bid, by UTC signup day: users who signed up, of those the users who
-- description: viewed a page at or after signing up, and of those the users who bid at or after that
-- description: first page view.
-- test: unique signup_day
-- test: not_null signup_day, signed_up, viewed_page, placed_bid
-- sort_key: signup_day
with signups as (
  select user_id, min(event_time) as signed_up_at
  from {{ ref('stg_events') }}
  where detail_type = 'UserSignedUp'
  group by user_id
),
first_views as (
  select s.user_id, min(v.event_time) as first_view_at
  from signups s
  join {{ ref('stg_events') }} v
    on v.user_id = s.user_id and v.detail_type = 'PageViewed' and v.event_time >= s.signed_up_at
  group by s.user_id
),
bidders as (
  select distinct f.user_id
  from first_views f
  join {{ ref('stg_events') }} b
    on b.user_id = f.user_id and b.detail_type = 'BidCreated' and b.event_time >= f.first_view_at
)
select
  cast(s.signed_up_at as date) as signup_day,
  count(*) as signed_up,
  count(f.user_id) as viewed_page,
  count(b.user_id) as placed_bid
from signups s
left join first_views f on f.user_id = s.user_id
left join bidders b on b.user_id = s.user_id
group by cast(s.signed_up_at as date)
