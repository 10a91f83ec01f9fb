import { describe, expect, it } from 'vitest';
import { DEFAULT_ASSUMPTIONS } from '../../../lib/core/cost/assumptions.js';
import {
  computeCosts,
  FIREHOSE_MAX_RECORD_BYTES,
  firehoseObjects,
  firehoseRecordsPerTransform,
} from '../../../lib/core/cost/cost-model.js';
import { loadPriceData } from '../../../lib/core/cost/load-price-data.js';
import type { PriceData } from '../../../lib/core/cost/price-data.js';

const data = loadPriceData();
const a = DEFAULT_ASSUMPTIONS;

/** The data files with every Firehose price set, so totals can be checked line by line. */
function withFirehosePrices(): PriceData {
  const set: Record<string, number> = {
    'firehose-ingestion': 0.029,
    'firehose-dynamic-partitioning-data': 0.02,
    'firehose-dynamic-partitioning-objects': 0.005,
    'firehose-dynamic-partitioning-jq': 0.07,
  };
  return {
    ...data,
    comparison: {
      ...data.comparison,
      prices: data.comparison.prices.map((p) => (p.id in set ? { ...p, usd: set[p.id] ?? null } : p)),
    },
  };
}

const lineOf = (id: string, rate: number, label: string, d: PriceData = data) => {
  const o = computeCosts({ ratePerSecond: rate, eventBytes: 1024, retentionDays: 7 }, d).options.find(
    (x) => x.id === id,
  );
  return { o, l: o?.lines.find((x) => x.label.startsWith(label)) };
};

describe('Firehose options', () => {
  it('objects per month come from the buffer interval and the partitions, not from Lambda batches', () => {
    // 10/s × 900 s × 1 KiB = 9 MB per interval, 10 partitions: 10 objects per interval.
    expect(firehoseObjects(10, 1024, a)).toMatchObject({ perInterval: 10, partitions: 10 });
    expect(firehoseObjects(10, 1024, a).perMonth).toBeCloseTo((10 * 730 * 3600) / 900, 6);
    // 10,000/s × 900 s × 1 KiB ≈ 8.6 GiB: 879 MiB a partition, 7 buffers of 128 MiB each.
    expect(firehoseObjects(10_000, 1024, a).perInterval).toBe(70);
    // Fewer events than partitions: one object per event.
    expect(firehoseObjects(0.001, 1024, a)).toMatchObject({ perInterval: 1, partitions: 1 });
  });

  it('the transform Lambda is invoked per 1 MiB or 60 s of records', () => {
    expect(firehoseRecordsPerTransform(10, 1024, a)).toBe(600);
    expect(firehoseRecordsPerTransform(10_000, 1024, a)).toBe(1024);
    expect(firehoseRecordsPerTransform(1, 2 * 1024 * 1024, a)).toBe(1);
  });

  it('ingestion rounds each record up to 5 KB', () => {
    const { l } = lineOf('firehose', 1000, 'Firehose ingestion');
    expect(l?.quantity).toBeCloseTo((1000 * 730 * 3600 * 5120) / 2 ** 30, 6);
    expect(l?.priceId).toBe('firehose-ingestion');
  });

  it('has no landing Lambda or SQS lines; EventBridge → Firehose adds PutEvents', () => {
    for (const id of ['firehose', 'eventbridge-firehose']) {
      const { o } = lineOf(id, 1000, '');
      const labels = o?.lines.map((x) => x.label) ?? [];
      expect(labels.some((x) => x.includes('SQS'))).toBe(false);
      expect(labels.some((x) => x.includes('(landing'))).toBe(false);
      expect(labels).toContain('Lambda requests (Firehose transform)');
      expect(o?.notes.join(' ')).toMatch(/at-least-once/i);
    }
    expect(lineOf('eventbridge-firehose', 1000, 'EventBridge PutEvents').l).toBeDefined();
    expect(lineOf('firehose', 1000, 'EventBridge PutEvents').l).toBeUndefined();
  });

  it('S3 PUTs and dynamic-partitioning objects are the buffered objects', () => {
    const perMonth = firehoseObjects(1000, 1024, a).perMonth;
    expect(lineOf('firehose', 1000, 'S3 PUT').l?.quantity).toBeCloseTo(perMonth / 1000, 6);
    expect(lineOf('firehose', 1000, 'Firehose dynamic partitioning (objects)').l?.quantity).toBeCloseTo(
      perMonth / 1000,
      6,
    );
  });

  it('is a lower bound naming its missing prices until Firehose rates are confirmed, and totals once they are', () => {
    const { o } = lineOf('firehose', 1000, '');
    if (o?.totalUsd === null) expect(o.missingPriceIds).toContain('firehose-ingestion');
    const priced = lineOf('firehose', 1000, '', withFirehosePrices()).o;
    expect(priced?.status).toBe('priced');
    expect(priced?.totalUsd).toBeCloseTo(priced?.lines.reduce((s, l) => s + (l.usd ?? 0), 0) ?? -1, 6);
    // No JQ line unless JQ is assumed.
    expect(priced?.lines.some((l) => l.priceId === 'firehose-dynamic-partitioning-jq')).toBe(false);
    const jq = computeCosts(
      { ratePerSecond: 1000, eventBytes: 1024, retentionDays: 7 },
      withFirehosePrices(),
      {
        optionIds: ['firehose'],
        assumptions: { ...a, firehose: { ...a.firehose, jq: true } },
      },
    ).options[0];
    expect(jq?.lines.find((l) => l.priceId === 'firehose-dynamic-partitioning-jq')?.quantity).toBe(730);
  });

  it('cannot carry a record over 1,000 KiB', () => {
    const r = computeCosts(
      { ratePerSecond: 1, eventBytes: FIREHOSE_MAX_RECORD_BYTES + 1, retentionDays: 0 },
      data,
      {
        optionIds: ['firehose'],
      },
    );
    expect(r.options[0]?.status).toBe('cannot-carry');
  });
});

describe('cross-AZ transfer priced for Kafka', () => {
  it('self-hosted Kafka prices replication and client traffic across zones and has a full total', () => {
    const { o } = lineOf('kafka-ec2', 1000, '');
    expect(o?.status).toBe('priced');
    const wireGb = (1000 * 730 * 3600 * 1024 * a.compressionRatio) / 2 ** 30;
    const client = o?.lines.find((l) => l.label === 'Client traffic across availability zones');
    expect(client?.quantity).toBeCloseTo(wireGb * (2 / 3) * 4, 6);
    expect(client?.unitUsd).toBe(0.01);
    expect(o?.lines.find((l) => l.label === 'Replication across availability zones')?.usd).not.toBeNull();
  });

  it('MSK provisioned bills client traffic across zones but not replication', () => {
    const { o } = lineOf('msk-provisioned', 1000, '');
    const labels = o?.lines.map((l) => l.label) ?? [];
    expect(labels).toContain('Client traffic across availability zones');
    expect(labels).not.toContain('Replication across availability zones');
  });

  it('Kinesis on-demand extended retention is priced', () => {
    expect(lineOf('kinesis-on-demand', 1000, '').o?.status).toBe('priced');
  });
});
