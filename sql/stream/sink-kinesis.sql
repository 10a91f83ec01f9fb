-- The stream job's sink on Kinesis (the EventBridge variant on AWS): its results (StreamWindowCounted,
-- LateEventSeen, MalformedRecordSeen), each record one whole EventBridge envelope as JSON, which an EventBridge
-- pipe puts back on the bus with the envelope's source, detail-type, time and detail
-- (lib/infra/constructs/managed-flink-kinesis-feed.ts); the bus's landing rule lands them.
--
-- The Kinesis sink writes every physical column of its table as the record, and a raw record is one column, so
-- this table holds the envelope only. live-windows.sql writes elt_stream_results (event_id, envelope), as on Kafka;
-- the job (scripts/services/flink/job, SqlJob) sends the envelope column of those INSERTs here.
--
-- Placeholders (rendered by the Managed Service for Apache Flink application from its runtime properties; every
-- value is validated before it is put into the SQL):
--   {{ results_stream_arn }}  the ARN of the Kinesis data stream of results.
--   {{ region }}              the stream's AWS Region.
--
-- At least once, not exactly once: the Kinesis sink has no transactions, so a restart from a checkpoint sends the
-- results since that checkpoint again. Each result's eventId is derived from its window (or late event), so the
-- copies are the same event and the warehouse keeps one (dedupe on detail.eventId). Records go to a random shard:
-- nothing downstream depends on their order.
CREATE TABLE elt_stream_results_kinesis (
  envelope STRING
) WITH (
  'connector' = 'kinesis',
  'stream.arn' = '{{ results_stream_arn }}',
  'aws.region' = '{{ region }}',
  'sink.partitioner' = 'random',
  'sink.fail-on-error' = 'false',
  'format' = 'raw',
  'raw.charset' = 'UTF-8'
);
