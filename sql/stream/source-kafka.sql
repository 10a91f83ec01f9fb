-- The stream job's source on Kafka: the topic the Kafka landing consumes, read as it is (one raw string per
-- record) with the record's topic, partition, offset and broker timestamp, so that a record that is not an
-- event can still be named in a MalformedRecordSeen result. live-windows.sql reads this table by name.
--
-- Placeholders (rendered by lib/core/stream/job.ts locally, by the Managed Service for Apache Flink application
-- from its runtime properties on AWS; every value is validated before it is put into the SQL):
--   {{ source_topic }}              the topic of EventBridge envelopes as JSON (Kafka topic name: [A-Za-z0-9._-]{1,249}).
--   {{ bootstrap_servers }}         Kafka bootstrap servers, host:port[,host:port…].
--   {{ group_id }}                  the job's own consumer group ([A-Za-z0-9._-]{1,249}); offsets are committed to it on
--                                   each checkpoint, for lag metrics and for a start without a savepoint.
--   {{ allowed_lateness_seconds }}  integer 0–3600: how far the watermark trails the newest event time.
--   {{ idle_timeout_seconds }}      integer 1–3600: a partition without records for this long stops holding back the
--                                   watermark (it is marked idle until its next record).
--
-- Event time: the envelope's `time` (RFC 3339 UTC, 'YYYY-MM-DDTHH:MM:SS[.fff]Z'). A record without a readable time
-- gets 1970-01-01: it is malformed (live-windows.sql sends it to MalformedRecordSeen before any window), and a
-- time that old never moves the watermark (a NULL rowtime would fail the job in the window operators).
-- The watermark is generated in the source per partition (Flink pushes it into the Kafka source): the job's
-- watermark is the least of its partitions' (idle ones aside), each the newest event time seen less the lateness.
CREATE TABLE elt_events_raw (
  raw_value STRING,
  src_topic STRING METADATA FROM 'topic' VIRTUAL,
  src_partition INT METADATA FROM 'partition' VIRTUAL,
  src_offset BIGINT METADATA FROM 'offset' VIRTUAL,
  src_timestamp TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  ts AS COALESCE(
    CASE
      WHEN REGEXP(JSON_VALUE(raw_value, '$.time'), '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$')
      THEN TO_TIMESTAMP(SUBSTR(REPLACE(REPLACE(JSON_VALUE(raw_value, '$.time'), 'T', ' '), 'Z', ''), 1, 23))
    END,
    TIMESTAMP '1970-01-01 00:00:00.000'
  ),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND * {{ allowed_lateness_seconds }}
) WITH (
  'connector' = 'kafka',
  'topic' = '{{ source_topic }}',
  'properties.bootstrap.servers' = '{{ bootstrap_servers }}',
  'properties.group.id' = '{{ group_id }}',
  -- Offsets of the group when it has some (a job started again without a savepoint goes on where the last
  -- checkpoint was), else the topic from its start.
  'scan.startup.mode' = 'group-offsets',
  'properties.auto.offset.reset' = 'earliest',
  'scan.watermark.idle-timeout' = '{{ idle_timeout_seconds }} s',
  'format' = 'raw',
  'raw.charset' = 'UTF-8'
);
