-- The stream job's sink on Kafka: its results (StreamWindowCounted, LateEventSeen, MalformedRecordSeen), each a
-- whole EventBridge envelope as JSON, keyed by its eventId. live-windows.sql writes this table by name.
--
-- Placeholders (rendered by lib/core/stream/job.ts locally, by the Managed Service for Apache Flink application
-- from its runtime properties on AWS; every value is validated before it is put into the SQL):
--   {{ results_topic }}            the results topic ([A-Za-z0-9._-]{1,249}); not the topic the job reads, and not
--                                  the landing's main input: an open transaction on it would hold back every
--                                  read_committed reader of that topic until the next checkpoint.
--   {{ bootstrap_servers }}        Kafka bootstrap servers, host:port[,host:port…].
--   {{ transactional_id_prefix }}  prefix of the sink's transactional ids ([A-Za-z0-9._-]{1,200}); one per job: two
--                                  jobs with one prefix abort each other's transactions.
--
-- Exactly once: records go out in a Kafka transaction committed when the checkpoint that covers them completes
-- (every 5 s locally, scripts/services/flink.sh), so a read_committed reader sees each result once, also after a
-- restart (the open transaction is aborted and its results are produced again from the checkpoint). The
-- transaction timeout must stay within the broker's transaction.max.timeout.ms (15 min by default; Flink's own
-- default, 1 h, is refused).
CREATE TABLE elt_stream_results (
  event_id STRING,
  envelope STRING
) WITH (
  'connector' = 'kafka',
  'topic' = '{{ results_topic }}',
  'properties.bootstrap.servers' = '{{ bootstrap_servers }}',
  'properties.transaction.timeout.ms' = '600000',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '{{ transactional_id_prefix }}',
  'key.format' = 'raw',
  'key.fields' = 'event_id',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'
);
