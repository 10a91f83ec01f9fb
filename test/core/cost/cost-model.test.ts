import { describe, expect, it } from 'vitest';
import {
  COMPRESSION_RATIO,
  DEFAULT_ASSUMPTIONS,
  OPERATOR_HOURS_PER_MONTH,
  OPERATOR_RATE_USD_PER_HOUR,
  describeAssumptions,
  GP3_DISK_HEADROOM,
  LANDING_BATCH_WINDOW_SECONDS,
  LONGEST_BATCH_WINDOW_SECONDS,
  MSK_SERVERLESS_QUOTAS,
  runsPerDay,
  ScheduleRateError,
  SNS_PUBLISH_BATCH_MESSAGES,
  THROUGHPUT_UTILIZATION_TARGET,
} from '../../../lib/core/cost/assumptions.js';
import {
  COST_OPTIONS,
  COST_PRICE_IDS,
  computeCosts,
  CostInputError,
  kafkaBrokers,
  kinesisShards,
  LANDING_KINDS,
  mskExpressBrokers,
  mskServerlessSizing,
  snsPublishRequests,
  type CostLine,
  type OptionCost,
} from '../../../lib/core/cost/cost-model.js';
import { loadPriceData } from '../../../lib/core/cost/load-price-data.js';
import { priceBook, type PriceData, type PriceEntry } from '../../../lib/core/cost/price-data.js';
import { parseConfig } from '../../../lib/infra/config.js';

const live = loadPriceData();

/** Fixed prices for every id the model uses, so the expectations below do not move with the data files. */
const FIXTURE_PRICES: Record<string, [number | null, string]> = {
  'eventbridge-custom-events': [1.0, 'million events'],
  'eventbridge-archive-processing': [0.1, 'GB processed'],
  'eventbridge-archive-storage': [0.023, 'GB-month'],
  'sqs-standard-requests': [0.4, 'million requests'],
  'sns-standard-publish': [0.5, 'million publishes'],
  'sns-delivery-sqs': [null, 'million deliveries'],
  'kinesis-ondemand-stream-hour': [0.04, 'stream-hour'],
  'kinesis-ondemand-data-in': [0.08, 'GB ingested'],
  'kinesis-ondemand-data-out': [0.04, 'GB retrieved'],
  'kinesis-provisioned-shard-hour': [0.015, 'shard-hour'],
  'kinesis-provisioned-put-payload-units': [0.014, 'million PUT payload units'],
  'pubsub-throughput': [40, 'TiB'],
  'pubsub-min-billable-request': [1000, 'bytes per request'],
  'pubsub-retention-storage': [0.27, 'GiB-month'],
  'msk-serverless-cluster-hour': [0.75, 'cluster-hour'],
  'msk-serverless-partition-hour': [0.0015, 'partition-hour'],
  'msk-serverless-data-in': [0.1, 'GB'],
  'msk-serverless-data-out': [0.05, 'GB'],
  'msk-serverless-storage': [0.1, 'GB-month'],
  'msk-broker-kafka-m7g-large': [0.2, 'broker-hour'],
  'msk-broker-storage': [0.1, 'GB-month'],
  'ec2-m7g-large': [0.0816, 'instance-hour'],
  'ebs-gp3-storage': [0.08, 'GB-month'],
  'lambda-requests': [0.2, 'million requests'],
  'lambda-arm64-duration': [0.0000133334, 'GB-second'],
  's3-standard-put-copy-post-list': [0.005, '1,000 requests'],
  's3-standard-get': [0.0004, '1,000 requests'],
  's3-standard-storage': [0.023, 'GB-month'],
  'redshift-serverless-rpu-hour': [0.375, 'RPU-hour'],
  'redshift-managed-storage': [0.024, 'GB-month'],
  's3-standard-ia-storage': [0.0125, 'GB-month'],
  'cloudwatch-logs-ingestion': [0.5, 'GB ingested'],
  'cloudwatch-logs-storage': [0.03, 'GB-month'],
  'apigw-http-api-requests': [1, 'million requests'],
  'dynamodb-ondemand-write-request-units': [0.625, 'million write request units'],
  'vpc-interface-endpoint-hour': [0.01, 'endpoint-AZ-hour'],
  'vpc-interface-endpoint-data': [0.01, 'GB processed'],
  'sqs-fifo-requests': [0.5, 'million requests'],
  'msk-express-broker-m7g-large': [0.4, 'broker-hour'],
  'msk-express-data-in': [0.01, 'GB'],
  'msk-express-storage': [0.1, 'GB-month'],
};

function fixture(overrides: Record<string, [number | null, string] | undefined> = {}): PriceData {
  const prices: PriceEntry[] = Object.entries({ ...FIXTURE_PRICES, ...overrides }).flatMap(([id, v]) =>
    v
      ? [
          {
            id,
            service: 'test',
            description: id,
            usd: v[0],
            per: v[1],
            freeTier: null,
            source: `https://example.com/${id}`,
            checked: '2026-11-25',
          },
        ]
      : [],
  );
  return {
    comparison: { ...live.comparison, prices: [] },
    pricing: { region: 'us-east-1', currency: 'USD', prices },
  };
}

const option = (options: readonly OptionCost[], id: string): OptionCost => {
  const o = options.find((x) => x.id === id);
  if (!o) throw new Error(`no option ${id}`);
  return o;
};
const lineOf = (o: OptionCost, label: string): CostLine => {
  const l = o.lines.find((x) => x.label === label);
  if (!l) throw new Error(`no line ${label} in ${o.id}: ${o.lines.map((x) => x.label).join(', ')}`);
  return l;
};

const SECONDS_A_MONTH = 730 * 3600;
const GB = 2 ** 30;

describe('cost model: hand-computed months', () => {
  it('prices EventBridge → SQS at 10 events/s of 1 KiB with 7 days of archive, line by line', () => {
    const report = computeCosts({ ratePerSecond: 10, eventBytes: 1024, retentionDays: 7 }, fixture(), {
      optionIds: ['eventbridge'],
    });
    const eb = option(report.options, 'eventbridge');
    const events = 10 * SECONDS_A_MONTH; // 26,280,000
    const perDay = 10 * 86_400 * 1024;
    // One landing batch holds the 30 s window's 300 events (under 1,000 and under the 6 MB payload).
    const invocations = events / 300;
    const seconds = 0.1 + (300 * 1024) / (116_858 * 366 * (1024 / 1769));
    const objects = invocations * 10;
    // The ingest API: requests of 100 events (1 metered unit of 512 KB), 512 MB, 50 ms + the bytes.
    const requests = events / 100;
    const ingestSeconds = 0.05 + (100 * 1024) / (116_858 * 366 * (512 / 1769));
    const logs = (n: number): [number, number] => [
      ((n * 1536) / GB) * 0.5,
      ((n * 1536) / (730 / 24) / GB) * 30 * 0.03,
    ];
    const [ingestLogs, ingestLogsKept] = logs(requests);
    const [landingLogs, landingLogsKept] = logs(invocations);
    // 2 s and an hour's bytes at the landing's rate, at 1,024 MB.
    const compactSeconds = 2 + (events * 1024) / 730 / (116_858 * 366 * (1024 / 1769));
    const [compactLogs, compactLogsKept] = logs(730);
    // An hourly run loads a day's bytes / 24 at 8 RPUs × 1 MB/s, after 5 fixed minutes.
    const runSeconds = 300 + perDay / 24 / 8e6;
    const expected = {
      'EventBridge PutEvents': (events / 1e6) * 1.0,
      'EventBridge archive (processing)': ((events * 1024) / GB) * 0.1,
      'EventBridge archive (storage)': ((perDay * 7) / GB) * 0.023,
      'SQS SendMessage (rule target)': (events / 1e6) * 0.4,
      'SQS ReceiveMessage (Lambda poller)': (events / 10 / 1e6) * 0.4,
      'SQS DeleteMessageBatch': (events / 10 / 1e6) * 0.4,
      'API Gateway HTTP API requests': (requests / 1e6) * 1,
      'Lambda requests (ingest)': (requests / 1e6) * 0.2,
      'Lambda duration (ingest, arm64)': requests * ingestSeconds * 0.5 * 0.0000133334,
      // Claim the key (1 unit), then store the response with 100 event ids: ceil((300 + 4,000) / 1,024) = 5.
      'DynamoDB writes (idempotency records)': ((requests * 6) / 1e6) * 0.625,
      'CloudWatch Logs ingestion (ingest function)': ingestLogs,
      'CloudWatch Logs storage (ingest function)': ingestLogsKept,
      'Lambda requests (landing)': (invocations / 1e6) * 0.2,
      'Lambda duration (landing, arm64)': invocations * seconds * 1 * 0.0000133334,
      'S3 PUT (landed objects)': (objects / 1000) * 0.005,
      'S3 GET (COPY into Redshift)': (objects / 1000) * 0.0004,
      // The compact step after each of the 730 hourly runs reads every landed object once and writes one
      // object per partition-hour (10 partitions × 730 h; 720 KiB each, under the 128 MiB target).
      'S3 GET (compaction reads the landed objects)': (objects / 1000) * 0.0004,
      'S3 PUT (compacted objects)': (7300 / 1000) * 0.005,
      'Lambda requests (compaction)': (730 / 1e6) * 0.2,
      'Lambda duration (compaction, arm64)': 730 * compactSeconds * 1 * 0.0000133334,
      'CloudWatch Logs ingestion (compact function)': compactLogs,
      'CloudWatch Logs storage (compact function)': compactLogsKept,
      'S3 Standard storage (raw)': ((perDay * 30 * 0.2) / GB) * 0.023,
      // Landed objects of 300 × 1,024 × 0.2 / 10 = 6 KiB would stay in Standard; the compacted ones of
      // 720 KiB move to Standard-IA after 30 days: 335 more days there.
      'S3 Standard-IA storage (older raw)': ((perDay * 335 * 0.2) / GB) * 0.0125,
      'Redshift Serverless compute (ELT runs)': ((730 * 8 * runSeconds) / 3600) * 0.375,
      'Redshift managed storage': ((perDay * 365 * 0.2) / GB) * 0.024,
      'CloudWatch Logs ingestion (landing function)': landingLogs,
      'CloudWatch Logs storage (landing function)': landingLogsKept,
      // A managed bus: 2 operator hours a month at 94 USD.
      'Operations (operator time)': 2 * 94,
    };
    expect(eb.lines.map((l) => l.label)).toEqual(Object.keys(expected));
    for (const [label, usd] of Object.entries(expected))
      expect(lineOf(eb, label).usd, label).toBeCloseTo(usd, 6);
    expect(eb.status).toBe('priced');
    expect(eb.totalUsd).toBeCloseTo(
      Object.values(expected).reduce((a, b) => a + b, 0),
      6,
    );
    expect(lineOf(eb, 'EventBridge PutEvents')).toMatchObject({
      quantity: 26.28,
      unit: 'million events',
      priceId: 'eventbridge-custom-events',
      unitUsd: 1,
      source: 'https://example.com/eventbridge-custom-events',
      checked: '2026-11-25',
    });
  });

  it('prices self-hosted Kafka at 1,000 events/s of 1 KiB from brokers, disks and cross-zone replication', () => {
    const data = fixture({ 'ec2-data-transfer-inter-az': [0.01, 'GB'] });
    const kafka = option(
      computeCosts({ ratePerSecond: 1000, eventBytes: 1024, retentionDays: 7 }, data, {
        optionIds: ['kafka-ec2'],
      }).options,
      'kafka-ec2',
    );
    const bytes = 1000 * SECONDS_A_MONTH * 1024;
    // 1 MB/s in × 3 replicas is far below one broker's 15.6 MB/s of replica writes: the minimum of 3 brokers.
    expect(lineOf(kafka, 'EC2 m7g.large brokers').usd).toBeCloseTo(3 * 730 * 0.0816, 9);
    // Dedicated KRaft controllers (combined mode is not for production): 3 more m7g.large and 3 × 64 GB gp3.
    expect(lineOf(kafka, 'EC2 m7g.large KRaft controllers (dedicated)')).toMatchObject({
      quantity: 3 * 730,
      priceId: 'ec2-m7g-large',
    });
    expect(lineOf(kafka, 'EC2 m7g.large KRaft controllers (dedicated)').usd).toBeCloseTo(3 * 730 * 0.0816, 9);
    expect(lineOf(kafka, 'EBS gp3 for KRaft controllers').usd).toBeCloseTo(3 * 64 * 0.08, 9);
    // gp3 is billed on its provisioned size: 7 days × 3 replicas of the compressed bytes, + 1/0.85 − 1 headroom.
    expect(lineOf(kafka, 'EBS gp3 log storage').usd).toBeCloseTo(
      ((1000 * 86_400 * 1024 * 7 * 3 * 0.2) / 0.85 / GB) * 0.08,
      9,
    );
    // Producer compression: the replicas cross zones compressed.
    expect(lineOf(kafka, 'Replication across availability zones').usd).toBeCloseTo(
      ((bytes * 0.2 * 2 * 2) / GB) * 0.01,
      9,
    );
    // The 6 MiB payload ends a batch before the 10,000 batch size or the 30 s window (30,000 events): a
    // record of 1 KiB takes 1,366 bytes of base64 and 200 of fields, 6,291,456 / 1,566 = 4,017 per invocation.
    expect(lineOf(kafka, 'Lambda requests (landing)').quantity).toBeCloseTo(
      (1000 * SECONDS_A_MONTH) / 4017 / 1e6,
      9,
    );
    expect(kafka.status).toBe('priced');
  });
});

describe('cost model: billing units', () => {
  const eb = (bytes: number): OptionCost =>
    option(
      computeCosts({ ratePerSecond: 1, eventBytes: bytes, retentionDays: 0 }, fixture()).options,
      'eventbridge',
    );
  const events = SECONDS_A_MONTH;

  it('bills EventBridge and the SQS message behind it per 64 KiB chunk', () => {
    expect(lineOf(eb(65_536), 'EventBridge PutEvents').quantity).toBeCloseTo(events / 1e6, 9);
    expect(lineOf(eb(65_537), 'EventBridge PutEvents').quantity).toBeCloseTo((2 * events) / 1e6, 9);
    expect(lineOf(eb(256 * 1024), 'SQS SendMessage (rule target)').quantity).toBeCloseTo(
      (4 * events) / 1e6,
      9,
    );
    expect(lineOf(eb(1024 * 1024), 'EventBridge PutEvents').quantity).toBeCloseTo((16 * events) / 1e6, 9);
  });

  it('bills a batch of ten SQS messages by its total size in 64 KiB chunks', () => {
    const sqs = (bytes: number): OptionCost =>
      option(
        computeCosts({ ratePerSecond: 1, eventBytes: bytes, retentionDays: 0 }, fixture()).options,
        'sqs',
      );
    // 10 × 6,553 bytes fit one chunk; 10 × 6,554 need two.
    expect(lineOf(sqs(6553), 'SQS SendMessageBatch (producers)').quantity).toBeCloseTo(events / 10 / 1e6, 9);
    expect(lineOf(sqs(6554), 'SQS SendMessageBatch (producers)').quantity).toBeCloseTo(
      (2 * events) / 10 / 1e6,
      9,
    );
    // 200 KiB messages: only 5 fit a 1 MiB call, 16 chunks each call.
    expect(lineOf(sqs(200 * 1024), 'SQS SendMessageBatch (producers)').quantity).toBeCloseTo(
      ((events / 5) * 16) / 1e6,
      9,
    );
  });

  it('prices Kinesis records up to 10 MiB, with the per-stream setting noted, at one PUT unit per 25 KiB', () => {
    const MiB = 1024 * 1024;
    const at = (bytes: number, assumptions = DEFAULT_ASSUMPTIONS): readonly OptionCost[] =>
      computeCosts({ ratePerSecond: 0.1, eventBytes: bytes, retentionDays: 1 }, fixture(), {
        optionIds: ['kinesis-on-demand', 'kinesis-provisioned'],
        assumptions,
      }).options;
    for (const o of at(MiB)) {
      expect(o).toMatchObject({ status: 'priced', maxEventBytes: 10 * MiB });
      expect(o.notes.join(' ')).not.toContain('maximum record size');
    }
    for (const o of at(MiB + 1)) {
      expect(o.status, o.id).toBe('priced');
      expect(o.notes.join(' ')).toMatch(/maximum record size raised \(set per stream: MaxRecordSizeInKiB/);
    }
    // 5 MiB: 205 PUT payload units of 25 KiB per record.
    const five = option(at(5 * MiB), 'kinesis-provisioned');
    expect(lineOf(five, 'Kinesis PUT payload units').quantity).toBeCloseTo(
      (0.1 * SECONDS_A_MONTH * 205) / 1e6,
      9,
    );
    // 10 MiB fits Kinesis but not the 6 MiB landing invocation; with a larger one it is 410 units.
    expect(option(at(10 * MiB), 'kinesis-provisioned').cannotCarry).toContain('invocation payload');
    const roomy = { ...DEFAULT_ASSUMPTIONS, invocationPayloadBytes: 64 * MiB };
    const ten = option(at(10 * MiB, roomy), 'kinesis-provisioned');
    expect(ten.status).toBe('priced');
    expect(lineOf(ten, 'Kinesis PUT payload units').quantity).toBeCloseTo(
      (0.1 * SECONDS_A_MONTH * 410) / 1e6,
      9,
    );
    // One byte more than 10 MiB: refused by Kinesis itself, whatever the landing takes.
    for (const o of at(10 * MiB + 1, roomy)) {
      expect(o.status).toBe('cannot-carry');
      expect(o.cannotCarry).toMatch(
        /largest event is 10,485,760 bytes \(https:\/\/docs\.aws\.amazon\.com\/streams\/latest\/dev\/large-records\.html\)/,
      );
    }
  });

  it('rounds Kinesis on-demand records up to 1 KiB and counts provisioned PUT units per 25 KiB', () => {
    const report = computeCosts({ ratePerSecond: 1, eventBytes: 1025, retentionDays: 1 }, fixture());
    expect(lineOf(option(report.options, 'kinesis-on-demand'), 'Kinesis data in').quantity).toBeCloseTo(
      (events * 2048) / GB,
      9,
    );
    const big = computeCosts({ ratePerSecond: 1, eventBytes: 25 * 1024 + 1, retentionDays: 1 }, fixture());
    expect(
      lineOf(option(big.options, 'kinesis-provisioned'), 'Kinesis PUT payload units').quantity,
    ).toBeCloseTo((2 * events) / 1e6, 9);
  });

  it('bills Pub/Sub requests at least 1,000 bytes each', () => {
    const tiny = computeCosts({ ratePerSecond: 1, eventBytes: 5, retentionDays: 0 }, fixture());
    // 100 messages of 5 bytes per request are billed as 1,000 bytes, for publish and for delivery.
    expect(
      lineOf(option(tiny.options, 'pubsub'), 'Pub/Sub throughput (publish + 1 delivery)').quantity,
    ).toBeCloseTo((2 * (events / 100) * 1000) / 2 ** 40, 12);
  });

  it('sizes Kinesis shards and Kafka brokers from the rate', () => {
    expect(kinesisShards(1000, 1024, 1)).toBe(1);
    expect(kinesisShards(1001, 100, 1)).toBe(2);
    expect(kinesisShards(10_000, 1024, 1)).toBe(10);
    // At the 50% utilization target a shard takes 500 records/s or 0.5 MiB/s.
    expect(DEFAULT_ASSUMPTIONS.throughputUtilizationTarget).toBe(0.5);
    expect(kinesisShards(500, 1024, 0.5)).toBe(1);
    expect(kinesisShards(501, 1024, 0.5)).toBe(2);
    expect(kinesisShards(10_000, 1024, 0.5)).toBe(20);
    expect(kafkaBrokers(1000, 1024, DEFAULT_ASSUMPTIONS)).toBe(3);
    // Uncompressed, a broker writes 15.6 MB/s (10^6 bytes) of replicas: 5.2 MB/s of client bytes at RF 3.
    const raw = { ...DEFAULT_ASSUMPTIONS, compressionRatio: 1 };
    expect(DEFAULT_ASSUMPTIONS.kafka.brokerReplicaBytesPerSecond).toBe(15_600_000);
    expect(kafkaBrokers(15_600, 1000, raw)).toBe(3); // 46.8 MB/s of replicas: 3 brokers
    expect(kafkaBrokers(15_601, 1000, raw)).toBe(6); // one event more: the next three
    // The replication factor multiplies the bytes: at RF 1 the same load fits 3 brokers.
    const rf1 = { ...raw, kafka: { ...raw.kafka, replicationFactor: 1 } };
    expect(kafkaBrokers(15_601, 1000, rf1)).toBe(3);
    // 100 MiB/s × 3 replicas over 15.6 MB/s a broker = 20.2, so 21 brokers.
    expect(kafkaBrokers(102_400, 1024, raw)).toBe(21);
    // Producer compression (20%) carries five times the events on the same brokers: 4.03 → 6 brokers.
    expect(kafkaBrokers(102_400, 1024, DEFAULT_ASSUMPTIONS)).toBe(6);
    expect(kafkaBrokers(78_000, 1000, DEFAULT_ASSUMPTIONS)).toBe(3);
    expect(kafkaBrokers(78_001, 1000, DEFAULT_ASSUMPTIONS)).toBe(6);
  });
});

describe('cost model: equal terms', () => {
  const events = 10 * SECONDS_A_MONTH;
  const one = (id: string, rate: number, extra: Partial<typeof DEFAULT_ASSUMPTIONS> = {}, bytes = 1024) =>
    option(
      computeCosts({ ratePerSecond: rate, eventBytes: bytes, retentionDays: 7 }, fixture(), {
        optionIds: [id],
        assumptions: { ...DEFAULT_ASSUMPTIONS, ...extra },
      }).options,
      id,
    );

  it('publishes to SNS with PublishBatch of 10, each call billed per 64 KiB of its payload', () => {
    expect(SNS_PUBLISH_BATCH_MESSAGES).toBe(10);
    const sns = one('sns-sqs', 10);
    // 26,280,000 events in calls of 10 KiB: one 64 KiB chunk per call.
    expect(lineOf(sns, 'SNS PublishBatch')).toMatchObject({ priceId: 'sns-standard-publish' });
    expect(lineOf(sns, 'SNS PublishBatch').quantity).toBeCloseTo(events / 10 / 1e6, 9);
    expect(lineOf(sns, 'SNS PublishBatch').usd).toBeCloseTo((events / 10 / 1e6) * 0.5, 9);
    // 20 KiB events: 10 a call (200 KiB ≤ 256 KiB), billed as 4 chunks a call.
    expect(snsPublishRequests(1000, 20 * 1024, DEFAULT_ASSUMPTIONS)).toEqual({
      calls: 100,
      perCall: 10,
      requests: 400,
    });
    // 100 KiB events: 2 a call within 256 KiB, 4 chunks a call (200 KiB).
    expect(snsPublishRequests(1000, 100 * 1024, DEFAULT_ASSUMPTIONS)).toEqual({
      calls: 500,
      perCall: 2,
      requests: 2000,
    });
    // 1 MiB events (MaximumMessageSize raised): one a call, 16 chunks.
    expect(snsPublishRequests(10, 1024 * 1024, DEFAULT_ASSUMPTIONS)).toEqual({
      calls: 10,
      perCall: 1,
      requests: 160,
    });
  });

  it('lands every path with the same batching window, and prices the landing at the longest window too', () => {
    expect(LANDING_BATCH_WINDOW_SECONDS).toBe(30);
    expect(LONGEST_BATCH_WINDOW_SECONDS).toBe(300);
    const ids = ['sqs', 'kinesis-on-demand', 'pubsub', 'msk-serverless', 'kafka-ec2'];
    // Without compaction (priced in its own test): the landed objects are what stays in S3.
    const noCompaction = {
      ...DEFAULT_ASSUMPTIONS,
      compaction: { ...DEFAULT_ASSUMPTIONS.compaction, enabled: false },
    };
    const report = computeCosts({ ratePerSecond: 10, eventBytes: 1024, retentionDays: 7 }, fixture(), {
      optionIds: ids,
      assumptions: noCompaction,
    });
    for (const o of report.options) {
      // 10 events/s × 30 s = 300 events per invocation on every path, Kafka included.
      expect(lineOf(o, 'Lambda requests (landing)').quantity, o.id).toBeCloseTo(events / 300 / 1e6, 9);
      const landing = o.lines
        .filter((l) => LANDING_KINDS.includes(l.kind))
        .reduce((x, l) => x + (l.usd ?? 0), 0);
      expect(
        o.landingByWindow.map((w) => w.windowSeconds),
        o.id,
      ).toEqual([30, 300]);
      expect(o.landingByWindow[0]?.usd, o.id).toBeCloseTo(landing, 9);
      // At 300 s the batch is the window's 3,000 events: under the 10,000 batch size and under the 6 MiB
      // payload (6,291,456 / (⌈1,024 × 1.1⌉ + 600) = 3,642 SQS messages, / (1,366 + 200) = 4,017 Kafka
      // records of 1 KiB). 3,000 events an invocation, 10 objects each.
      const invocations = events / 3000;
      const seconds = 0.1 + (3000 * 1024) / (116_858 * 366 * (1024 / 1769));
      const longest =
        (invocations / 1e6) * 0.2 +
        invocations * seconds * 0.0000133334 +
        ((invocations * 10) / 1000) * (0.005 + 0.0004) +
        // A year of raw: 30 days in Standard, then 335 more in Standard too (objects of 60 KiB are
        // under the 128 KiB filter of the Standard-IA transition).
        ((10 * 86_400 * 1024 * 365 * 0.2) / GB) * 0.023;
      expect(o.landingByWindow[1]?.usd, o.id).toBeCloseTo(longest, 9);
    }
    // A shorter window changes every path alike.
    const short = computeCosts({ ratePerSecond: 10, eventBytes: 1024, retentionDays: 7 }, fixture(), {
      optionIds: ids,
      assumptions: { ...noCompaction, batchWindowSeconds: 1 },
    });
    for (const o of short.options)
      expect(lineOf(o, 'Lambda requests (landing)').quantity, o.id).toBeCloseTo(events / 10 / 1e6, 9);
  });

  it('applies one compression ratio to the landed objects and to Kafka, and none to the other buses', () => {
    expect(COMPRESSION_RATIO).toBe(0.2);
    const perDay = 10 * 86_400 * 1024;
    const msk = one('msk-serverless', 10);
    expect(lineOf(msk, 'MSK Serverless data in').quantity).toBeCloseTo((events * 1024 * 0.2) / GB, 9);
    expect(lineOf(msk, 'MSK Serverless data out').quantity).toBeCloseTo((events * 1024 * 0.2) / GB, 9);
    expect(lineOf(msk, 'MSK Serverless storage').quantity).toBeCloseTo((perDay * 7 * 0.2) / GB, 9);
    expect(lineOf(msk, 'S3 Standard storage (raw)').quantity).toBeCloseTo((perDay * 30 * 0.2) / GB, 9);
    // Compression nowhere: ratio 1 counts the raw bytes in Kafka and in S3 alike.
    const none = one('msk-serverless', 10, { compressionRatio: 1 });
    expect(lineOf(none, 'MSK Serverless data in').quantity).toBeCloseTo((events * 1024) / GB, 9);
    expect(lineOf(none, 'S3 Standard storage (raw)').quantity).toBeCloseTo((perDay * 30) / GB, 9);
    // Kinesis and the EventBridge archive bill the bytes as sent.
    const kinesis = one('kinesis-on-demand', 10);
    expect(lineOf(kinesis, 'Kinesis data out').quantity).toBeCloseTo((events * 1024) / GB, 9);
    const eb = one('eventbridge', 10);
    expect(lineOf(eb, 'EventBridge archive (processing)').quantity).toBeCloseTo((events * 1024) / GB, 9);
  });

  it('provisions gp3 and MSK broker storage with headroom, billed on the provisioned size', () => {
    expect(GP3_DISK_HEADROOM).toBeCloseTo(0.17647, 4);
    const retained = (1000 * 86_400 * 1024 * 7 * 3 * 0.2) / GB;
    for (const [id, label] of [
      ['kafka-ec2', 'EBS gp3 log storage'],
      ['msk-provisioned', 'MSK broker storage'],
    ] as const) {
      expect(lineOf(one(id, 1000), label).quantity, id).toBeCloseTo(retained * (1 + GP3_DISK_HEADROOM), 9);
      expect(lineOf(one(id, 1000, { diskHeadroom: 0 }), label).quantity, id).toBeCloseTo(retained, 9);
    }
  });

  it('sizes Kinesis provisioned shards for the rate over the utilization target', () => {
    expect(THROUGHPUT_UTILIZATION_TARGET).toBe(0.5);
    // 10,000 events/s of 1 KiB: 10 shards at full use, 20 at 50%.
    expect(lineOf(one('kinesis-provisioned', 10_000), 'Kinesis shard-hours').quantity).toBe(20 * 730);
    expect(
      lineOf(one('kinesis-provisioned', 10_000, { throughputUtilizationTarget: 1 }), 'Kinesis shard-hours')
        .quantity,
    ).toBe(10 * 730);
  });

  it('keeps MSK Serverless partitions and clusters within their quotas', () => {
    expect(MSK_SERVERLESS_QUOTAS.partitionInBytesPerSecond).toBe(5e6);
    const a = DEFAULT_ASSUMPTIONS;
    // Low rates: the topic's 3 partitions, one cluster.
    expect(mskServerlessSizing(10, 1024, 7, a)).toEqual({ partitions: 3, clusters: 1 });
    // 50,000 events/s of 1 KiB compressed to 20%: 10.24 MB/s, at 50% of 5 MBps a partition: 5 partitions;
    // 7 days of it is 6.19 TB, at 250 GB a partition: 25.
    expect(mskServerlessSizing(50_000, 1024, 0, a)).toEqual({ partitions: 5, clusters: 1 });
    expect(mskServerlessSizing(50_000, 1024, 7, a)).toEqual({ partitions: 25, clusters: 1 });
    // Uncompressed, 51.2 MB/s at 50% of 200 MBps a cluster → 1; 500,000 events/s → 3 clusters (1,024 MB/s).
    const raw = { ...a, compressionRatio: 1 };
    expect(mskServerlessSizing(50_000, 1024, 0, raw)).toEqual({ partitions: 21, clusters: 1 });
    expect(mskServerlessSizing(500_000, 1024, 0, raw).clusters).toBe(6);
    // More than 120 partitions need another cluster: 60 days of 10.24 MB/s is 53.1 TB, 213 partitions.
    expect(mskServerlessSizing(10_000, 1024, 60, raw)).toEqual({ partitions: 213, clusters: 2 });
    const msk = one('msk-serverless', 50_000);
    expect(lineOf(msk, 'MSK Serverless partition-hours').quantity).toBe(25 * 730);
    expect(lineOf(msk, 'MSK Serverless cluster-hours').quantity).toBe(730);
  });

  it('prints every equal-terms assumption', () => {
    const text = describeAssumptions().join('\n');
    for (const expected of [
      'One batching window for every path that lands through Lambda',
      '30 s',
      '300 s',
      'PublishBatch of 10 messages',
      'Compression, one ratio wherever the path compresses: 20%',
      '(1 + 17.6%)',
      'utilization target 50%',
      '5 MBps in, 10 MBps out and 250 GB each',
    ])
      expect(text).toContain(expected);
  });
});

describe('cost model: prices that are not confirmed', () => {
  it('marks a line and its total unpriced when the price is null, and names the id', () => {
    const report = computeCosts({ ratePerSecond: 100, eventBytes: 1024, retentionDays: 7 }, fixture());
    const sns = option(report.options, 'sns-sqs');
    const delivery = lineOf(sns, 'SNS deliveries to SQS');
    expect(delivery).toMatchObject({ usd: null, unitUsd: null, priceId: 'sns-delivery-sqs' });
    expect(delivery.unpriced).toContain('sns-delivery-sqs');
    expect(sns.status).toBe('unpriced');
    expect(sns.totalUsd).toBeNull();
    expect(sns.missingPriceIds).toEqual(['sns-delivery-sqs']);
    expect(sns.pricedUsd).toBeCloseTo(
      sns.lines.reduce((s, l) => s + (l.usd ?? 0), 0),
      9,
    );
    expect(sns.pricedUsd).toBeGreaterThan(0);
    // Options that do not need it stay priced.
    expect(option(report.options, 'eventbridge').status).toBe('priced');
  });

  it('prices the line once the value appears', () => {
    const report = computeCosts(
      { ratePerSecond: 100, eventBytes: 1024, retentionDays: 7 },
      fixture({ 'sns-delivery-sqs': [0, 'million deliveries'] }),
    );
    expect(option(report.options, 'sns-sqs')).toMatchObject({ status: 'priced', missingPriceIds: [] });
  });

  it('treats an id missing from the data files, or a price in another unit, as unpriced', () => {
    const report = computeCosts(
      { ratePerSecond: 10, eventBytes: 1024, retentionDays: 7 },
      fixture({ 'ebs-gp3-storage': undefined, 'ec2-m7g-large': [0.0816, 'instance-second'] }),
    );
    const kafka = option(report.options, 'kafka-ec2');
    expect(lineOf(kafka, 'EBS gp3 log storage').unpriced).toBe('ebs-gp3-storage is not in the data files');
    expect(lineOf(kafka, 'EC2 m7g.large brokers').unpriced).toContain('"instance-second"');
    expect(kafka.missingPriceIds).toEqual(
      expect.arrayContaining(['ebs-gp3-storage', 'ec2-m7g-large', 'ec2-data-transfer-inter-az']),
    );
    expect(kafka.totalUsd).toBeNull();
  });

  it('leaves Pub/Sub throughput unpriced when the minimum billable request is not confirmed', () => {
    const report = computeCosts(
      { ratePerSecond: 10, eventBytes: 1024, retentionDays: 0 },
      fixture({ 'pubsub-min-billable-request': [null, 'bytes per request'] }),
    );
    expect(option(report.options, 'pubsub').missingPriceIds).toContain('pubsub-min-billable-request');
  });

  it('accounts for every line of the live data files: priced, or listed as missing', () => {
    for (const rate of [0.1, 10, 10_000]) {
      for (const o of computeCosts({ ratePerSecond: rate, eventBytes: 1024, retentionDays: 30 }, live)
        .options) {
        for (const l of o.lines) {
          if (l.usd === null) expect(o.missingPriceIds).toContain(l.priceId);
          else expect(l.usd).toBeCloseTo(l.quantity * (l.unitUsd ?? NaN), 9);
        }
        expect(o.totalUsd === null).toBe(o.missingPriceIds.length > 0);
      }
    }
  });

  it('uses only price ids that are in the data files, apart from the ones still expected there', () => {
    const book = priceBook(live);
    const expectedLater = COST_PRICE_IDS.filter((id) => !book.has(id));
    expect(expectedLater.every((id) => /^[a-z0-9]+(-[a-z0-9]+)*$/.test(id))).toBe(true);
    expect(
      expectedLater.filter(
        (id) =>
          ![
            'kinesis-ondemand-extended-retention',
            'kinesis-provisioned-extended-retention',
            'kinesis-long-term-retention',
            'gcp-internet-egress',
            'ec2-data-transfer-inter-az',
          ].includes(id),
      ),
    ).toEqual([]);
  });
});

describe('cost model: what an option cannot carry', () => {
  it('reports the options whose limit is below the event, and still prices the others', () => {
    const report = computeCosts(
      { ratePerSecond: 1, eventBytes: 1024 * 1024 + 1, retentionDays: 7 },
      fixture(),
    );
    for (const id of ['eventbridge', 'sqs', 'sns-sqs']) {
      const o = option(report.options, id);
      expect(o.status, id).toBe('cannot-carry');
      expect(o.cannotCarry).toMatch(
        /cannot carry a 1,048,577-byte event: its largest event is 1,048,576 bytes/,
      );
      expect(o.lines).toEqual([]);
      expect(o.totalUsd).toBeNull();
    }
    // Kinesis takes up to 10 MiB once the stream's maximum record size is raised.
    expect(option(report.options, 'kinesis-on-demand').status).not.toBe('cannot-carry');
    expect(option(report.options, 'kinesis-provisioned').status).not.toBe('cannot-carry');
    const msk = option(report.options, 'msk-serverless');
    expect(msk.status).toBe('priced');
    expect(msk.notes.join(' ')).toContain('not confirmed');
  });

  it('refuses every option for an event larger than a landing invocation', () => {
    const report = computeCosts(
      { ratePerSecond: 1, eventBytes: 7 * 1024 * 1024, retentionDays: 7 },
      fixture(),
    );
    expect(report.options.map((o) => o.status)).toEqual(COST_OPTIONS.map(() => 'cannot-carry'));
    expect(option(report.options, 'kafka-ec2').cannotCarry).toContain('invocation payload');
  });
});

describe('cost model: input', () => {
  it.each([
    [{ ratePerSecond: 0, eventBytes: 1, retentionDays: 7 }, /rate/],
    [{ ratePerSecond: -1, eventBytes: 1, retentionDays: 7 }, /rate/],
    [{ ratePerSecond: NaN, eventBytes: 1, retentionDays: 7 }, /rate/],
    [{ ratePerSecond: 1, eventBytes: 0, retentionDays: 7 }, /size/],
    [{ ratePerSecond: 1, eventBytes: 1.5, retentionDays: 7 }, /size/],
    [{ ratePerSecond: 1, eventBytes: 1, retentionDays: -1 }, /retention/],
  ])('rejects %o', (input, message) => {
    expect(() => computeCosts(input, fixture())).toThrow(CostInputError);
    expect(() => computeCosts(input, fixture())).toThrow(message);
  });

  it('rejects an unknown option, naming the known ones', () => {
    expect(() =>
      computeCosts({ ratePerSecond: 1, eventBytes: 1, retentionDays: 7 }, fixture(), { optionIds: ['nope'] }),
    ).toThrow(/unknown option nope \(known: eventbridge, eventbridge-firehose, firehose, sqs/);
  });

  it('answers for very small and very large rates', () => {
    for (const rate of [0.001, 1e6]) {
      const report = computeCosts({ ratePerSecond: rate, eventBytes: 100, retentionDays: 0 }, fixture());
      for (const o of report.options) expect(Number.isFinite(o.pricedUsd), o.id).toBe(true);
    }
  });
});

describe('cost model: assumptions follow the deployed defaults', () => {
  it('uses the landing, Kafka, warehouse, schedule and bucket defaults of lib/infra/config.ts', () => {
    const config = parseConfig('dev', {
      account: '123456789012',
      region: 'us-east-1',
      kafka: { mode: 'msk-serverless', topic: 'events' },
    });
    const a = DEFAULT_ASSUMPTIONS;
    expect(a.landing).toEqual({
      memoryMb: config.landing.memoryMb,
      batchSize: config.landing.batchSize,
    });
    // On-demand mode, the deploy default: no provisionedPollers section, no pollers billed.
    expect(a.kafkaLanding).toEqual({ batchSize: config.kafka?.batchSize, provisionedPollers: 0 });
    expect(config.kafka?.provisionedPollers).toBeUndefined();
    // One window for every landing path: the landing's deploy default, the Kafka mapping's too.
    expect(a.batchWindowSeconds).toBe(config.landing.batchWindowSeconds);
    expect(config.kafka?.batchWindowSeconds).toBe(a.batchWindowSeconds);
    expect(a.longestBatchWindowSeconds).toBe(300);
    expect(a.elt.baseCapacityRpu).toBe(config.warehouse.baseCapacityRpu);
    expect(config.elt.schedule).toBe('rate(1 hour)');
    expect(a.elt.runsPerDay).toBe(24);
    expect(a.s3StandardDays).toBe(config.rawBucket.infrequentAccessAfterDays);
  });

  it('counts the runs a day of a rate schedule, and refuses a cron one it cannot count', () => {
    expect([runsPerDay('rate(1 hour)'), runsPerDay('rate(15 minutes)'), runsPerDay('rate(2 days)')]).toEqual([
      24, 96, 0.5,
    ]);
    expect(() => runsPerDay('cron(5 * * * ? *)')).toThrow(ScheduleRateError);
  });
});

describe('cost model: operator time', () => {
  const input = { ratePerSecond: 100, eventBytes: 1024, retentionDays: 7 };
  const ops = (o: OptionCost): CostLine | undefined => o.lines.find((l) => l.kind === 'operations');

  it('adds an operations line to every option by its class: 20 h self-hosted, 8 h MSK provisioned, 2 h managed', () => {
    expect(OPERATOR_HOURS_PER_MONTH).toEqual({ 'self-hosted': 20, 'provisioned-cluster': 8, managed: 2 });
    expect(OPERATOR_RATE_USD_PER_HOUR).toBe(94);
    const report = computeCosts(input, fixture());
    for (const o of report.options) {
      const line = ops(o);
      const hours = { 'kafka-ec2': 20, 'msk-provisioned': 8, 'msk-express': 8 }[o.id] ?? 2;
      expect(line, o.id).toMatchObject({
        quantity: hours,
        unitUsd: 94,
        usd: hours * 94,
        unit: 'operator-hour',
      });
      expect(o.pricedUsd, o.id).toBeCloseTo(
        o.lines.reduce((s, l) => s + (l.usd ?? 0), 0),
        6,
      );
    }
    const kafka = option(report.options, 'kafka-ec2');
    expect(kafka.opsClass).toBe('self-hosted');
    expect(kafka.notes.join(' ')).not.toContain('are not priced');
  });

  it('takes one figure for every option, a rate, and 0 to leave operations out', () => {
    const with50 = computeCosts(input, fixture(), {
      assumptions: {
        ...DEFAULT_ASSUMPTIONS,
        operations: {
          hoursPerMonth: { 'self-hosted': 5, 'provisioned-cluster': 5, managed: 5 },
          rateUsdPerHour: 50,
        },
      },
    });
    for (const o of with50.options) expect(ops(o)?.usd, o.id).toBe(250);
    const none = computeCosts(input, fixture(), {
      assumptions: {
        ...DEFAULT_ASSUMPTIONS,
        operations: {
          hoursPerMonth: { 'self-hosted': 0, 'provisioned-cluster': 0, managed: 0 },
          rateUsdPerHour: 94,
        },
      },
    });
    const base = computeCosts(input, fixture());
    for (const o of none.options) {
      expect(ops(o), o.id).toBeUndefined();
      expect(o.pricedUsd, o.id).toBeCloseTo(
        option(base.options, o.id).pricedUsd - (ops(option(base.options, o.id))?.usd ?? 0),
        6,
      );
    }
    expect(option(none.options, 'kafka-ec2').notes.join(' ')).toContain('are not priced');
    expect(() =>
      computeCosts(input, fixture(), {
        assumptions: {
          ...DEFAULT_ASSUMPTIONS,
          operations: { ...DEFAULT_ASSUMPTIONS.operations, rateUsdPerHour: -1 },
        },
      }),
    ).toThrow(CostInputError);
    expect(describeAssumptions().join(' ')).toContain(
      '20 h self-hosted, 8 h provisioned-cluster, 2 h managed',
    );
  });
});

describe('cost model: consumers (fan-out)', () => {
  const input = { ratePerSecond: 100, eventBytes: 1024, retentionDays: 7 };
  const events = 100 * SECONDS_A_MONTH;
  const fanOut = (o: OptionCost): CostLine[] => o.lines.filter((l) => l.kind === 'fan-out');
  const at = (consumers: number) => computeCosts(input, fixture(), { consumers });

  it('adds nothing for one consumer', () => {
    const one = at(1);
    expect(one.consumers).toBe(1);
    for (const o of one.options) expect(fanOut(o), o.id).toEqual([]);
  });

  it('prices what each consumer beyond the first adds, option by option', () => {
    const three = at(3);
    const one = at(1);
    const added = (id: string): number =>
      option(three.options, id).pricedUsd - option(one.options, id).pricedUsd;
    // EventBridge: another rule → SQS queue per consumer: send (1 request per 1 KiB message), receive and delete in tens.
    const sqsBehind = (events / 1e6) * 0.4 + 2 * (events / 10 / 1e6) * 0.4;
    expect(added('eventbridge')).toBeCloseTo(2 * sqsBehind, 6);
    expect(fanOut(option(three.options, 'eventbridge')).map((l) => l.label)).toEqual([
      'SQS SendMessage (rule target), 2 more consumer(s)',
      'SQS ReceiveMessage (Lambda poller), 2 more consumer(s)',
      'SQS DeleteMessageBatch, 2 more consumer(s)',
    ]);
    // SQS: producers send to each queue, in batches of ten.
    expect(added('sqs')).toBeCloseTo(2 * 3 * (events / 10 / 1e6) * 0.4, 6);
    // Kinesis on-demand: every record read again per consumer.
    expect(added('kinesis-on-demand')).toBeCloseTo(2 * ((events * 1024) / GB) * 0.04, 6);
    // MSK Serverless: data out again, compressed.
    expect(added('msk-serverless')).toBeCloseTo(2 * ((events * 1024 * 0.2) / GB) * 0.05, 6);
    // Pub/Sub: another delivery (half the publish + delivery line); egress is unpriced in the fixture.
    expect(added('pubsub')).toBeCloseTo(2 * (((events / 100) * 100 * 1024) / 2 ** 40) * 40, 6);
    // SNS → SQS: the delivery price is not confirmed, so the total stays a lower bound naming it.
    const sns = option(three.options, 'sns-sqs');
    expect(sns.totalUsd).toBeNull();
    expect(sns.missingPriceIds).toContain('sns-delivery-sqs');
    // Firehose has one destination: the fan-out is a named missing line.
    const firehose = option(three.options, 'firehose');
    expect(firehose.totalUsd).toBeNull();
    expect(firehose.missingPriceIds).toContain('firehose-fan-out');
    // Kafka: the consumers' cross-AZ traffic (half of the client line) again per consumer.
    for (const id of ['kafka-ec2', 'msk-provisioned']) {
      const client = lineOf(option(one.options, id), 'Client traffic across availability zones');
      expect(
        fanOut(option(three.options, id)).map((l) => l.quantity),
        id,
      ).toEqual([client.quantity]);
    }
  });

  it('sizes Kinesis shards and MSK Serverless partitions for every consumer', () => {
    // 2,000 events/s of 1 KiB at 50%: 4 MB/s in → 4 shards; 3 consumers read 12 MiB/s → 6 shards at 2 MB/s each.
    expect(kinesisShards(2000, 1024, 0.5)).toBe(4);
    expect(kinesisShards(2000, 1024, 0.5, 3)).toBe(6);
    const a = DEFAULT_ASSUMPTIONS;
    // 10,000 events/s × 10 KiB × 20% = 20.48 MB/s, at 50% 40.96 MB/s: 9 partitions in, 5 out for one consumer, 41 for ten.
    expect(mskServerlessSizing(10_000, 10_240, 1, a).partitions).toBe(9);
    expect(mskServerlessSizing(10_000, 10_240, 1, a, 10).partitions).toBe(41);
    expect(mskServerlessSizing(10_000, 10_240, 1, a, 10).clusters).toBe(2);
  });

  it('refuses a consumer count that is not a whole number from 1', () => {
    for (const consumers of [0, 1.5, -2, 10_001])
      expect(() => computeCosts(input, fixture(), { consumers }), String(consumers)).toThrow(CostInputError);
  });
});

describe('cost model: quota warnings', () => {
  const warn = (rate: number, bytes: number, extra: { consumers?: number; region?: string } = {}) =>
    computeCosts({ ratePerSecond: rate, eventBytes: bytes, retentionDays: 1 }, fixture(), extra);
  const of = (r: ReturnType<typeof warn>, id: string): readonly string[] => option(r.options, id).warnings;

  it('says nothing at a load within every quota', () => {
    const r = warn(1000, 1024);
    expect(r.warnings).toEqual([]);
    expect(r.quotaRegion).toBe('us-east-1');
  });

  it("warns when PutEvents requests exceed the Region's quota", () => {
    // us-east-1: 10,000 requests/s of 10 entries: 150,000 events/s are 15,000 requests.
    const high = warn(150_000, 1024);
    expect(of(high, 'eventbridge')[0]).toMatch(
      /^PutEvents: 15,000\/s requests \(10 entries each\) exceed the 10,000\/s quota of us-east-1/,
    );
    expect(high.warnings.some((w) => w.startsWith('eventbridge: PutEvents'))).toBe(true);
    expect(high.warnings.some((w) => w.startsWith('eventbridge-firehose: PutEvents'))).toBe(true);
    // Batched, 50,000 events/s fit us-east-1 but not eu-central-1 (2,400/s), nor an unlisted Region (600).
    expect(of(warn(50_000, 1024), 'eventbridge')[0]).toMatch(
      /fit the 10,000\/s request quota of us-east-1 only when producers batch 10/,
    );
    expect(of(warn(50_000, 1024, { region: 'eu-central-1' }), 'eventbridge')[0]).toMatch(
      /exceed the 2,400\/s quota of eu-central-1/,
    );
    expect(of(warn(7_000, 1024, { region: 'ap-south-1' }), 'eventbridge')[0]).toMatch(
      /exceed the 600\/s quota of ap-south-1/,
    );
    // Target invocations: 10,000 events/s to 2 targets exceed 18,750/s in us-east-1.
    expect(of(warn(10_000, 1024, { consumers: 2 }), 'eventbridge').join(' ')).toContain(
      'Target invocations: 20,000/s (2 rule target(s) per event) exceed the 18,750/s quota of us-east-1',
    );
    expect(() => warn(1, 1, { region: 'mars' })).toThrow(CostInputError);
  });

  it('warns on Kinesis on-demand start capacity and on MSK Serverless cluster limits', () => {
    expect(of(warn(5000, 1024), 'kinesis-on-demand')[0]).toMatch(
      /exceed the 4 MB\/s a new on-demand stream starts at/,
    );
    expect(of(warn(3000, 1024), 'kinesis-on-demand')).toEqual([]);
    // 200,000 events/s × 1 KiB × 20% = 41 MB/s, at 50% 82 MB/s: one cluster; at 1,000,000 events/s, 3 clusters.
    expect(of(warn(200_000, 1024), 'msk-serverless')).toEqual([]);
    const big = of(warn(1_000_000, 1024), 'msk-serverless');
    expect(big[0]).toMatch(/need 3 clusters .* one topic cannot span clusters/);
    expect(of(warn(2_000_000, 1024), 'msk-serverless').join(' ')).toContain(
      'exceed the 3 MSK Serverless clusters per account',
    );
    expect(of(warn(10, 1024, { consumers: 501 }), 'msk-serverless').join(' ')).toContain(
      'Consumer groups: 501 exceed the 500',
    );
  });

  it('never warns for SQS, SNS or self-hosted Kafka', () => {
    const r = warn(1_000_000, 1024, { consumers: 600 });
    for (const id of ['sqs', 'sns-sqs', 'kafka-ec2', 'msk-provisioned']) expect(of(r, id), id).toEqual([]);
  });
});

describe('cost model: the rest of the bill', () => {
  const at = (
    ratePerSecond: number,
    optionIds: string[],
    assumptions = DEFAULT_ASSUMPTIONS,
    eventBytes = 1024,
  ): readonly OptionCost[] =>
    computeCosts({ ratePerSecond, eventBytes, retentionDays: 7 }, fixture(), { optionIds, assumptions })
      .options;

  it('moves older raw objects to Standard-IA only when they are over the 128 KiB lifecycle filter', () => {
    const noCompaction = {
      ...DEFAULT_ASSUMPTIONS,
      compaction: { ...DEFAULT_ASSUMPTIONS.compaction, enabled: false },
    };
    // 1,000 events/s of 1 KiB: the 6 MiB payload ends a batch at 6,291,456 / (⌈1,024 × 1.1⌉ + 600) = 3,642
    // messages (before the 10,000 batch size and the 30 s window), in 10 objects of 3,642 × 1,024 × 0.2 / 10
    // bytes = 72.84 KiB.
    const small = option(at(1000, ['sqs'], noCompaction), 'sqs');
    expect(small.lines.some((l) => l.priceId === 's3-standard-ia-storage')).toBe(false);
    expect(lineOf(small, 'S3 Standard storage (older raw, too small for Standard-IA)').basis).toContain(
      '72.84 KiB',
    );
    // Batches of 3,642 events in 1 partition: objects of 728 KiB, so 335 days go to Standard-IA.
    const big = option(
      at(1000, ['sqs'], {
        ...noCompaction,
        landing: { ...DEFAULT_ASSUMPTIONS.landing, batchSize: 10_000 },
        partitionsPerBatch: 1,
      }),
      'sqs',
    );
    expect(lineOf(big, 'S3 Standard-IA storage (older raw)').usd).toBeCloseTo(
      ((1000 * 86_400 * 1024 * 335 * 0.2) / GB) * 0.0125,
      9,
    );
  });

  it('prices compaction: a GET per landed object, a PUT per partition-hour, and older raw in Standard-IA', () => {
    const compacted = option(at(1000, ['sqs']), 'sqs');
    const landed = ((1000 * 730 * 3600) / 3642) * 10; // batches of 3,642 (the 6 MiB payload), 10 objects each
    expect(lineOf(compacted, 'S3 GET (compaction reads the landed objects)').quantity).toBeCloseTo(
      landed / 1000,
      6,
    );
    // An hour of a partition: 1,000 × 3,600 × 1,024 × 0.2 / 10 = 70 MiB, one object under the 128 MiB target.
    expect(lineOf(compacted, 'S3 PUT (compacted objects)').quantity).toBeCloseTo(7.3, 9);
    expect(lineOf(compacted, 'S3 Standard-IA storage (older raw)').basis).toContain('72,000 KiB');
    // Left out (--no-compaction): no compaction lines, and the landed 72.84 KiB objects stay in Standard.
    const off = option(
      at(1000, ['sqs'], {
        ...DEFAULT_ASSUMPTIONS,
        compaction: { ...DEFAULT_ASSUMPTIONS.compaction, enabled: false },
      }),
      'sqs',
    );
    expect(off.lines.some((l) => l.label.includes('compact'))).toBe(false);
    expect(off.lines.some((l) => l.priceId === 's3-standard-ia-storage')).toBe(false);
    // At 10,000 events/s a run's worth of partitions takes longer than the function's 15 minutes.
    const heavy = computeCosts({ ratePerSecond: 10_000, eventBytes: 1024, retentionDays: 7 }, fixture(), {
      optionIds: ['sqs'],
    });
    expect(heavy.warnings.join('\n')).toMatch(
      /compaction \(Lambda landings\): .* over the compact function's 15 min/,
    );
  });

  it('grows ELT run time with the bytes a run loads, and warns when a run outlasts the schedule', () => {
    const report = computeCosts({ ratePerSecond: 10_000, eventBytes: 1024, retentionDays: 7 }, fixture(), {
      optionIds: ['sqs'],
    });
    const bytesPerRun = (10_000 * 86_400 * 1024) / 24;
    const runSeconds = 300 + bytesPerRun / 8e6;
    expect(
      lineOf(option(report.options, 'sqs'), 'Redshift Serverless compute (ELT runs)').quantity,
    ).toBeCloseTo((730 * 8 * runSeconds) / 3600, 6);
    expect(runSeconds).toBeGreaterThan(3600);
    expect(report.warnings.join('\n')).toMatch(/^all options: ELT: a run takes 81\.8 min at 8 RPUs/m);
    const slow = computeCosts({ ratePerSecond: 1000, eventBytes: 1024, retentionDays: 7 }, fixture());
    expect(slow.warnings.join('\n')).not.toContain('ELT:');
  });

  it('prices the ingest API in front of every option alike, and leaves it out when disabled', () => {
    const ids = ['sqs', 'kinesis-on-demand', 'kafka-ec2'];
    const ingest = (o: OptionCost): number =>
      o.lines.filter((l) => l.kind === 'ingest').reduce((s, l) => s + (l.usd ?? 0), 0);
    const on = at(100, ids);
    const first = ingest(on[0] as OptionCost);
    expect(first).toBeGreaterThan(0);
    for (const o of on) expect(ingest(o), o.id).toBeCloseTo(first, 9);
    const off = at(100, ids, {
      ...DEFAULT_ASSUMPTIONS,
      ingestApi: { ...DEFAULT_ASSUMPTIONS.ingestApi, enabled: false },
    });
    for (const o of off)
      expect(
        o.lines.filter((l) => l.kind === 'ingest'),
        o.id,
      ).toEqual([]);
  });

  it('gives every Kafka option the interface endpoints its event source mapping needs', () => {
    for (const o of at(10, ['msk-serverless', 'msk-provisioned', 'msk-express', 'kafka-ec2'])) {
      expect(
        lineOf(o, 'VPC interface endpoints (Lambda, STS) for the event source mapping').usd,
        o.id,
      ).toBeCloseTo(2 * 3 * 730 * 0.01, 9);
    }
    for (const o of at(10, ['sqs', 'kinesis-on-demand', 'eventbridge']))
      expect(
        o.lines.some((l) => l.priceId === 'vpc-interface-endpoint-hour'),
        o.id,
      ).toBe(false);
  });

  it('lands a FIFO queue in batches of at most 10 with no window, at the FIFO request price', () => {
    const fifo = option(at(1000, ['sqs-fifo']), 'sqs-fifo');
    expect(lineOf(fifo, 'Lambda requests (landing)').quantity).toBeCloseTo(
      (1000 * SECONDS_A_MONTH) / 10 / 1e6,
      9,
    );
    expect(lineOf(fifo, 'SQS FIFO SendMessageBatch (producers)').unitUsd).toBe(0.5);
    expect(fifo.notes.join(' ')).toContain('at most 10 messages a batch');
    // Above 300 calls/s (3,000 messages/s) it needs high-throughput mode; above 70,000 calls/s, more queues.
    const quota = (rate: number): string =>
      computeCosts({ ratePerSecond: rate, eventBytes: 1024, retentionDays: 7 }, fixture(), {
        optionIds: ['sqs-fifo'],
      }).warnings.join(' ');
    expect(quota(3000)).toBe('');
    expect(quota(10_000)).toMatch(/needs high-throughput mode \(up to 70,000\/s in us-east-1\)/);
    expect(quota(1_000_000)).toMatch(/exceed the 70,000\/s high-throughput quota of us-east-1/);
  });

  it('sizes MSK Express brokers at 15.6 MBps of compressed client ingress each, in threes', () => {
    expect(mskExpressBrokers(1000, 1024, DEFAULT_ASSUMPTIONS)).toBe(3);
    // 400,000 events/s × 1 KiB × 0.2 = 81.9 MB/s: 6 brokers' worth, so 6.
    expect(mskExpressBrokers(400_000, 1024, DEFAULT_ASSUMPTIONS)).toBe(6);
    const express = option(at(10, ['msk-express']), 'msk-express');
    expect(lineOf(express, 'MSK Express broker-hours (express.m7g.large)').usd).toBeCloseTo(3 * 730 * 0.4, 9);
    expect(lineOf(express, 'MSK Express data written').usd).toBeCloseTo(
      ((10 * SECONDS_A_MONTH * 1024 * 0.2) / GB) * 0.01,
      9,
    );
  });

  it('names the prices that rest on a third party, on the option that uses them', () => {
    const data = fixture();
    const thirdParty: PriceData = {
      ...data,
      pricing: {
        ...data.pricing,
        prices: data.pricing.prices.map((p) =>
          p.id === 'msk-broker-kafka-m7g-large' ? { ...p, figureFrom: 'third-party' as const } : p,
        ),
      },
    };
    const report = computeCosts({ ratePerSecond: 10, eventBytes: 1024, retentionDays: 7 }, thirdParty, {
      optionIds: ['msk-provisioned', 'sqs'],
    });
    expect(option(report.options, 'msk-provisioned').thirdPartyPriceIds).toEqual([
      'msk-broker-kafka-m7g-large',
    ]);
    expect(option(report.options, 'msk-provisioned').notes.join(' ')).toContain(
      'Rests on third-party figures for msk-broker-kafka-m7g-large',
    );
    expect(option(report.options, 'sqs').thirdPartyPriceIds).toEqual([]);
  });
});

describe('cost model: the live data files', () => {
  it('gives a full total for every option but MSK Express (its storage rate is not found) at 10, 1,000 and 10,000 events/s of 1 KiB', () => {
    for (const rate of [10, 1000, 10_000]) {
      const report = computeCosts({ ratePerSecond: rate, eventBytes: 1024, retentionDays: 7 }, live);
      for (const o of report.options) {
        if (o.id === 'msk-express') {
          expect(o.missingPriceIds, `${rate}/s`).toEqual(['msk-express-storage']);
          continue;
        }
        expect(o.missingPriceIds, `${o.id} at ${rate}/s`).toEqual([]);
        expect(o.totalUsd, `${o.id} at ${rate}/s`).toBeGreaterThan(0);
      }
    }
  });
});

describe('cost model: provisioned event pollers', () => {
  it('bills the pollers kept ready on every Kafka landing, and nothing in on-demand mode or on other paths', () => {
    const data = fixture({ 'lambda-kafka-event-poller-unit': [0.185, 'EPU-hour'] });
    const at = (pollers: number): readonly OptionCost[] =>
      computeCosts({ ratePerSecond: 100, eventBytes: 1024, retentionDays: 7 }, data, {
        optionIds: ['msk-serverless', 'kafka-ec2', 'sqs'],
        assumptions: {
          ...DEFAULT_ASSUMPTIONS,
          kafkaLanding: { ...DEFAULT_ASSUMPTIONS.kafkaLanding, provisionedPollers: pollers },
        },
      }).options;
    for (const o of at(0))
      expect(
        o.lines.some((l) => l.priceId === 'lambda-kafka-event-poller-unit'),
        o.id,
      ).toBe(false);
    const two = at(2);
    for (const id of ['msk-serverless', 'kafka-ec2'])
      expect(lineOf(option(two, id), 'Lambda provisioned event pollers (Kafka)').usd, id).toBeCloseTo(
        2 * 730 * 0.185,
        9,
      );
    expect(option(two, 'sqs').lines.some((l) => l.priceId === 'lambda-kafka-event-poller-unit')).toBe(false);
  });
});
