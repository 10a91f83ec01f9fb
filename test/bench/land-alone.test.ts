import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  envelopeBodies,
  landingText,
  mappingBatches,
  measureLandAlone,
  runLandingBench,
} from '../../bench/land-alone.js';
import { createEventValidator } from '../../lib/core/events/validator.js';

describe('bench: landing alone', () => {
  it('feeds the landing bus envelopes, with the inputs the bus would refuse kept as raw lines', () => {
    const bodies = envelopeBodies(2000);
    expect(bodies).toHaveLength(2000);
    const validator = createEventValidator();
    const valid = bodies.filter((b) => validator.validateText(b).ok).length;
    // The workload is mostly valid events, with a few invalid inputs for the landing to quarantine.
    expect(valid / bodies.length).toBeGreaterThan(0.9);
    expect(valid).toBeLessThan(bodies.length);
    // Deterministic: the same workload gives the same bodies (ids from the position).
    expect(envelopeBodies(2000)).toEqual(bodies);
  });

  it('cuts Lambda events as a mapping does: at the batch size, or before the payload passes its limit', () => {
    // Records of different sizes, some with characters of two and three UTF-8 bytes.
    const records = Array.from({ length: 40 }, (_, i) => ({
      i,
      body: `${'é€'.repeat(i % 7)}${'x'.repeat(i * 3)}`,
    }));
    const wrap = (batch: unknown[]) => ({ Records: batch });
    const bytes = (p: string): number => Buffer.byteLength(p);
    const back = (payloads: string[]) =>
      payloads.flatMap((p) => (JSON.parse(p) as { Records: unknown[] }).Records);

    // Small records, a large limit: the batch size alone cuts.
    const payloads = (...args: Parameters<typeof mappingBatches<(typeof records)[number]>>): string[] =>
      mappingBatches(...args).map((b) => {
        // Each batch comes with its own payload.
        expect(JSON.parse(b.payload)).toEqual(wrap(b.records));
        return b.payload;
      });
    const bySize = payloads(records, 16, wrap, 1 << 20);
    expect(bySize.map((p) => (JSON.parse(p) as { Records: unknown[] }).Records.length)).toEqual([16, 16, 8]);
    expect(back(bySize)).toEqual(records);

    // A limit of 400 bytes: every payload fits, and none could have taken the next record.
    const limit = 400;
    const byBytes = payloads(records, 10_000, wrap, limit);
    expect(back(byBytes)).toEqual(records);
    expect(byBytes.length).toBeGreaterThan(3);
    let next = 0;
    for (const payload of byBytes) {
      expect(bytes(payload)).toBeLessThanOrEqual(limit);
      next += (JSON.parse(payload) as { Records: unknown[] }).Records.length;
      if (next < records.length)
        expect(
          bytes(
            JSON.stringify(wrap([...(JSON.parse(payload) as { Records: unknown[] }).Records, records[next]])),
          ),
        ).toBeGreaterThan(limit);
    }

    // A record that fits in no payload is an error, not a payload over the limit.
    expect(() => mappingBatches([{ body: 'x'.repeat(500) }], 10, wrap, limit)).toThrow(/does not fit in 400/);
  });

  it('lands every valid record of the Kafka and SQS shapes, and times the ceiling over the same records', async () => {
    const validator = createEventValidator();
    const valid = envelopeBodies(3000).filter((b) => validator.validateText(b).ok).length;
    const scratch = await mkdtemp(join(tmpdir(), 'land-alone-'));
    try {
      for (const kind of ['land-kafka', 'land-sqs'] as const) {
        const m = await measureLandAlone(kind, 3000, scratch);
        expect(m.records, kind).toBe(3000);
        expect(m.landedEvents, kind).toBe(valid);
        expect(m.objects ?? 0, kind).toBeGreaterThan(0);
        // 3,000 records fit in one event of either mapping's default batch size and 6 MiB.
        expect(m.invocations, kind).toBe(1);
        expect(m.recordsPerSecond, kind).toBeCloseTo(3000 / m.seconds, 6);
        expect(m.createMicros ?? 0, kind).toBeGreaterThan(0);
      }
      // Each side's store stays under the scratch directory for the caller to remove after the last run.
      expect((await readdir(scratch)).sort().map((d) => d.replace(/-\w+$/, ''))).toEqual([
        'land-kafka',
        'land-sqs',
      ]);
      const ceiling = await measureLandAlone('land-ceiling', 3000, scratch);
      expect(ceiling.records).toBe(3000);
      expect(ceiling.landedEvents).toBeUndefined();
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('reports medians, the ratio to the ceiling and the 75% targets', async () => {
    const rates = { 'land-ceiling': [100, 120, 110], 'land-kafka': [80, 90, 85], 'land-sqs': [60, 70, 65] };
    const calls: string[] = [];
    const summary = await runLandingBench(
      1000,
      3,
      async (kind) => {
        calls.push(kind);
        const rate = rates[kind][calls.filter((k) => k === kind).length - 1] ?? 0;
        return {
          records: 1000,
          seconds: 1000 / rate,
          recordsPerSecond: rate,
          cpuSeconds: 1,
          createMicros: 20,
        };
      },
      () => undefined,
      {
        cleanUp: async () => {
          calls.push('clean-up');
        },
        landingNodeOptions: '--max-semi-space-size=64 --max-old-space-size=729',
      },
    );
    // The landing sides' heap is part of the report.
    expect(summary.landingNodeOptions).toBe('--max-semi-space-size=64 --max-old-space-size=729');
    expect(landingText(summary)).toContain(
      'heap of the deployed landing function (`NODE_OPTIONS=--max-semi-space-size=64 --max-old-space-size=729`)',
    );
    // The stores are removed once, after the last run.
    expect(calls.at(-1)).toBe('clean-up');
    expect(calls.filter((c) => c === 'clean-up')).toHaveLength(1);
    expect(summary.sqs.createMicros).toBe(20);
    expect(landingText(summary)).toContain('| Kafka events (base64 records) | 85 | 1 | 77% |');
    expect(landingText(summary)).not.toContain('⚠');
    // Alternating order run to run.
    expect(calls.slice(0, 3)).toEqual(['land-ceiling', 'land-kafka', 'land-sqs']);
    expect(calls.slice(3, 6)).toEqual(['land-sqs', 'land-kafka', 'land-ceiling']);
    expect(summary.ceiling.recordsPerSecond).toBe(110);
    expect(summary.kafka.ratio).toBeCloseTo(85 / 110, 3);
    expect(summary.targets.map((t) => t.met)).toEqual([true, false]);
  });

  it('says when creating a file is so slow that the filesystem sets the figures', async () => {
    const summary = await runLandingBench(
      1000,
      1,
      async (kind, _records, store) => ({
        records: 1000,
        seconds: 1,
        recordsPerSecond: store === 'memory' ? 2000 : 1000,
        cpuSeconds: 1,
        ...(kind === 'land-ceiling'
          ? {}
          : {
              createMicros: store === 'memory' ? 6 : kind === 'land-sqs' ? 850 : 12,
              objects: 7,
              invocations: 3,
            }),
      }),
      () => undefined,
      { memory: true },
    );
    expect(summary.kafka.createMicros).toBe(12);
    expect(summary.sqs.createMicros).toBe(850);
    expect(summary.memory?.sqs).toMatchObject({ recordsPerSecond: 2000, ratio: 2, createMicros: 6 });
    const text = landingText(summary);
    expect(text).toContain('| SQS events (messages) | 1,000 | 1 | 100% | 3 | 7 | 850 µs |');
    expect(text).toContain('| SQS events, store on tmpfs | 2,000 | 1 | 200% | 3 | 7 | 6 µs |');
    expect(text).toContain('⚠ Creating a file took over 100 µs');
    // The targets stay on the disk rows.
    expect(summary.targets.map((t) => t.value)).toEqual(['100%', '100%']);
  });
});
