-- The live windows job: logins per minute, logins in the last hour and active users of the day so far, over event
-- time, from the table elt_events_raw (source-kafka.sql on Kafka; any source table with the same columns and
-- watermark elsewhere) to the table elt_stream_results (sink-kafka.sql), as events of source elt.stream. No
-- connector here: the same file is the body of the Managed Service for Apache Flink application on AWS.
--
-- Placeholders (rendered by lib/core/stream/job.ts locally, by the Managed Service for Apache Flink application
-- from its runtime properties on AWS; every value is validated before it is put into the SQL):
--   {{ allowed_lateness_seconds }}  integer 0–3600, the same as in the source's watermark: written into every window
--                                   result (allowedLatenessSeconds) so that a reader knows what "late" meant.
--   {{ region }}                    the `region` of the result envelopes ('local', or an AWS region: [a-z0-9-]{1,32}).
--
-- The source table: raw_value STRING (the record as text), src_topic STRING, src_partition INT, src_offset BIGINT,
-- src_timestamp TIMESTAMP_LTZ(3) (the broker's), ts TIMESTAMP(3) NOT NULL with a watermark of ts less the allowed
-- lateness (1970-01-01 when the record has no readable time). The sink table: event_id STRING, envelope STRING.
--
-- Design:
-- * Every record is classified once, in one view (elt_events_classified), into malformed, ignored (sources elt.*:
--   the job's own results and the pipeline's events are never counted), late or on time. Where the planner
--   computes that view twice (the windows' branch and the late branch of the one INSERT), both copies are chained
--   to the source and see the same watermark at the same record, so a record is never late for one output and on
--   time for another. One INSERT (a UNION ALL of every result) makes one job, 'elt-live-windows'.
-- * Late = the record's one-minute window has closed: a window operator drops a record once its watermark is at
--   or past window_end - 1 ms (it fires the window then), so the test is
--   FLOOR(ts TO MINUTE) + 1 minute <= CURRENT_WATERMARK(ts) + 1 ms. The window operators run after this one and see
--   at most the watermark it saw (watermarks flow behind the records), so none of them drops a record classified
--   on time. A late record goes to LateEventSeen only, and to no window: the hour HOP (slide 1 min) and the day
--   CUMULATE (step 1 min) windows that hold ts end no earlier than its minute does, and the first of them ends with
--   it, so one classification decides for all three, and stream + late = batch for every closed window.
-- * Duplicates (the Kafka path is at least once; the batch side keeps the first copy per detail.eventId) are
--   removed by window deduplication: the first copy per eventId within its one-minute TUMBLE window. It keeps no
--   state past the window (a ROW_NUMBER over all time would keep every eventId forever, or forget them on a TTL,
--   and its output is an update stream that window aggregations do not take). A redelivered copy carries the same
--   envelope, hence the same time and minute. The deduplicated rows go on with their window_time (window end
--   - 1 ms), which falls in the same hour and day windows as ts: the three aggregations cascade from it.
-- * Results are whole envelopes whose id and detail.eventId are a UUID (version 3 layout) of MD5 of the result's
--   key: metric, window and bounds; the late event's eventId and envelope id; topic, partition and offset. A result produced again
--   after a restart carries the same id, so downstream keeps it once. Their `time` is deterministic as well: the
--   window end, the watermark at which an event was late, the broker's timestamp of a malformed record.
-- * Restarts. From a checkpoint (a failure) or a savepoint (elt stream stop --savepoint, then start --from-savepoint)
--   the windows' state is restored and the results are exact. A start without a savepoint goes on from the group's
--   committed offsets with empty windows: the windows open at the stop are short of what was read before it. And
--   while a restored job's source has no watermark yet (until it has read a record per partition), a record late
--   by the old watermark is not classified late here but is dropped by the windows, whose watermark is restored
--   (FLINK-36663): it is neither counted nor reported.
-- * Times are UTC ('table.local-time-zone' and a TIMESTAMP rowtime): a day window starts at 00:00Z.

SET 'table.local-time-zone' = 'UTC';
SET 'pipeline.name' = 'elt-live-windows';

CREATE TEMPORARY VIEW elt_events_parsed AS
SELECT
  raw_value,
  src_topic,
  src_partition,
  src_offset,
  src_timestamp,
  ts,
  raw_value IS JSON OBJECT AS is_object,
  raw_value IS JSON AS is_json,
  JSON_VALUE(raw_value, '$.source') AS source,
  JSON_VALUE(raw_value, '$[''detail-type'']') AS detail_type,
  JSON_VALUE(raw_value, '$.time') AS time_text,
  JSON_VALUE(raw_value, '$.detail.eventId') AS event_id,
  JSON_VALUE(raw_value, '$.id') AS bus_id,
  JSON_VALUE(raw_value, '$.detail.userId') AS user_id,
  CURRENT_WATERMARK(ts) AS seen_watermark
FROM elt_events_raw;

CREATE TEMPORARY VIEW elt_events_classified AS
SELECT
  *,
  CASE
    WHEN malformed_reason IS NOT NULL THEN 'malformed'
    WHEN source LIKE 'elt.%' THEN 'ignored'
    WHEN seen_watermark IS NOT NULL
      AND FLOOR(ts TO MINUTE) + INTERVAL '1' MINUTE <= seen_watermark + INTERVAL '0.001' SECOND THEN 'late'
    ELSE 'on_time'
  END AS disposition
FROM (
  SELECT
    *,
    CASE
      WHEN raw_value IS NULL OR raw_value = '' THEN 'empty record'
      WHEN NOT is_json THEN 'not JSON'
      WHEN NOT is_object THEN 'not a JSON object'
      WHEN source IS NULL THEN 'no source'
      -- A record of the pipeline's own is ignored whatever else it lacks.
      WHEN source LIKE 'elt.%' THEN CAST(NULL AS STRING)
      WHEN CHAR_LENGTH(source) > 256 THEN 'source longer than 256 characters'
      WHEN detail_type IS NULL THEN 'no detail-type'
      WHEN CHAR_LENGTH(detail_type) > 256 THEN 'detail-type longer than 256 characters'
      WHEN time_text IS NULL THEN 'no time'
      WHEN ts = TIMESTAMP '1970-01-01 00:00:00.000'
        AND NOT REGEXP(time_text, '^1970-01-01T00:00:00(\.0+)?Z$') THEN 'time is not RFC 3339 UTC'
      WHEN event_id IS NULL OR event_id = '' THEN 'no detail.eventId'
      WHEN CHAR_LENGTH(event_id) > 64 THEN 'detail.eventId longer than 64 characters'
    END AS malformed_reason
  FROM elt_events_parsed
);

-- On time and deduplicated: the first copy of each eventId in its minute (window deduplication).
CREATE TEMPORARY VIEW elt_events_counted AS
SELECT source, detail_type, user_id, window_time AS minute_time
FROM (
  SELECT
    source,
    detail_type,
    user_id,
    window_start,
    window_end,
    window_time,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end, event_id ORDER BY ts ASC) AS copy_number
  FROM TABLE(
    TUMBLE(
      TABLE elt_events_classified,
      DESCRIPTOR(ts),
      INTERVAL '1' MINUTE
    )
  )
  WHERE disposition = 'on_time'
)
WHERE copy_number = 1;

CREATE TEMPORARY VIEW elt_window_counts AS
SELECT 'logins' AS metric, 'minute' AS window_name, window_start, window_end, COUNT(*) AS window_value
FROM TABLE(TUMBLE(TABLE elt_events_counted, DESCRIPTOR(minute_time), INTERVAL '1' MINUTE))
WHERE detail_type = 'UserLoggedIn' AND source LIKE 'marketplace.%'
GROUP BY window_start, window_end
UNION ALL
SELECT 'logins' AS metric, 'hour' AS window_name, window_start, window_end, COUNT(*) AS window_value
FROM TABLE(
  HOP(TABLE elt_events_counted, DESCRIPTOR(minute_time), INTERVAL '1' MINUTE, INTERVAL '1' HOUR)
)
WHERE detail_type = 'UserLoggedIn' AND source LIKE 'marketplace.%'
GROUP BY window_start, window_end
UNION ALL
SELECT
  'active_users' AS metric,
  'day' AS window_name,
  window_start,
  window_end,
  COUNT(DISTINCT user_id) AS window_value
FROM TABLE(
  CUMULATE(TABLE elt_events_counted, DESCRIPTOR(minute_time), INTERVAL '1' MINUTE, INTERVAL '1' DAY)
)
WHERE source LIKE 'marketplace.%'
GROUP BY window_start, window_end;

-- Every result as (key, detail-type, time, detail); the key gives the eventId, the rest the envelope.
CREATE TEMPORARY VIEW elt_stream_result_details AS
SELECT
  CONCAT_WS('|', 'StreamWindowCounted', metric, window_name, CAST(window_start AS STRING), CAST(window_end AS STRING))
    AS result_key,
  'StreamWindowCounted' AS detail_type,
  CONCAT(REPLACE(CAST(window_end AS STRING), ' ', 'T'), 'Z') AS result_time,
  JSON_OBJECT(
    KEY 'metric' VALUE metric,
    KEY 'window' VALUE window_name,
    KEY 'windowStart' VALUE CONCAT(REPLACE(CAST(window_start AS STRING), ' ', 'T'), 'Z'),
    KEY 'windowEnd' VALUE CONCAT(REPLACE(CAST(window_end AS STRING), ' ', 'T'), 'Z'),
    KEY 'value' VALUE window_value,
    KEY 'allowedLatenessSeconds' VALUE {{ allowed_lateness_seconds }}
  ) AS detail_fields
FROM elt_window_counts
UNION ALL
SELECT
  -- One result per late copy (its envelope id): the batch keeps one row per eventId, and counts it as seen by
  -- the stream when any of its landed copies was not reported late.
  CONCAT_WS('|', 'LateEventSeen', event_id, CASE WHEN CHAR_LENGTH(bus_id) <= 64 THEN bus_id END) AS result_key,
  'LateEventSeen' AS detail_type,
  CONCAT(REPLACE(CAST(seen_watermark AS STRING), ' ', 'T'), 'Z') AS result_time,
  JSON_OBJECT(
    KEY 'lateEventId' VALUE event_id,
    KEY 'lateBusId' VALUE CASE WHEN CHAR_LENGTH(bus_id) <= 64 THEN bus_id END,
    KEY 'lateSource' VALUE source,
    KEY 'lateDetailType' VALUE detail_type,
    KEY 'lateUserId' VALUE CASE WHEN CHAR_LENGTH(user_id) <= 64 THEN user_id END,
    KEY 'eventTime' VALUE CONCAT(REPLACE(CAST(ts AS STRING), ' ', 'T'), 'Z'),
    KEY 'watermark' VALUE CONCAT(REPLACE(CAST(seen_watermark AS STRING), ' ', 'T'), 'Z')
  ) AS detail_fields
FROM elt_events_classified
WHERE disposition = 'late'
UNION ALL
SELECT
  CONCAT_WS('|', 'MalformedRecordSeen', src_topic, CAST(src_partition AS STRING), CAST(src_offset AS STRING))
    AS result_key,
  'MalformedRecordSeen' AS detail_type,
  CONCAT(REPLACE(CAST(CAST(src_timestamp AS TIMESTAMP(3)) AS STRING), ' ', 'T'), 'Z') AS result_time,
  JSON_OBJECT(
    KEY 'topic' VALUE src_topic,
    KEY 'partition' VALUE src_partition,
    KEY 'offset' VALUE src_offset,
    KEY 'reason' VALUE malformed_reason
  ) AS detail_fields
FROM elt_events_classified
WHERE disposition = 'malformed';

-- The results: id and detail.eventId a UUID of MD5(result_key) (version nibble 3, variant 10xx), the envelope put
-- together around the detail that JSON_OBJECT escaped (every other part is a constant, a UUID or a time).
INSERT INTO elt_stream_results
SELECT
  event_id,
  CONCAT(
    '{"version":"0","id":"', event_id,
    '","detail-type":"', detail_type,
    '","source":"elt.stream","account":"000000000000","time":"', result_time,
    '","region":"{{ region }}","resources":[],"detail":{"eventId":"', event_id, '",',
    SUBSTR(detail_fields, 2),
    '}'
  ) AS envelope
FROM (
  SELECT
    detail_type,
    result_time,
    detail_fields,
    CONCAT(
      SUBSTR(h, 1, 8), '-', SUBSTR(h, 9, 4), '-3', SUBSTR(h, 14, 3), '-',
      SUBSTR('89ab89ab89ab89ab', POSITION(SUBSTR(h, 17, 1) IN '0123456789abcdef'), 1), SUBSTR(h, 18, 3), '-',
      SUBSTR(h, 21, 12)
    ) AS event_id
  FROM (SELECT *, MD5(result_key) AS h FROM elt_stream_result_details)
);
