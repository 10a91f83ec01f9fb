-- The stream job's source on Kinesis (the EventBridge variant on AWS): the data stream an EventBridge rule fills with
-- every marketplace.* event of the bus, each record one whole EventBridge envelope as JSON (the rule's default
-- target input), read as it is with the record's shard, sequence number and arrival time. Same table name and
-- columns as source-kafka.sql, so live-windows.sql reads either; src_topic holds the stream ARN, src_partition is
-- always 0 and src_offset NULL (a Kinesis sequence number is a 128-bit decimal string, src_sequence_number here),
-- so a MalformedRecordSeen result from Kinesis names its record by arrival time and shard only.
--
-- Placeholders (rendered by the Managed Service for Apache Flink application, scripts/services/flink/job, from its
-- runtime properties; every value is validated before it is put into the SQL):
--   {{ source_stream_arn }}         the ARN of the Kinesis data stream of bus events.
--   {{ region }}                    the stream's AWS Region.
--   {{ allowed_lateness_seconds }}  integer 0–3600: how far the watermark trails the newest event time.
--   {{ idle_timeout_seconds }}      integer 1–3600: a shard without records for this long stops holding back the
--                                   watermark.
--
-- Connector: flink-connector-aws-kinesis-streams (the FLIP-27 KinesisStreamsSource; options of its
-- KinesisConnectorOptions). Position: the stream from its oldest record on a start without a snapshot (24 h of
-- retention); with a snapshot, where the checkpoint was. Event time and watermark as in source-kafka.sql.
CREATE TABLE elt_events_raw (
  raw_value STRING,
  src_shard_id STRING METADATA FROM 'shard-id' VIRTUAL,
  src_sequence_number STRING METADATA FROM 'sequence-number' VIRTUAL,
  src_timestamp TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  src_topic AS '{{ source_stream_arn }}',
  src_partition AS CAST(0 AS INT),
  src_offset AS CAST(NULL AS BIGINT),
  ts AS COALESCE(
    CASE
      WHEN REGEXP(JSON_VALUE(raw_value, '$.time'), '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$')
      THEN TO_TIMESTAMP(SUBSTR(REPLACE(REPLACE(JSON_VALUE(raw_value, '$.time'), 'T', ' '), 'Z', ''), 1, 23))
    END,
    TIMESTAMP '1970-01-01 00:00:00.000'
  ),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND * {{ allowed_lateness_seconds }}
) WITH (
  'connector' = 'kinesis',
  'stream.arn' = '{{ source_stream_arn }}',
  'aws.region' = '{{ region }}',
  'source.init.position' = 'TRIM_HORIZON',
  'scan.watermark.idle-timeout' = '{{ idle_timeout_seconds }} s',
  'format' = 'raw',
  'raw.charset' = 'UTF-8'
);
