/**
 * Every mart and the staging table, as SQL that reads the same on DuckDB and PostgreSQL (times cast to
 * text, a total order): two warehouses built from the same events must answer these identically.
 */
export const MART_QUERIES: Readonly<Record<string, string>> = {
  mart_daily_active_users:
    'SELECT CAST(day AS VARCHAR) AS day, users FROM mart_daily_active_users ORDER BY day',
  mart_logins_per_minute:
    'SELECT CAST(minute AS VARCHAR) AS minute, logins FROM mart_logins_per_minute ORDER BY minute',
  mart_signup_funnel:
    'SELECT CAST(signup_day AS VARCHAR) AS signup_day, signed_up, viewed_page, placed_bid FROM mart_signup_funnel ORDER BY signup_day',
  mart_bids_per_item_hour:
    'SELECT item_id, CAST(hour AS VARCHAR) AS hour, currency, bids, bidders, max_amount_minor, total_amount_minor FROM mart_bids_per_item_hour ORDER BY item_id, hour, currency',
  stg_events:
    'SELECT event_id, detail_type, CAST(event_time AS VARCHAR) AS event_time, user_id, amount_minor FROM stg_events ORDER BY event_id',
};
